package reach_test

// The reference evaluator: the NetworkPolicy rules of SEMANTICS.md read as
// literally as possible and applied to one pod pair at a time (refPrepare
// reads a pair once, without the port; at answers at each port). It shares no
// code with the engine on purpose: its own selector matching, its own port
// matching, and the standard library's net.ParseCIDR instead of net/netip,
// so a bug has to be made twice, independently, to go unnoticed. It is slow
// and simple; keep it that way.

import (
	"net"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// refEnd is a pod of the snapshot or an address outside the cluster.
type refEnd struct {
	pod *corev1.Pod
	ip  string
}

// refOptions are the engine's Options as the reference reads them.
type refOptions struct {
	ipBlockMatchesPods bool
	podCIDRs           []string // --pod-cidr
}

func refOpts(o reach.Options) refOptions {
	r := refOptions{ipBlockMatchesPods: o.IPBlockMatchesPods}
	for _, p := range o.PodCIDRs {
		r.podCIDRs = append(r.podCIDRs, p.String())
	}
	return r
}

type refSide struct {
	evaluated, isolated, allowed bool
	// maybe: no rule allows it for sure, but a rule whose address peer
	// holds part of where a pod without an IP may be would (undefined).
	maybe      bool
	isolatedBy []string // "ns/name" in snapshot order
	allowedBy  []string // "ns/name#rule"
	// why is one of external, self, hostNetwork, not isolated, allowed,
	// no rule.
	why string
}

type refVerdict struct {
	allowed bool
	// undefined: allowed for some address of a pod without an IP, denied
	// for another (a side maybe, neither denying for sure).
	undefined       bool
	egress, ingress refSide
}

func refEvaluate(snap *inventory.Snapshot, o refOptions, src, dst refEnd, port int32, proto string) refVerdict {
	pair := refPrepare(snap, o, src, dst)
	return pair.at(port, proto)
}

// refPair is the reference's reading of one pair, src to dst: everything
// that does not depend on the port, worked out once, so that the property
// tests can ask it about every port at little cost. at gives the verdict
// at one port.
type refPair struct {
	egress, ingress refSidePlan
	// Traffic to and from the node a pod runs on, or between a
	// hostNetwork pod and a pod on its node, which the ingress (from the
	// node) or egress (to the node) side always allows.
	nodeIngress, nodeEgress string
}

func refPrepare(snap *inventory.Snapshot, o refOptions, src, dst refEnd) refPair {
	self := src.pod != nil && dst.pod != nil && src.pod.Namespace == dst.pod.Namespace && src.pod.Name == dst.pod.Name
	p := refPair{
		egress:  refPlanSide(snap, o, "Egress", src, dst, dst, self),
		ingress: refPlanSide(snap, o, "Ingress", dst, src, dst, self),
	}
	// "Traffic to and from the node where a Pod is running is always
	// allowed": the node is the pod's status.hostIP(s).
	if src.pod == nil && dst.pod != nil && refOnNode(dst.pod, src.ip) {
		p.nodeIngress = "from node"
	}
	if dst.pod == nil && src.pod != nil && refOnNode(src.pod, dst.ip) {
		p.nodeEgress = "to node"
	}
	// A hostNetwork pod is its node, so the same holds between it and a
	// pod on that node.
	if refNodeLocalPods(src, dst) {
		if src.pod.Spec.HostNetwork {
			p.nodeIngress = "from node pod"
		} else {
			p.nodeEgress = "to node pod"
		}
	}
	return p
}

func (p *refPair) at(port int32, proto string) refVerdict {
	var v refVerdict
	v.egress = p.egress.at(port, proto)
	v.ingress = p.ingress.at(port, proto)
	if p.nodeIngress != "" {
		v.ingress = refSide{allowed: true, why: p.nodeIngress}
	}
	if p.nodeEgress != "" {
		v.egress = refSide{allowed: true, why: p.nodeEgress}
	}
	v.allowed = v.egress.allowed && v.ingress.allowed
	v.undefined = !v.allowed && (v.egress.maybe || v.ingress.maybe) &&
		(v.egress.allowed || v.egress.maybe) && (v.ingress.allowed || v.ingress.maybe)
	return v
}

// refSidePlan is one side of a pair without the port. Traffic leaving
// subject (Egress) or reaching it (Ingress) is allowed iff no policy
// isolates subject in that direction or some rule of such a policy allows
// it: the plan holds the policies isolating the subject, and the rules whose
// peers match the other end (or may: a pod without an IP that an address
// peer holds only in part), in policy and rule order. Only the rules' ports
// are left to check (at).
type refSidePlan struct {
	fixed      string // why, when no policy applies: external, self, hostNetwork
	dst        refEnd
	isolatedBy []string // "ns/name" in snapshot order
	rules      []refRuleHit
}

type refRuleHit struct {
	name  string // "ns/name#rule"
	ports []networkingv1.NetworkPolicyPort
	maybe bool
}

func refPlanSide(snap *inventory.Snapshot, o refOptions, direction string, subject, other, dst refEnd, self bool) refSidePlan {
	// Addresses, a pod talking to itself and hostNetwork pods are outside
	// NetworkPolicy's reach.
	switch {
	case subject.pod == nil:
		return refSidePlan{fixed: "external"}
	case self:
		return refSidePlan{fixed: "self"}
	case subject.pod.Spec.HostNetwork:
		return refSidePlan{fixed: "hostNetwork"}
	}
	plan := refSidePlan{dst: dst}
	for i := range snap.Policies {
		np := &snap.Policies[i]
		if np.Namespace != subject.pod.Namespace || !refSelectorMatches(&np.Spec.PodSelector, subject.pod.Labels) || !refHasType(np, direction) {
			continue
		}
		name := np.Namespace + "/" + np.Name
		plan.isolatedBy = append(plan.isolatedBy, name)
		type ruleView struct {
			peers []networkingv1.NetworkPolicyPeer
			ports []networkingv1.NetworkPolicyPort
		}
		var rules []ruleView
		if direction == "Ingress" {
			for _, r := range np.Spec.Ingress {
				rules = append(rules, ruleView{r.From, r.Ports})
			}
		} else {
			for _, r := range np.Spec.Egress {
				rules = append(rules, ruleView{r.To, r.Ports})
			}
		}
		for ri, r := range rules {
			switch refPeersMatch(snap, o, np, r.peers, other) {
			case matchYes:
				plan.rules = append(plan.rules, refRuleHit{name: name + "#" + strconv.Itoa(ri), ports: r.ports})
			case matchMaybe:
				plan.rules = append(plan.rules, refRuleHit{ports: r.ports, maybe: true})
			}
		}
	}
	return plan
}

// at finishes the side at one port: a rule counts if its ports hold it.
func (p *refSidePlan) at(port int32, proto string) refSide {
	if p.fixed != "" {
		return refSide{allowed: true, why: p.fixed}
	}
	side := refSide{evaluated: true, isolated: len(p.isolatedBy) > 0, isolatedBy: p.isolatedBy}
	maybe := false
	for _, r := range p.rules {
		if !refPortsMatch(r.ports, p.dst, port, proto) {
			continue
		}
		if r.maybe {
			maybe = true
		} else {
			side.allowedBy = append(side.allowedBy, r.name)
		}
	}
	side.allowed = !side.isolated || len(side.allowedBy) > 0
	switch {
	case !side.isolated:
		side.why = "not isolated"
	case side.allowed:
		side.why = "allowed"
	case maybe:
		side.maybe, side.why = true, "depends"
	default:
		side.why = "no rule"
	}
	return side
}

// refHasType applies the API server's defaulting of policyTypes.
func refHasType(np *networkingv1.NetworkPolicy, direction string) bool {
	if len(np.Spec.PolicyTypes) == 0 {
		return direction == "Ingress" || len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		if string(t) == direction {
			return true
		}
	}
	return false
}

func refPeersMatch(snap *inventory.Snapshot, o refOptions, np *networkingv1.NetworkPolicy, peers []networkingv1.NetworkPolicyPeer, other refEnd) match {
	if len(peers) == 0 {
		return matchYes // every source or destination, in or out of the cluster
	}
	out := matchNo
	for _, peer := range peers {
		switch refPeerMatches(snap, o, np, peer, other) {
		case matchYes:
			return matchYes
		case matchMaybe:
			out = matchMaybe
		}
	}
	return out
}

func refPeerMatches(snap *inventory.Snapshot, o refOptions, np *networkingv1.NetworkPolicy, peer networkingv1.NetworkPolicyPeer, other refEnd) match {
	if peer.IPBlock != nil {
		var ips []string
		if other.pod == nil {
			ips = []string{other.ip}
		} else {
			// hostNetwork pods carry node IPs: ipBlocks see them like any
			// outside address, whatever the option says about pod IPs.
			if !o.ipBlockMatchesPods && !other.pod.Spec.HostNetwork {
				return matchNo
			}
			ips = refPodIPs(other.pod)
			if len(ips) == 0 {
				return refUnknownIP(snap, o, other.pod, peer.IPBlock.CIDR, peer.IPBlock.Except)
			}
		}
		for _, ip := range ips {
			if refInBlock(peer.IPBlock, net.ParseIP(ip)) {
				return matchYes
			}
		}
		return matchNo
	}
	if other.pod == nil || other.pod.Spec.HostNetwork {
		return matchNo
	}
	if peer.NamespaceSelector == nil {
		if other.pod.Namespace != np.Namespace {
			return matchNo
		}
	} else if !refSelectorMatches(peer.NamespaceSelector, refNamespaceLabels(snap, other.pod.Namespace)) {
		return matchNo
	}
	if peer.PodSelector == nil || refSelectorMatches(peer.PodSelector, other.pod.Labels) {
		return matchYes
	}
	return matchNo
}

func refInBlock(b *networkingv1.IPBlock, ip net.IP) bool {
	// net.ParseCIDR masks the address, which is what a non-canonical CIDR
	// such as 10.0.0.5/0 means.
	_, cidr, err := net.ParseCIDR(b.CIDR)
	if err != nil || ip == nil || !cidr.Contains(ip) {
		return false
	}
	for _, e := range b.Except {
		if _, ex, err := net.ParseCIDR(e); err == nil && ex.Contains(ip) {
			return false
		}
	}
	return true
}

// refOnNode: ip is one of the addresses of the node the pod runs on.
func refOnNode(p *corev1.Pod, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	same := func(h string) bool {
		b, err := netip.ParseAddr(h)
		return err == nil && a.Unmap() == b.Unmap()
	}
	if same(p.Status.HostIP) {
		return true
	}
	for _, h := range p.Status.HostIPs {
		if same(h.IP) {
			return true
		}
	}
	return false
}

// refNodeLocalPods: one end a hostNetwork pod, the other a pod off the
// host network, on the same node: one spec.nodeName, or one address among
// the nodes' addresses, which are status.hostIP(s) and a hostNetwork pod's
// own IPs.
func refNodeLocalPods(src, dst refEnd) bool {
	if src.pod == nil || dst.pod == nil || src.pod.Spec.HostNetwork == dst.pod.Spec.HostNetwork {
		return false
	}
	h, p := src.pod, dst.pod
	if p.Spec.HostNetwork {
		h, p = p, h
	}
	if h.Spec.NodeName != "" && h.Spec.NodeName == p.Spec.NodeName {
		return true
	}
	addrs := []string{h.Status.HostIP, h.Status.PodIP}
	for _, a := range h.Status.HostIPs {
		addrs = append(addrs, a.IP)
	}
	for _, a := range h.Status.PodIPs {
		addrs = append(addrs, a.IP)
	}
	for _, a := range addrs {
		if a != "" && refOnNode(p, a) {
			return true
		}
	}
	return false
}

func refPodIPs(p *corev1.Pod) []string {
	var ips []string
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && p.Status.PodIP != "" {
		ips = append(ips, p.Status.PodIP)
	}
	return ips
}

func refNamespaceLabels(snap *inventory.Snapshot, name string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": name}
	for _, ns := range snap.Namespaces {
		if ns.Name == name {
			for k, v := range ns.Labels {
				out[k] = v
			}
			out["kubernetes.io/metadata.name"] = name
		}
	}
	return out
}

// refSelectorMatches: matchLabels and matchExpressions all hold; NotIn and
// DoesNotExist hold for objects lacking the key.
func refSelectorMatches(sel *metav1.LabelSelector, labels map[string]string) bool {
	for k, v := range sel.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, e := range sel.MatchExpressions {
		v, has := labels[e.Key]
		in := false
		for _, want := range e.Values {
			in = in || (has && v == want)
		}
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !in {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if in {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !has {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func refPortsMatch(ports []networkingv1.NetworkPolicyPort, dst refEnd, port int32, proto string) bool {
	if len(ports) == 0 {
		return true // every port of every protocol
	}
	for _, p := range ports {
		want := "TCP"
		if p.Protocol != nil {
			want = string(*p.Protocol)
		}
		if want != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.Int {
			end := p.Port.IntVal
			if p.EndPort != nil {
				end = *p.EndPort
			}
			if p.Port.IntVal <= port && port <= end {
				return true
			}
			continue
		}
		if refNamedPort(dst, p.Port.StrVal, proto) == port {
			return true
		}
	}
	return false
}

// refNamedPort resolves a port name on the destination: its containers and
// sidecars (init containers with restartPolicy Always). An address, or a
// hostNetwork pod, has no named ports. 0 means unresolved.
func refNamedPort(dst refEnd, name, proto string) int32 {
	if dst.pod == nil || dst.pod.Spec.HostNetwork {
		return 0
	}
	spec := &dst.pod.Spec
	for i := range len(spec.Containers) + len(spec.InitContainers) {
		var c *corev1.Container
		if i < len(spec.Containers) {
			c = &spec.Containers[i]
		} else if c = &spec.InitContainers[i-len(spec.Containers)]; c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, cp := range c.Ports {
			p := string(cp.Protocol)
			if p == "" {
				p = "TCP"
			}
			if cp.Name == name && p == proto {
				return cp.ContainerPort
			}
		}
	}
	return 0
}
