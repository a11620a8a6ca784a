package reach_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// exposureFromMatrix reads an Exposure off the workload matrix, edge by
// edge, the way the audit did before it asked the classes: the matrix is
// the one the property tests hold to the reference evaluators.
func exposureFromMatrix(m *reach.Model) (from map[string][]string, nodeOutside []bool) {
	mx := m.Matrix(reach.ByWorkload)
	seen := map[[2]string]bool{}
	from = map[string][]string{}
	for _, e := range mx.Edges {
		a, b := mx.Nodes[e.From].Namespace, mx.Nodes[e.To].Namespace
		if a != b && !seen[[2]string{a, b}] {
			seen[[2]string{a, b}] = true
			from[b] = append(from[b], a)
		}
	}
	for _, list := range from {
		sort.Strings(list)
	}
	for i := range mx.Nodes {
		nodeOutside = append(nodeOutside, len(mx.External[i].Ingress) > 0)
	}
	return from, nodeOutside
}

func checkExposure(snap *inventory.Snapshot, opts reach.Options) error {
	m, err := reach.Build(snap, opts)
	if err != nil {
		return err
	}
	// Exposure judges what policies allow: node-local traffic, which the
	// matrix holds, is left out, so compare with the pods on no node.
	off, err := reach.Build(offNodes(snap), opts)
	if err != nil {
		return err
	}
	wantFrom, wantOutside := exposureFromMatrix(off)
	got := m.Exposure()
	if !mapsEqual(got.FromNamespaces, wantFrom) {
		return fmt.Errorf("namespaces reaching each namespace:\n got  %v\n want %v", got.FromNamespaces, wantFrom)
	}
	q := m.Query()
	if n := len(q.Classes()); len(got.ClassFromOutside) != n {
		return fmt.Errorf("ClassFromOutside has %d entries for %d classes", len(got.ClassFromOutside), n)
	}
	mx := m.Matrix(reach.ByWorkload)
	for i, node := range mx.Nodes {
		outside := false
		for _, pod := range node.Pods {
			outside = outside || got.ClassFromOutside[q.ClassOf(node.Namespace, pod)]
		}
		if outside != wantOutside[i] {
			return fmt.Errorf("%s/%s/%s: reached from outside %v by its classes, %v by the matrix", node.Namespace, node.Kind, node.Name, outside, wantOutside[i])
		}
	}
	return nil
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestExposureMatchesMatrix holds Model.Exposure, computed on classes, to
// the workload matrix on random snapshots with and without cluster-wide
// tiers, ipBlocks matching pods or not, and on generated clusters with
// bare pods and with controllers.
func TestExposureMatchesMatrix(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	optsList := []reach.Options{{IPBlockMatchesPods: true}, {IPBlockMatchesPods: false}}
	for i := 0; i < n; i++ {
		seed := *flagSeed + uint64(i)
		for _, tc := range []struct {
			name string
			c    reachtest.Case
		}{
			{"plain", reachtest.GenerateCase(reachtest.Seeded(seed))},
			{"tiers", reachtest.GenerateTierCase(reachtest.Seeded(seed))},
		} {
			for _, opts := range optsList {
				if err := checkExposure(tc.c.Snapshot, opts); err != nil {
					t.Fatalf("%s snapshot, seed %d, %+v: %v\n%s", tc.name, seed, opts, err, reachtest.DumpSnapshot(tc.c.Snapshot))
				}
			}
		}
	}
	for _, cfg := range []gen.Config{
		{Pods: 400, Namespaces: 12, Seed: 3, BarePods: true},
		{Pods: 600, Seed: 5},
	} {
		snap := gen.Generate(cfg)
		for _, opts := range optsList {
			if err := checkExposure(snap, opts); err != nil {
				t.Fatalf("generated cluster %+v, %+v: %v", cfg, opts, err)
			}
		}
	}
}

// TestPeerPodCount: PeerPodCount counts what PeerPods lists, and
// PeerNamespaces answers alike for peers that share a namespaceSelector
// (it memoises by selector), on random snapshots.
func TestPeerPodCount(t *testing.T) {
	for i := 0; i < 300; i++ {
		seed := *flagSeed + uint64(i)
		snap := reachtest.GenerateCase(reachtest.Seeded(seed)).Snapshot
		m, err := reach.Build(snap, reach.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		q := m.Query()
		fresh := func() *reach.Query { return m.Query() }
		for _, pol := range m.Policies() {
			for d, rules := range pol.Rules {
				for _, r := range rules {
					for pi := range r.Peers {
						n := len(q.PeerPods(pol.Ref, reach.Dir(d), r.Index, pi))
						if got := q.PeerPodCount(pol.Ref, reach.Dir(d), r.Index, pi); got != n {
							t.Fatalf("seed %d: %s rule %d peer %d: PeerPodCount %d, PeerPods lists %d", seed, pol.Ref, r.Index, pi, got, n)
						}
						// A new Query has nothing memoised.
						want := fresh().PeerNamespaces(pol.Ref, reach.Dir(d), r.Index, pi)
						if got := q.PeerNamespaces(pol.Ref, reach.Dir(d), r.Index, pi); !slices.Equal(got, want) {
							t.Fatalf("seed %d: %s rule %d peer %d: PeerNamespaces %v after others, %v alone", seed, pol.Ref, r.Index, pi, got, want)
						}
					}
				}
			}
		}
	}
}
