package audit

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA050", Name: "dns-blocked", Severity: High,
	Summary: "An egress-isolated workload cannot reach cluster DNS (kube-dns/CoreDNS) over both UDP and TCP: name lookups fail.",
	Run:     dnsBlocked,
})

// dnsTarget is a DNS server pod and the ports it serves on.
type dnsTarget struct {
	pod       *corev1.Pod
	udp, tcp  int32
	synthetic bool
	// ip is set instead of pod for NodeLocal DNSCache's link-local address.
	ip netip.Addr
}

// nodeLocalDNS is the address NodeLocal DNSCache listens on, on every node.
var nodeLocalDNS = netip.MustParseAddr("169.254.20.10")

// dnsTargets finds NodeLocal DNSCache (last) and kube-dns/CoreDNS pods (k8s-app=kube-dns in kube-system)
// and the container ports they really serve on (CoreDNS may listen on a
// port other than the Service's 53). Without any, a standard CoreDNS pod is
// assumed so manifests without kube-system can still be checked.
func dnsTargets(in *Input) (out []dnsTarget) {
	for _, p := range in.facts.podsByNS[metav1.NamespaceSystem] {
		if p.Labels["k8s-app"] != "kube-dns" || p.Spec.HostNetwork {
			continue
		}
		t := dnsTarget{pod: p, udp: 53, tcp: 53}
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				switch {
				case cp.Protocol == corev1.ProtocolUDP && (cp.Name == "dns" || cp.ContainerPort == 53):
					t.udp = cp.ContainerPort
				case (cp.Protocol == corev1.ProtocolTCP || cp.Protocol == "") && (cp.Name == "dns-tcp" || cp.ContainerPort == 53):
					t.tcp = cp.ContainerPort
				}
			}
		}
		out = append(out, t)
	}
	// NodeLocal DNSCache: pods ask a cache on their node, at 169.254.20.10
	// (the node-local-dns pods, on the host network); egress allowed there
	// resolves names too. It counts where the cache is in the inventory or
	// a policy names its address: a wide ipBlock alone does not make it so.
	var local []dnsTarget
	for _, p := range in.facts.podsByNS[metav1.NamespaceSystem] {
		if p.Labels["k8s-app"] == "node-local-dns" {
			local = append(local, dnsTarget{pod: p, udp: 53, tcp: 53})
		}
	}
	if len(local) > 0 || namesNodeLocalDNS(in) {
		local = append(local, dnsTarget{ip: nodeLocalDNS, udp: 53, tcp: 53})
	}
	defer func() { out = append(out, local...) }()
	if len(out) == 0 {
		out = append(out, dnsTarget{synthetic: true, udp: 53, tcp: 53, pod: &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "coredns (assumed)", Labels: map[string]string{"k8s-app": "kube-dns"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "coredns", Ports: []corev1.ContainerPort{
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
			}}}},
		}})
	}
	return out
}

func dnsBlocked(in *Input) []Finding {
	targets := dnsTargets(in)
	var isolated []*corev1.Pod
	for _, ns := range in.facts.namespaces {
		for _, p := range in.facts.podsByNS[ns] {
			if len(in.facts.protectedBy(p, "egress")) > 0 {
				isolated = append(isolated, p)
			}
		}
	}
	order, pods := workloadsOf(isolated)
	// Pods of one class get the same verdicts: ask once per class.
	byClass := map[int][]string{}
	missing := func(p *corev1.Pod) []string {
		c, ok := in.facts.podClass[podKey(p)]
		if !ok || isTarget(p, targets) {
			// A DNS pod always reaches itself, unlike its replicas.
			return missingDNS(in.Model, p, targets)
		}
		m, ok := byClass[c]
		if !ok {
			m = missingDNS(in.Model, p, targets)
			byClass[c] = m
		}
		return m
	}
	var out []Finding
	for _, w := range order {
		// Pods of one workload normally share a verdict; check each and
		// report the first that fails, naming it.
		var lacking []string
		var culprit *corev1.Pod
		for _, p := range pods[w] {
			lacking = missing(p)
			if len(lacking) > 0 {
				culprit = p
				break
			}
		}
		if culprit == nil {
			continue
		}
		var by []string
		by = append(by, in.facts.protectedBy(culprit, "egress")...)
		sort.Strings(by)
		target := "kube-system/" + targets[0].pod.Name
		if targets[0].synthetic {
			target = "CoreDNS (no kube-dns pods in the inventory; assumed kube-system pods labelled k8s-app=kube-dns on 53/UDP and 53/TCP)"
		}
		out = append(out, Finding{
			Severity: High,
			Message: fmt.Sprintf("%s is egress-isolated (by %s) and cannot reach cluster DNS on %s: name lookups will fail",
				w, truncateList(by, 3), strings.Join(lacking, " and ")),
			Objects: []Object{objectOfWorkload(w)},
			Fix:     "allow egress to namespace kube-system, pods k8s-app=kube-dns, on UDP and TCP 53 (the DNS pods' container ports)",
			Change:  ChangeAllowDNS,
			Details: []string{"pod checked: " + culprit.Name, "DNS: " + target},
		})
	}
	return out
}

// missingDNS lists the protocols on which the pod reaches no DNS pod.
func missingDNS(m *reach.Model, p *corev1.Pod, targets []dnsTarget) []string {
	var missing []string
	for _, proto := range []reach.Protocol{reach.UDP, reach.TCP} {
		ok := false
		for _, t := range targets {
			port := t.udp
			if proto == reach.TCP {
				port = t.tcp
			}
			to := reach.PodEndpoint(t.pod)
			if t.pod == nil {
				to = reach.IPEndpoint(t.ip)
			}
			// A verdict that depends on a pod's IP is not a blocked DNS:
			// NA061 reports the pods it depends on.
			if v := m.Verdict(reach.PodEndpoint(p), to, port, proto); v.Allowed || v.Depends {
				ok = true
				break
			}
		}
		if !ok {
			port := targets[0].udp
			if proto == reach.TCP {
				port = targets[0].tcp
			}
			missing = append(missing, fmt.Sprintf("%d/%s", port, proto))
		}
	}
	return missing
}

func isTarget(p *corev1.Pod, targets []dnsTarget) bool {
	for _, t := range targets {
		if t.pod != nil && t.pod.Namespace == p.Namespace && t.pod.Name == p.Name {
			return true
		}
	}
	return false
}

// namesNodeLocalDNS says whether an egress ipBlock is NodeLocal DNSCache's
// address exactly.
func namesNodeLocalDNS(in *Input) bool {
	for i := range in.Snap.Policies {
		for _, r := range in.Snap.Policies[i].Spec.Egress {
			for _, peer := range r.To {
				if peer.IPBlock != nil && peer.IPBlock.CIDR == nodeLocalDNS.String()+"/32" {
					return true
				}
			}
		}
	}
	return false
}
