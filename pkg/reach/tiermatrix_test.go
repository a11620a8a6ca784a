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
	compared, undefined, depends := 0, 0, 0
	for i := 0; i < n; i++ {
		seed := *flagSeed + uint64(i)
		pc := reachtest.GenerateTierCase(reachtest.Seeded(seed))
		for _, opts := range caseOptions(pc.PodCIDRs) {
			if !opts.IPBlockMatchesPods {
				continue
			}
			c, u, d := compareTierMatrix(t, seed, pc, opts)
			compared, undefined, depends = compared+c, undefined+u, depends+d
		}
	}
	t.Logf("%d snapshots with tiers: %d pod-pair verdicts compared with the matrix, %d undefined, %d of them depending on a pod's IP", n, compared, undefined, depends)
	if undefined == 0 {
		t.Errorf("no undefined verdict was drawn: the generator no longer exercises Matrix.Undefined")
	}
	if depends == 0 {
		t.Errorf("no verdict depending on a pod's IP was drawn: the generator no longer exercises Matrix.Depends")
	}
}

func compareTierMatrix(t *testing.T, seed uint64, pc reachtest.Case, opts reach.Options) (compared, undefined, depends int) {
	{
		m, err := reach.Build(pc.Snapshot, opts)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		mx := m.Matrix(reach.ByPod)
		index := map[string]int{}
		for k, node := range mx.Nodes {
			index[node.Namespace+"/"+node.Name] = k
		}
		type pair struct{ a, b int }
		edges, undef, dep := map[pair]reach.PortSet{}, map[pair]reach.PortSet{}, map[pair]reach.PortSet{}
		for _, e := range mx.Edges {
			edges[pair{e.From, e.To}] = e.Ports
		}
		for _, e := range mx.Undefined {
			undef[pair{e.From, e.To}] = e.Ports
		}
		for _, e := range mx.Depends {
			dep[pair{e.From, e.To}] = e.Ports
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
					if v.Depends {
						depends++
					}
					inEdge := edges[k].Contains(p.proto, p.port)
					inUndef := undef[k].Contains(p.proto, p.port)
					inDep := dep[k].Contains(p.proto, p.port)
					if inEdge != v.Allowed || inUndef != (v.Undefined && !v.Depends) || inDep != v.Depends {
						t.Fatalf("seed %d (PodCIDRs %v): %s/%s -> %s/%s %d/%s: verdict allowed=%v undefined=%v depends=%v, matrix edge=%v undefined=%v depends=%v\nreproduce with -seed %d",
							seed, opts.PodCIDRs, pods[a].Namespace, pods[a].Name, pods[b].Namespace, pods[b].Name, p.port, p.proto,
							v.Allowed, v.Undefined, v.Depends, inEdge, inUndef, inDep, seed)
					}
				}
			}
		}
	}
	return compared, undefined, depends
}
