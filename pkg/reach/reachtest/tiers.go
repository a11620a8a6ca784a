package reachtest

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// The cluster-wide tiers on top of a GenerateCase snapshot: Admin and
// Baseline policies of both API shapes (ClusterNetworkPolicy v1beta1,
// AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1), every action
// each allows, priorities from a small set so that equal priorities collide,
// several rules whose order matters, port numbers, ranges and named ports,
// networks peers (canonical CIDRs, as the CRDs require) and, now and then,
// domainNames and nodes peers, with or without Node objects.

var (
	tierPriorities = []int32{0, 1, 1, 2, 2, 5}
	// tierNetworks are canonical: the CRDs refuse host bits.
	tierNetworks = []string{"10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24", "10.0.1.5/32", "0.0.0.0/0", "192.168.0.0/16",
		"172.16.0.0/12", "fd00::/8", "fd00::/64", "::/0", "2001:db8::/32", "fd00:0:0:1::5/128"}
	tierPortNumbers = []int32{53, 80, 443, 5353, 8080, 9090}
	// tierNodeAddresses include pod IPs (hostNetwork pods carry their
	// node's address) and outside addresses the property test probes.
	tierNodeAddresses = []string{"10.0.0.1", "10.0.1.5", "192.168.0.10", "172.16.0.5", "10.0.0.3", "8.8.8.8", "fd00::1", "2001:db8::1", "fd00:0:0:1::5"}
	nodeLabels        = map[string][]string{"role": {"infra", "worker"}, "zone": {"a", "b"}}
)

// GenerateTierCase draws a GenerateCase snapshot (with its outside
// addresses) and adds tier policies and, sometimes, Node objects.
func GenerateTierCase(c Chooser) Case {
	pc := GenerateCase(c)
	g := gen{c}
	s := pc.Snapshot
	for i, n := 0, g.c.IntN(5); i < n; i++ {
		name := fmt.Sprintf("admin%d", i)
		if g.chance(1, 2) {
			s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, genCNP(g, name, npav1beta1.AdminTier))
		} else {
			s.AdminNetworkPolicies = append(s.AdminNetworkPolicies, genANP(g, name))
		}
	}
	for i, n := 0, g.c.IntN(4); i < n; i++ {
		if g.chance(2, 3) {
			s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, genCNP(g, fmt.Sprintf("baseline%d", i), npav1beta1.BaselineTier))
		} else if len(s.BaselineAdminNetworkPolicies) == 0 || g.chance(1, 4) {
			// The API allows one, named default; files may hold more.
			name := "default"
			if len(s.BaselineAdminNetworkPolicies) > 0 {
				name = fmt.Sprintf("default%d", i)
			}
			s.BaselineAdminNetworkPolicies = append(s.BaselineAdminNetworkPolicies, genBANP(g, name))
		}
	}
	if g.chance(1, 2) {
		s.NodesKnown = true
		for i, n := 0, g.c.IntN(3); i < n; i++ {
			node := corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node%d", i), Labels: map[string]string{}}}
			if g.chance(2, 3) {
				node.Labels["role"] = pick(g, nodeLabels["role"]...)
			}
			if g.chance(1, 2) {
				node.Labels["zone"] = pick(g, nodeLabels["zone"]...)
			}
			for j := 1 + g.c.IntN(2); j > 0; j-- {
				node.Status.Addresses = append(node.Status.Addresses, corev1.NodeAddress{Type: pick(g, corev1.NodeInternalIP, corev1.NodeExternalIP), Address: pick(g, tierNodeAddresses...)})
			}
			if g.chance(1, 3) {
				node.Status.Addresses = append(node.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: node.Name})
			}
			if g.chance(1, 2) {
				node.Spec.PodCIDRs = []string{pick(g, genPodCIDRs...)}
				node.Spec.PodCIDR = node.Spec.PodCIDRs[0]
			}
			s.Nodes = append(s.Nodes, node)
		}
	}
	s.Sort()
	return pc
}

func genSubject(g gen) npav1beta1.ClusterNetworkPolicySubject {
	if g.chance(1, 2) {
		return npav1beta1.ClusterNetworkPolicySubject{Namespaces: genSelector(g, genNSLabels)}
	}
	return npav1beta1.ClusterNetworkPolicySubject{Pods: &npav1beta1.NamespacedPod{NamespaceSelector: *genSelector(g, genNSLabels), PodSelector: *genSelector(g, genPodLabels)}}
}

func alphaSubject(s npav1beta1.ClusterNetworkPolicySubject) npav1alpha1.AdminNetworkPolicySubject {
	out := npav1alpha1.AdminNetworkPolicySubject{Namespaces: s.Namespaces}
	if s.Pods != nil {
		out.Pods = &npav1alpha1.NamespacedPod{NamespaceSelector: s.Pods.NamespaceSelector, PodSelector: s.Pods.PodSelector}
	}
	return out
}

// tierPeer is one drawn peer, in a shape both API versions can spell.
type tierPeer struct {
	namespaces *metav1.LabelSelector
	pods       *npav1beta1.NamespacedPod
	nodes      *metav1.LabelSelector
	networks   []string
	domains    []string
	empty      bool // a peer whose only field this version does not know
}

// genTierPeers draws 1 to 3 peers; egress peers may be addresses, nodes
// or (for Accept rules) domain names.
func genTierPeers(g gen, egress, accept bool) []tierPeer {
	var out []tierPeer
	for n := 1 + g.c.IntN(3); n > 0; n-- {
		var p tierPeer
		k := g.c.IntN(20)
		if !egress {
			k %= 9
		}
		switch {
		case k < 4:
			p.namespaces = genSelector(g, genNSLabels)
		case k < 9:
			p.pods = &npav1beta1.NamespacedPod{NamespaceSelector: *genSelector(g, genNSLabels), PodSelector: *genSelector(g, genPodLabels)}
		case k < 16:
			for m := 1 + g.c.IntN(2); m > 0; m-- {
				p.networks = append(p.networks, pick(g, tierNetworks...))
			}
			slices.Sort(p.networks)
			p.networks = slices.Compact(p.networks)
		case k < 18:
			p.nodes = genSelector(g, nodeLabels)
		case k < 19 && accept:
			p.domains = []string{pick(g, "example.com", "*.example.com")}
		case k < 19:
			p.networks = []string{pick(g, tierNetworks...)}
		default:
			if g.chance(1, 4) {
				p.empty = true
			} else {
				p.namespaces = &metav1.LabelSelector{}
			}
		}
		out = append(out, p)
	}
	return out
}

// tierPort is one drawn port entry.
type tierPort struct {
	proto    corev1.Protocol
	all      bool
	number   int32
	from, to int32
	named    string
}

func genTierPorts(g gen) []tierPort {
	if g.chance(1, 3) {
		return nil
	}
	var out []tierPort
	for n := 1 + g.c.IntN(3); n > 0; n-- {
		p := tierPort{proto: pick(g, corev1.ProtocolTCP, corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)}
		switch g.c.IntN(6) {
		case 0:
			p.all = true
		case 1, 2:
			p.number = pick(g, tierPortNumbers...)
		case 3, 4:
			p.from = pick(g, tierPortNumbers...)
			p.to = min(p.from+pick(g, int32(1), 10, 1000, 60000), 65535)
		default:
			p.named = pick(g, genPortNames...)
		}
		out = append(out, p)
	}
	return out
}

func genCNP(g gen, name string, tier npav1beta1.Tier) npav1beta1.ClusterNetworkPolicy {
	p := npav1beta1.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1beta1", Kind: "ClusterNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       npav1beta1.ClusterNetworkPolicySpec{Tier: tier, Priority: pick(g, tierPriorities...), Subject: genSubject(g)},
	}
	actions := []npav1beta1.ClusterNetworkPolicyRuleAction{npav1beta1.ClusterNetworkPolicyRuleActionAccept, npav1beta1.ClusterNetworkPolicyRuleActionDeny, npav1beta1.ClusterNetworkPolicyRuleActionPass}
	for n := g.c.IntN(4); n > 0; n-- {
		a := pick(g, actions...)
		r := npav1beta1.ClusterNetworkPolicyIngressRule{Action: a, Protocols: betaPorts(genTierPorts(g))}
		for _, peer := range genTierPeers(g, false, false) {
			r.From = append(r.From, npav1beta1.ClusterNetworkPolicyIngressPeer{Namespaces: peer.namespaces, Pods: peer.pods})
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
	}
	for n := g.c.IntN(4); n > 0; n-- {
		a := pick(g, actions...)
		r := npav1beta1.ClusterNetworkPolicyEgressRule{Action: a, Protocols: betaPorts(genTierPorts(g))}
		for _, peer := range genTierPeers(g, true, a == npav1beta1.ClusterNetworkPolicyRuleActionAccept) {
			e := npav1beta1.ClusterNetworkPolicyEgressPeer{Namespaces: peer.namespaces, Pods: peer.pods, Nodes: peer.nodes}
			for _, c := range peer.networks {
				e.Networks = append(e.Networks, npav1beta1.CIDR(c))
			}
			for _, d := range peer.domains {
				e.DomainNames = append(e.DomainNames, npav1beta1.DomainName(d))
			}
			r.To = append(r.To, e)
		}
		p.Spec.Egress = append(p.Spec.Egress, r)
	}
	return p
}

func betaPorts(ports []tierPort) []npav1beta1.ClusterNetworkPolicyProtocol {
	var out []npav1beta1.ClusterNetworkPolicyProtocol
	for _, p := range ports {
		if p.named != "" {
			out = append(out, npav1beta1.ClusterNetworkPolicyProtocol{DestinationNamedPort: p.named})
			continue
		}
		var dp *npav1beta1.Port
		switch {
		case p.number != 0:
			dp = &npav1beta1.Port{Number: p.number}
		case p.from != 0:
			dp = &npav1beta1.Port{Range: &npav1beta1.PortRange{Start: p.from, End: p.to}}
		}
		switch p.proto {
		case corev1.ProtocolTCP:
			out = append(out, npav1beta1.ClusterNetworkPolicyProtocol{TCP: &npav1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: dp}})
		case corev1.ProtocolUDP:
			out = append(out, npav1beta1.ClusterNetworkPolicyProtocol{UDP: &npav1beta1.ClusterNetworkPolicyProtocolUDP{DestinationPort: dp}})
		default:
			out = append(out, npav1beta1.ClusterNetworkPolicyProtocol{SCTP: &npav1beta1.ClusterNetworkPolicyProtocolSCTP{DestinationPort: dp}})
		}
	}
	return out
}

// alphaPorts spells ports as v1alpha1 does; it has no "every port of a
// protocol", so that becomes the full range.
func alphaPorts(g gen, ports []tierPort) *[]npav1alpha1.AdminNetworkPolicyPort {
	if ports == nil {
		return nil
	}
	out := []npav1alpha1.AdminNetworkPolicyPort{}
	for _, p := range ports {
		proto := p.proto
		if proto == corev1.ProtocolTCP && g.chance(1, 2) {
			proto = "" // defaults to TCP
		}
		switch {
		case p.named != "":
			name := p.named
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{NamedPort: &name})
		case p.number != 0:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortNumber: &npav1alpha1.Port{Protocol: proto, Port: p.number}})
		case p.from != 0:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: proto, Start: p.from, End: p.to}})
		default:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: proto, Start: 1, End: 65535}})
		}
	}
	return &out
}

func alphaPeer(peer tierPeer) npav1alpha1.AdminNetworkPolicyEgressPeer {
	e := npav1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: peer.namespaces, Nodes: peer.nodes}
	if peer.pods != nil {
		e.Pods = &npav1alpha1.NamespacedPod{NamespaceSelector: peer.pods.NamespaceSelector, PodSelector: peer.pods.PodSelector}
	}
	for _, c := range peer.networks {
		e.Networks = append(e.Networks, npav1alpha1.CIDR(c))
	}
	for _, d := range peer.domains {
		e.DomainNames = append(e.DomainNames, npav1alpha1.DomainName(d))
	}
	return e
}

func genANP(g gen, name string) npav1alpha1.AdminNetworkPolicy {
	p := npav1alpha1.AdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "AdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       npav1alpha1.AdminNetworkPolicySpec{Priority: pick(g, tierPriorities...), Subject: alphaSubject(genSubject(g))},
	}
	actions := []npav1alpha1.AdminNetworkPolicyRuleAction{npav1alpha1.AdminNetworkPolicyRuleActionAllow, npav1alpha1.AdminNetworkPolicyRuleActionDeny, npav1alpha1.AdminNetworkPolicyRuleActionPass}
	for n := g.c.IntN(4); n > 0; n-- {
		r := npav1alpha1.AdminNetworkPolicyIngressRule{Action: pick(g, actions...), Ports: alphaPorts(g, genTierPorts(g))}
		for _, peer := range genTierPeers(g, false, false) {
			e := alphaPeer(peer)
			r.From = append(r.From, npav1alpha1.AdminNetworkPolicyIngressPeer{Namespaces: e.Namespaces, Pods: e.Pods})
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
	}
	for n := g.c.IntN(4); n > 0; n-- {
		a := pick(g, actions...)
		r := npav1alpha1.AdminNetworkPolicyEgressRule{Action: a, Ports: alphaPorts(g, genTierPorts(g))}
		for _, peer := range genTierPeers(g, true, a == npav1alpha1.AdminNetworkPolicyRuleActionAllow) {
			r.To = append(r.To, alphaPeer(peer))
		}
		p.Spec.Egress = append(p.Spec.Egress, r)
	}
	return p
}

func genBANP(g gen, name string) npav1alpha1.BaselineAdminNetworkPolicy {
	p := npav1alpha1.BaselineAdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "BaselineAdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       npav1alpha1.BaselineAdminNetworkPolicySpec{Subject: alphaSubject(genSubject(g))},
	}
	actions := []npav1alpha1.BaselineAdminNetworkPolicyRuleAction{npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow, npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny}
	for n := g.c.IntN(4); n > 0; n-- {
		r := npav1alpha1.BaselineAdminNetworkPolicyIngressRule{Action: pick(g, actions...), Ports: alphaPorts(g, genTierPorts(g))}
		for _, peer := range genTierPeers(g, false, false) {
			e := alphaPeer(peer)
			r.From = append(r.From, npav1alpha1.AdminNetworkPolicyIngressPeer{Namespaces: e.Namespaces, Pods: e.Pods})
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
	}
	for n := g.c.IntN(4); n > 0; n-- {
		r := npav1alpha1.BaselineAdminNetworkPolicyEgressRule{Action: pick(g, actions...), Ports: alphaPorts(g, genTierPorts(g))}
		for _, peer := range genTierPeers(g, true, false) {
			e := alphaPeer(peer)
			r.To = append(r.To, npav1alpha1.BaselineAdminNetworkPolicyEgressPeer{Namespaces: e.Namespaces, Pods: e.Pods, Nodes: e.Nodes, Networks: e.Networks})
		}
		p.Spec.Egress = append(p.Spec.Egress, r)
	}
	return p
}

// TierObjects returns the snapshot's tier policies and Nodes, for dumps.
func TierObjects(s *inventory.Snapshot) []any {
	var out []any
	for i := range s.ClusterNetworkPolicies {
		out = append(out, &s.ClusterNetworkPolicies[i])
	}
	for i := range s.AdminNetworkPolicies {
		out = append(out, &s.AdminNetworkPolicies[i])
	}
	for i := range s.BaselineAdminNetworkPolicies {
		out = append(out, &s.BaselineAdminNetworkPolicies[i])
	}
	for i := range s.Nodes {
		out = append(out, &s.Nodes[i])
	}
	return out
}
