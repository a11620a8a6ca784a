package reach_test

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// TestNodeLocalTraffic: traffic between a pod and the node it runs on
// (status.hostIP/hostIPs) is always allowed, whatever NetworkPolicies and
// an Admin tier Deny say; another node's address is an ordinary address.
func TestNodeLocalTraffic(t *testing.T) {
	db := pod("x", "db").labels("app=db").ip("10.0.1.2").obj()
	db.Status.HostIP = "192.168.0.20"
	db.Status.HostIPs = []corev1.HostIP{{IP: "192.168.0.20"}, {IP: "fd00::20"}}
	snap := snapshot([]corev1.Namespace{namespace("x")}, []corev1.Pod{db}, policy(t, `
metadata: {namespace: x, name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`))
	snap.ClusterNetworkPolicies = []npav1beta1.ClusterNetworkPolicy{cnp(t, `
metadata: {name: lockdown}
spec:
  tier: Admin
  priority: 0
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{networks: ["0.0.0.0/0", "::/0"]}]
`)}
	m := build(t, snap, reach.DefaultOptions())
	dbEnd := reach.PodEndpoint(&snap.Pods[0])
	for _, node := range []string{"192.168.0.20", "fd00::20"} {
		a := reach.IPEndpoint(netip.MustParseAddr(node))
		in := m.Verdict(a, dbEnd, 5432, reach.TCP)
		if !in.Allowed || in.Ingress.Reason != reach.ReasonFromNode {
			t.Errorf("%s -> x/db: allowed=%v ingress %q, want allowed, %q", node, in.Allowed, in.Ingress.Reason, reach.ReasonFromNode)
		}
		out := m.Verdict(dbEnd, a, 10250, reach.TCP)
		if !out.Allowed || out.Egress.Reason != reach.ReasonToNode {
			t.Errorf("x/db -> %s: allowed=%v egress %q, want allowed, %q", node, out.Allowed, out.Egress.Reason, reach.ReasonToNode)
		}
	}
	other := reach.IPEndpoint(netip.MustParseAddr("192.168.0.21"))
	if v := m.Verdict(other, dbEnd, 5432, reach.TCP); v.Allowed || v.Ingress.Reason != reach.ReasonNoRule {
		t.Errorf("another node -> x/db: allowed=%v ingress %q, want denied, %q", v.Allowed, v.Ingress.Reason, reach.ReasonNoRule)
	}
	if v := m.Verdict(dbEnd, other, 10250, reach.TCP); v.Allowed {
		t.Errorf("x/db -> another node: allowed, want denied by the Admin tier")
	}
}
