package reach_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// sides records, per direction, whether each probe is allowed on the
// subject's side: egress of every pod toward every pod and address, and
// ingress of every pod from every pod and address.
//
// Redundancy judges what policies allow, so node-local traffic, which no
// policy changes, is left out: the pods are judged on no node.
func sides(t *testing.T, snap *inventory.Snapshot, opts reach.Options, addrs []netip.Addr, probes []probe) []bool {
	t.Helper()
	snap = offNodes(snap)
	m, err := reach.Build(snap, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var out []bool
	for i := range snap.Pods {
		src := reach.PodEndpoint(&snap.Pods[i])
		var dsts []reach.Endpoint
		for j := range snap.Pods {
			dsts = append(dsts, reach.PodEndpoint(&snap.Pods[j]))
		}
		for _, a := range addrs {
			dsts = append(dsts, reach.IPEndpoint(a))
		}
		for _, d := range dsts {
			for _, p := range probes {
				out = append(out, m.Verdict(src, d, p.port, p.proto).Egress.Allowed)
				out = append(out, m.Verdict(d, src, p.port, p.proto).Ingress.Allowed)
			}
		}
	}
	return out
}

// boundaryAddrs are addresses on both sides of every ipBlock edge, so that
// every range the ipBlocks tell apart is probed.
func boundaryAddrs(snap *inventory.Snapshot) []netip.Addr {
	seen := map[netip.Addr]bool{}
	add := func(cidr string) {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return
		}
		p = p.Masked()
		first := p.Addr()
		last := first
		for i := 0; i < p.Addr().BitLen()-p.Bits(); i++ {
			b := last.AsSlice()
			idx := len(b) - 1 - i/8
			b[idx] |= 1 << (i % 8)
			last, _ = netip.AddrFromSlice(b)
		}
		for _, a := range []netip.Addr{first, last, first.Prev(), last.Next()} {
			if a.IsValid() {
				seen[a] = true
			}
		}
	}
	for _, np := range snap.Policies {
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range np.Spec.Ingress {
			peers = append(peers, r.From...)
		}
		for _, r := range np.Spec.Egress {
			peers = append(peers, r.To...)
		}
		for _, pr := range peers {
			if pr.IPBlock != nil {
				add(pr.IPBlock.CIDR)
				for _, e := range pr.IPBlock.Except {
					add(e)
				}
			}
		}
	}
	seen[netip.MustParseAddr("192.0.2.1")] = true
	seen[netip.MustParseAddr("2001:db8::1")] = true
	var out []netip.Addr
	for a := range seen {
		out = append(out, a)
	}
	return out
}

func without(snap *inventory.Snapshot, drop func(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy) *inventory.Snapshot {
	cp := *snap
	cp.Policies = nil
	for i := range snap.Policies {
		if np := drop(snap.Policies[i].DeepCopy()); np != nil {
			cp.Policies = append(cp.Policies, *np)
		}
	}
	return &cp
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRedundancyIsExact removes each policy and each rule of random
// snapshots and checks the engine's Redundancy against the allowances with
// and without it: reported means nothing changes, not reported means
// something does.
func TestRedundancyIsExact(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 200
	}
	var policies, redundantPolicies, rules, redundantRules int
	defer func() {
		t.Logf("%d snapshots: %d of %d selecting policies and %d of %d rules found redundant, each confirmed by removing it",
			n, redundantPolicies, policies, redundantRules, rules)
	}()
	for i := 0; i < n; i++ {
		seed := uint64(100000 + i)
		pc := generateCase(randChooser{rand.New(rand.NewPCG(seed, 0))})
		snap := pc.snap
		for _, opts := range []reach.Options{{IPBlockMatchesPods: true}, {IPBlockMatchesPods: false}} {
			m, err := reach.Build(snap, opts)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			red := m.Redundancy()
			reported := map[string]bool{}
			for _, p := range red.Policies {
				reported[p.String()] = true
			}
			for _, r := range red.Rules {
				reported[fmt.Sprintf("%s %s %d", r.Policy, r.Direction, r.Rule)] = true
			}
			addrs, probes := boundaryAddrs(snap), probePorts(snap)
			base := sides(t, snap, opts, addrs, probes)
			fail := func(what string, reported bool) {
				t.Fatalf("seed %d (ipBlockMatchesPods=%v): %s: reported redundant: %v; removing it changes no allowance: %v\n%s",
					seed, opts.IPBlockMatchesPods, what, reported, !reported, dumpSnapshot(snap))
			}
			for pi := range snap.Policies {
				np := &snap.Policies[pi]
				ref := reach.NetworkPolicyRef(np.Namespace, np.Name)
				if len(m.SelectedPods(ref)) == 0 {
					if reported[ref.String()] {
						t.Fatalf("seed %d: %s selects no pod but is reported redundant", seed, ref)
					}
					continue
				}
				same := equalBools(base, sides(t, without(snap, func(x *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
					if x.Namespace == np.Namespace && x.Name == np.Name {
						return nil
					}
					return x
				}), opts, addrs, probes))
				if same != reported[ref.String()] {
					fail(ref.String(), reported[ref.String()])
				}
				policies++
				if same {
					redundantPolicies++
				}
				if same {
					continue // its rules are not reported separately
				}
				in, eg := reach.EffectiveTypes(np)
				for _, d := range []string{"ingress", "egress"} {
					count := len(np.Spec.Ingress)
					if d == "egress" {
						count = len(np.Spec.Egress)
					}
					if (d == "ingress" && !in) || (d == "egress" && !eg) {
						continue // ignored rules are not compiled
					}
					for ri := 0; ri < count; ri++ {
						key := fmt.Sprintf("%s %s %d", ref, d, ri)
						same := equalBools(base, sides(t, without(snap, func(x *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
							if x.Namespace != np.Namespace || x.Name != np.Name {
								return x
							}
							if d == "ingress" {
								x.Spec.Ingress = append(x.Spec.Ingress[:ri:ri], x.Spec.Ingress[ri+1:]...)
							} else {
								x.Spec.Egress = append(x.Spec.Egress[:ri:ri], x.Spec.Egress[ri+1:]...)
							}
							// Keep the effective types: dropping the last egress
							// rule must not drop Egress isolation.
							x.Spec.PolicyTypes = nil
							for _, tn := range reach.EffectiveTypeNames(np) {
								x.Spec.PolicyTypes = append(x.Spec.PolicyTypes, networkingv1.PolicyType(tn))
							}
							return x
						}), opts, addrs, probes))
						if same != reported[key] {
							fail(key, reported[key])
						}
						rules++
						if same {
							redundantRules++
						}
					}
				}
			}
		}
	}
}
