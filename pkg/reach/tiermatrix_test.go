package reach_test

import (
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

// TestTierMatrixMatchesVerdicts checks, on random snapshots with tiers, that
// the pod-level matrix says exactly what Verdict says for every pod pair and
// probe port: allowed ports in Edges, undefined ports in Undefined, and
// neither anywhere else. The verdicts themselves are held to the reference
// by TestPropertyTiersMatchReference.
func TestTierMatrixMatchesVerdicts(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 100
	}
	compared, undefined := 0, 0
	for i := 0; i < n; i++ {
		seed := *flagSeed + uint64(i)
		pc := reachtest.GenerateTierCase(reachtest.Seeded(seed))
		m, err := reach.Build(pc.Snapshot, reach.DefaultOptions())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		mx := m.Matrix(reach.ByPod)
		index := map[string]int{}
		for k, node := range mx.Nodes {
			index[node.Namespace+"/"+node.Name] = k
		}
		type pair struct{ a, b int }
		edges, undef := map[pair]reach.PortSet{}, map[pair]reach.PortSet{}
		for _, e := range mx.Edges {
			edges[pair{e.From, e.To}] = e.Ports
		}
		for _, e := range mx.Undefined {
			undef[pair{e.From, e.To}] = e.Ports
		}
		pods := pc.Snapshot.Pods
		for a := range pods {
			for b := range pods {
				if a == b {
					continue
				}
				k := pair{index[pods[a].Namespace+"/"+pods[a].Name], index[pods[b].Namespace+"/"+pods[b].Name]}
				for _, p := range tierProbePorts(pc.Snapshot) {
					v := m.Verdict(reach.PodEndpoint(&pods[a]), reach.PodEndpoint(&pods[b]), p.port, p.proto)
					compared++
					if v.Undefined {
						undefined++
					}
					inEdge := edges[k].Contains(p.proto, p.port)
					inUndef := undef[k].Contains(p.proto, p.port)
					if inEdge != v.Allowed || inUndef != v.Undefined {
						t.Fatalf("seed %d: %s/%s -> %s/%s %d/%s: verdict allowed=%v undefined=%v, matrix edge=%v undefined=%v\nreproduce with -seed %d",
							seed, pods[a].Namespace, pods[a].Name, pods[b].Namespace, pods[b].Name, p.port, p.proto,
							v.Allowed, v.Undefined, inEdge, inUndef, seed)
					}
				}
			}
		}
	}
	t.Logf("%d snapshots with tiers: %d pod-pair verdicts compared with the matrix, %d undefined", n, compared, undefined)
	if undefined == 0 {
		t.Errorf("no undefined verdict was drawn: the generator no longer exercises Matrix.Undefined")
	}
}
