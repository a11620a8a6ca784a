package reach_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

// sides records, per direction, what the subject's side says of each
// probe, allowed, denied or undefined (a verdict that depends on a pod's
// IP is one): egress of every pod toward every pod and address, and
// ingress of every pod from every pod and address.
//
// Redundancy judges what policies allow, so node-local traffic, which no
// policy changes, is left out: the pods are judged on no node.
func sides(t *testing.T, snap *inventory.Snapshot, opts reach.Options, addrs []netip.Addr, probes []probe) []byte {
	t.Helper()
	snap = offNodes(snap)
	m, err := reach.Build(snap, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	side := func(d reach.Direction) byte {
		switch {
		case d.Allowed:
			return 'a'
		case d.Undefined:
			return 'u'
		}
		return 'd'
	}
	var out []byte
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
				out = append(out, side(m.Verdict(src, d, p.port, p.proto).Egress))
				out = append(out, side(m.Verdict(d, src, p.port, p.proto).Ingress))
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

// TestRedundancyIsExact removes each policy and each rule of random
// snapshots and checks the engine's Redundancy against the allowances with
// and without it: reported means nothing changes, not reported means
// something does. Allowances are allowed, denied and undefined: a verdict
// that depends on a pod's IP must depend on it still. The case's pod
// network (--pod-cidr) is tried too, where such verdicts are most common.
func TestRedundancyIsExact(t *testing.T) {
	n := 800
	if testing.Short() {
		n = 200
	}
	var policies, redundantPolicies, rules, redundantRules, onlyUndefined int
	defer func() {
		t.Logf("%d snapshots: %d of %d selecting policies and %d of %d rules found redundant, each confirmed by removing it; %d removals changed undefined verdicts only",
			n, redundantPolicies, policies, redundantRules, rules, onlyUndefined)
		if !t.Failed() && onlyUndefined == 0 {
			t.Errorf("no removal changed undefined verdicts only: the test no longer exercises them")
		}
	}()
	// changed compares the sides with and without something, and counts
	// the removals that change only undefined verdicts (those depending on
	// a pod's IP), which a check of allowed and denied alone would miss.
	changed := func(base, without []byte) bool {
		if slices.Equal(base, without) {
			return false
		}
		only := true
		for i := range base {
			if base[i] != without[i] && base[i] != 'u' && without[i] != 'u' {
				only = false
			}
		}
		if only {
			onlyUndefined++
		}
		return true
	}
	for i := 0; i < n; i++ {
		seed := uint64(100000 + i)
		pc := generateCase(randChooser{rand.New(rand.NewPCG(seed, 0))})
		snaps := []*inventory.Snapshot{pc.snap}
		switch i % 4 {
		case 0:
			snaps = append(snaps, withDependsProbe(pc.snap, rand.New(rand.NewPCG(seed, 1))))
		case 1:
			// Cluster-wide tiers decide before and after NetworkPolicies:
			// a Baseline Deny makes a policy that allows everything needed.
			snaps = append(snaps, reachtest.GenerateTierCase(reachtest.Seeded(seed)).Snapshot)
		}
		for _, snap := range snaps {
			for _, opts := range caseOptions(pc.podCIDRs) {
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
					t.Fatalf("seed %d (ipBlockMatchesPods=%v, pod CIDRs %v): %s: reported redundant: %v; removing it changes no allowance: %v\n%s",
						seed, opts.IPBlockMatchesPods, opts.PodCIDRs, what, reported, !reported, dumpSnapshot(snap))
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
					same := !changed(base, sides(t, without(snap, func(x *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
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
							same := !changed(base, sides(t, without(snap, func(x *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
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
}

// TestRedundancyKeepsDepends: a rule whose only effect is a verdict that
// depends on a pod's IP is not redundant. x/probe's second egress rule
// allows http toward 10.0.0.0/24: toward addresses a port name means
// nothing, and no pod with an IP is in that range, but x/tmpl, which has no
// IP and could be anywhere in 10.0.0.0/16, may be. Without the rule
// x/src -> x/tmpl:8080 is denied instead of depending on tmpl's IP.
func TestRedundancyKeepsDepends(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "src").labels("app=src").ip("10.0.5.1").obj(),
		pod("x", "tmpl").labels("app=tmpl").port("http", corev1.ProtocolTCP, 8080).obj(),
	}
	snap := snapshot([]corev1.Namespace{namespace("x")}, pods, policy(t, `
metadata: {namespace: x, name: lock}
spec:
  podSelector: {matchLabels: {app: src}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: none}}}]}]`), policy(t, `
metadata: {namespace: x, name: probe}
spec:
  podSelector: {matchLabels: {app: src}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: none}}}]
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]
    ports: [{port: http}]`))
	opts := reach.DefaultOptions()
	opts.PodCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	m := build(t, snap, opts)
	if v := m.Verdict(endpoint(t, m, "x/src"), endpoint(t, m, "x/tmpl"), 8080, reach.TCP); !v.Depends {
		t.Fatalf("x/src -> x/tmpl 8080/TCP: allowed=%v depends=%v, want depends (the fixture is wrong)", v.Allowed, v.Depends)
	}
	red := m.Redundancy()
	var got []string
	for _, p := range red.Policies {
		got = append(got, p.String())
	}
	for _, r := range red.Rules {
		got = append(got, fmt.Sprintf("%s %s %d", r.Policy, r.Direction, r.Rule))
	}
	// x/lock allows nothing and x/probe isolates src without it; probe's
	// first rule allows nothing either.
	want := []string{"x/lock", "x/probe egress 0"}
	if !slices.Equal(got, want) {
		t.Errorf("redundant: got %q, want %q", got, want)
	}
}

// withDependsProbe adds to a snapshot what random policies rarely draw: a
// rule whose only effect may be a verdict that depends on a pod's IP. An
// egress rule toward an ipBlock on a named port allows nothing toward
// addresses (a name means nothing there), so toward a pod without an IP
// that declares the name it allows at most "depends"; a second policy
// keeps the pods isolated without it.
func withDependsProbe(snap *inventory.Snapshot, r *rand.Rand) *inventory.Snapshot {
	cp := *snap
	cp.Policies = append([]networkingv1.NetworkPolicy(nil), snap.Policies...)
	ns := snap.Pods[r.IntN(len(snap.Pods))].Namespace
	egress := []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	lock := networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lock"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: egress},
	}
	cidrs := []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.0.0/16", "192.168.0.0/16", "fd00::/64"}
	protos := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP}
	name := intstr.FromString([]string{"http", "dns", "metrics"}[r.IntN(3)])
	proto := protos[r.IntN(2)]
	probe := networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: egress, Egress: []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: cidrs[r.IntN(len(cidrs))]}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &proto, Port: &name}},
		}}},
	}
	cp.Policies = append(cp.Policies, lock, probe)
	cp.Sort()
	return &cp
}

// TestRedundancyUnderBaseline: the Baseline tier decides only for pods no
// NetworkPolicy isolates, so a policy allowing everything is not redundant
// when a Baseline Deny would take over without it.
func TestRedundancyUnderBaseline(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "web").labels("app=web").ip("10.0.0.1").obj(),
		pod("x", "client").labels("app=client").ip("10.0.0.2").obj(),
	}
	snap := snapshot([]corev1.Namespace{namespace("x")}, pods, policy(t, `
metadata: {namespace: x, name: open}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]`))
	snap.ClusterNetworkPolicies = []npav1beta1.ClusterNetworkPolicy{cnp(t, `
metadata: {name: default-deny}
spec:
  tier: Baseline
  priority: 0
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
`)}
	m := build(t, snap, reach.DefaultOptions())
	if v := m.Verdict(endpoint(t, m, "x/client"), endpoint(t, m, "x/web"), 80, reach.TCP); !v.Allowed {
		t.Fatalf("x/client -> x/web: denied, want allowed by x/open (the fixture is wrong)")
	}
	if red := m.Redundancy(); len(red.Policies) > 0 || len(red.Rules) > 0 {
		t.Errorf("redundant: %v, want nothing: without x/open the Baseline tier denies x/client -> x/web", red)
	}
}
