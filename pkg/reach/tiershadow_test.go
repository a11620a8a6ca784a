package reach_test

import (
	"net/netip"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

// TestTierRuleShadowedNeverDecides checks TierRuleShadowed against
// Verdict on random snapshots with tiers: no verdict, pod to pod or
// between pods and outside addresses, on any probe port, names a rule
// reported shadowed in its chain, and the rules it names as shadowing are
// rules of the same tier that come first.
func TestTierRuleShadowedNeverDecides(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	shadowed, checked := 0, 0
	for i := 0; i < n; i++ {
		seed := *flagSeed + uint64(i)
		pc := reachtest.GenerateTierCase(reachtest.Seeded(seed))
		m, err := reach.Build(pc.Snapshot, reach.DefaultOptions())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		q := m.Query()
		type key struct {
			ref   reach.PolicyRef
			field string
		}
		dead := map[key]bool{}
		for _, pol := range m.Policies() {
			if !pol.ClusterScoped() {
				continue
			}
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					checked++
					by, ok := q.TierRuleShadowed(pol.Ref, reach.Dir(d), r.Index)
					if !ok {
						continue
					}
					shadowed++
					dead[key{pol.Ref, r.Field}] = true
					if len(by) == 0 {
						t.Fatalf("seed %d: %s %s shadowed by no rule", seed, pol.Ref, r.Field)
					}
					for _, e := range by {
						other := m.Policy(e.Policy)
						if other.Tier != pol.Tier || (e.Policy != pol.Ref && other.Priority >= pol.Priority) ||
							(e.Policy == pol.Ref && e.Rule.Index >= r.Index) {
							t.Fatalf("seed %d: %s %s shadowed by %s %s, which does not come first in its tier", seed, pol.Ref, r.Field, e.Policy, e.Rule.Field)
						}
					}
				}
			}
		}
		if len(dead) == 0 {
			continue
		}
		probes := tierProbePorts(pc.Snapshot)
		check := func(src, dst reach.Endpoint) {
			for _, p := range probes {
				v := m.Verdict(src, dst, p.port, p.proto)
				for _, side := range []reach.Direction{v.Egress, v.Ingress} {
					for _, s := range side.Tiers {
						if s.Policy != nil && dead[key{*s.Policy, s.Rule}] {
							t.Fatalf("seed %d: %s -> %s %d/%s is decided by %s %s, reported shadowed\nreproduce with -seed %d",
								seed, src, dst, p.port, p.proto, s.Policy, s.Rule, seed)
						}
					}
				}
			}
		}
		pods := pc.Snapshot.Pods
		for a := range pods {
			for b := range pods {
				if a != b {
					check(reach.PodEndpoint(&pods[a]), reach.PodEndpoint(&pods[b]))
				}
			}
			for _, s := range pc.External {
				ip := reach.IPEndpoint(netip.MustParseAddr(s))
				check(reach.PodEndpoint(&pods[a]), ip)
				check(ip, reach.PodEndpoint(&pods[a]))
			}
		}
	}
	if shadowed == 0 {
		t.Fatalf("no shadowed rule among %d rules of %d snapshots: the test checks nothing", checked, n)
	}
	t.Logf("%d of %d tier rules shadowed in %d snapshots, none decides a verdict", shadowed, checked, n)
}
