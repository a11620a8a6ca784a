package reach_test

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
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

// TestNodeLocalHostNetworkPods: a hostNetwork pod is its node, so traffic
// between it and a pod on the same node is node-local and always allowed,
// both in Verdict and in the matrix at both levels. "Same node" is the same
// spec.nodeName, or a shared node address: the pods' status.hostIP(s) and a
// hostNetwork pod's own IPs.
func TestNodeLocalHostNetworkPods(t *testing.T) {
	onNode := func(b *podBuilder, node string, hostIPs ...string) corev1.Pod {
		p := b.obj()
		p.Spec.NodeName = node
		for _, h := range hostIPs {
			p.Status.HostIPs = append(p.Status.HostIPs, corev1.HostIP{IP: h})
		}
		if len(hostIPs) > 0 {
			p.Status.HostIP = hostIPs[0]
		}
		return p
	}
	pods := []corev1.Pod{
		onNode(pod("x", "db").labels("app=db").ip("10.0.1.2"), "n1", "192.168.0.20"),
		// By spec.nodeName alone (a pod read before it had addresses).
		onNode(pod("kube-system", "agent").hostNetwork(), "n1"),
		// By its own IP, which is n1's address; no nodeName.
		onNode(pod("kube-system", "exporter").hostNetwork().ip("192.168.0.20"), ""),
		// Another node, by name and address.
		onNode(pod("kube-system", "far").hostNetwork().ip("192.168.0.21"), "n2", "192.168.0.21"),
	}
	snap := snapshot([]corev1.Namespace{namespace("x"), namespace("kube-system")}, pods, policy(t, `
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
	db := endpoint(t, m, "x/db")
	for _, name := range []string{"kube-system/agent", "kube-system/exporter"} {
		h := endpoint(t, m, name)
		in := m.Verdict(h, db, 5432, reach.TCP)
		if !in.Allowed || in.Ingress.Reason != reach.ReasonFromNodePod {
			t.Errorf("%s -> x/db: allowed=%v ingress %q, want allowed, %q", name, in.Allowed, in.Ingress.Reason, reach.ReasonFromNodePod)
		}
		out := m.Verdict(db, h, 9100, reach.TCP)
		if !out.Allowed || out.Egress.Reason != reach.ReasonToNodePod {
			t.Errorf("x/db -> %s: allowed=%v egress %q, want allowed, %q", name, out.Allowed, out.Egress.Reason, reach.ReasonToNodePod)
		}
	}
	far := endpoint(t, m, "kube-system/far")
	if v := m.Verdict(far, db, 5432, reach.TCP); v.Allowed || v.Ingress.Reason != reach.ReasonNoRule {
		t.Errorf("kube-system/far -> x/db: allowed=%v ingress %q, want denied, %q", v.Allowed, v.Ingress.Reason, reach.ReasonNoRule)
	}
	if v := m.Verdict(db, far, 9100, reach.TCP); v.Allowed {
		t.Errorf("x/db -> kube-system/far: allowed, want denied by deny-all and the Admin tier")
	}

	// The pod-level matrix says the same, and so does the workload level:
	// an edge holds the ports some pod pair may use.
	for _, level := range []reach.Level{reach.ByPod, reach.ByWorkload} {
		// Nodes in namespace order: kube-system's first.
		want := "agent->exporter=all agent->far=all agent->db=all exporter->agent=all exporter->far=all exporter->db=all " +
			"far->agent=all far->exporter=all db->agent=all db->exporter=all"
		if got := edges(m.Matrix(level)); got != want {
			t.Errorf("matrix by %s:\n got %s\nwant %s", level, got, want)
		}
	}
}

// TestGeneratorDrawsNodeLocalPods makes sure the random snapshots hold
// hostNetwork pods on the node of another pod, found each way sameNode
// knows, so the property tests exercise node-local traffic between pods.
func TestGeneratorDrawsNodeLocalPods(t *testing.T) {
	seen := map[string]int{}
	for seed := uint64(1); seed <= 500; seed++ {
		pods := reachtest.GenerateCase(reachtest.Seeded(seed)).Snapshot.Pods
		for i := range pods {
			for j := range pods {
				h, p := &pods[i], &pods[j]
				if !h.Spec.HostNetwork || p.Spec.HostNetwork || !refNodeLocalPods(refEnd{pod: h}, refEnd{pod: p}) {
					continue
				}
				seen["pair"]++
				if h.Spec.NodeName != "" && h.Spec.NodeName == p.Spec.NodeName && p.Status.HostIP == "" {
					seen["by nodeName only"]++
				}
				if h.Status.PodIP != "" && h.Status.PodIP == h.Status.HostIP && refOnNode(p, h.Status.PodIP) {
					seen["by the hostNetwork pod's IP"]++
				}
				if h.Spec.NodeName == "" && h.Status.HostIP != "" && refOnNode(p, h.Status.HostIP) {
					seen["by hostIP only"]++
				}
			}
		}
	}
	t.Logf("node-local pod pairs drawn in 500 snapshots: %v", seen)
	for _, k := range []string{"pair", "by nodeName only", "by the hostNetwork pod's IP", "by hostIP only"} {
		if seen[k] == 0 {
			t.Errorf("no node-local pod pair %s was drawn", k)
		}
	}
}

// offNodes returns the snapshot with its pods on no known node (no
// spec.nodeName, no status.hostIP(s)): the verdicts without node-local
// traffic, for views that leave it out.
func offNodes(snap *inventory.Snapshot) *inventory.Snapshot {
	cp := *snap
	cp.Pods = make([]corev1.Pod, len(snap.Pods))
	for i := range snap.Pods {
		p := snap.Pods[i].DeepCopy()
		p.Spec.NodeName, p.Status.HostIP, p.Status.HostIPs = "", "", nil
		cp.Pods[i] = *p
	}
	return &cp
}
