package reach_test

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"testing"

	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

func cnp(t testing.TB, doc string) npav1beta1.ClusterNetworkPolicy {
	t.Helper()
	var p npav1beta1.ClusterNetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTierChain walks an Admin Pass into a NetworkPolicy namespace and a
// Baseline deny, and checks verdicts, the chain and the matrix agree.
func TestTierChain(t *testing.T) {
	x1 := pod("x", "a").labels("app=a").ip("10.0.0.1").obj()
	y1 := pod("y", "b").labels("app=b").ip("10.0.1.1").obj()
	z1 := pod("z", "c").labels("app=c").ip("10.0.2.1").obj()
	snap := &inventory.Snapshot{
		Namespaces: nsList("x", "y", "z"),
		Pods:       []corev1.Pod{x1, y1, z1},
		ClusterNetworkPolicies: []npav1beta1.ClusterNetworkPolicy{
			cnp(t, `
metadata: {name: guard}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - action: Pass
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}]
  - action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}]
    protocols: [{tcp: {destinationPort: {number: 80}}}]
`),
			cnp(t, `
metadata: {name: base}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
`),
		},
	}
	m, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		from, to  corev1.Pod
		port      int32
		allowed   bool
		undefined bool
	}{
		{"x passes, baseline denies", x1, y1, 80, false, false},
		{"z denied on 80 by admin", z1, y1, 80, false, false},
		{"z on 81: baseline denies", z1, y1, 81, false, false},
	}
	for _, tc := range cases {
		v := m.Verdict(reach.PodEndpoint(&tc.from), reach.PodEndpoint(&tc.to), tc.port, reach.TCP)
		if v.Allowed != tc.allowed || v.Undefined != tc.undefined {
			t.Errorf("%s: got allowed=%v undefined=%v, want %v %v; chain %+v", tc.name, v.Allowed, v.Undefined, tc.allowed, tc.undefined, v.Ingress.Tiers)
		}
		if len(v.Ingress.Tiers) == 0 {
			t.Errorf("%s: no tier chain", tc.name)
		}
	}
	// An address is not selected by namespaces peers: the Baseline deny
	// does not apply, and nothing else does.
	v := m.Verdict(reach.IPEndpoint(netip.MustParseAddr("192.0.2.1")), reach.PodEndpoint(&y1), 80, reach.TCP)
	if !v.Allowed {
		t.Errorf("address -> y: got denied, want allowed: %+v", v.Ingress)
	}
	mx := m.Matrix(reach.ByWorkload)
	if len(mx.Edges) != 0 {
		t.Errorf("matrix: got %d edges, want none (every pod pair is denied): %+v", len(mx.Edges), mx.Edges)
	}
}

// TestEqualPriorityUndefined: two Admin policies of equal priority, one
// Allow and one Deny for the same traffic, make the verdict undefined.
func TestEqualPriorityUndefined(t *testing.T) {
	x1 := pod("x", "a").labels("app=a").ip("10.0.0.1").obj()
	y1 := pod("y", "b").labels("app=b").ip("10.0.1.1").obj()
	snap := &inventory.Snapshot{
		Namespaces: nsList("x", "y"),
		Pods:       []corev1.Pod{x1, y1},
		ClusterNetworkPolicies: []npav1beta1.ClusterNetworkPolicy{
			cnp(t, `
metadata: {name: allow}
spec:
  tier: Admin
  priority: 3
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
  ingress:
  - action: Accept
    from: [{namespaces: {}}]
`),
			cnp(t, `
metadata: {name: deny}
spec:
  tier: Admin
  priority: 3
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {range: {start: 80, end: 90}}}}]
`),
		},
	}
	m, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	v := m.Verdict(reach.PodEndpoint(&x1), reach.PodEndpoint(&y1), 85, reach.TCP)
	if v.Allowed || !v.Undefined {
		t.Errorf("85/TCP: got allowed=%v undefined=%v, want undefined: %+v", v.Allowed, v.Undefined, v.Ingress)
	}
	v = m.Verdict(reach.PodEndpoint(&x1), reach.PodEndpoint(&y1), 95, reach.TCP)
	if !v.Allowed || v.Undefined {
		t.Errorf("95/TCP: got allowed=%v undefined=%v, want allowed", v.Allowed, v.Undefined)
	}
	mx := m.Matrix(reach.ByWorkload)
	if len(mx.Undefined) != 1 || mx.Undefined[0].Ports.String() != "TCP:80-90" {
		t.Errorf("matrix undefined: got %+v, want one edge 80-90/TCP", mx.Undefined)
	}
	if len(mx.Edges) != 2 || mx.Edges[0].Ports.Contains(reach.TCP, 85) || !mx.Edges[0].Ports.Contains(reach.TCP, 95) || !mx.Edges[1].Ports.IsAll() {
		t.Errorf("matrix edges: got %+v, want x->y without 80-90/TCP and y->x on all ports", mx.Edges)
	}
}

func nsList(names ...string) []corev1.Namespace {
	var out []corev1.Namespace
	for _, n := range names {
		out = append(out, namespace(n))
	}
	return out
}
