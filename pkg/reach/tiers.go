package reach

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Front ends for the cluster-wide tiers of sigs.k8s.io/network-policy-api:
// ClusterNetworkPolicy (v1beta1; v1alpha2 has the same schema and arrives
// converted) and the v1alpha1 AdminNetworkPolicy and
// BaselineAdminNetworkPolicy. Each is first turned into one neutral shape,
// then compiled into the model's policy, rule, peer and port.

// tierSpec is what every cluster-wide kind says, in one shape.
type tierSpec struct {
	ref        PolicyRef
	apiVersion string
	tier       Tier
	priority   int32
	subjectNS  *metav1.LabelSelector
	subjectPod *metav1.LabelSelector // nil: every pod of the namespaces
	subjectErr string
	rules      [2][]tierRule
	// portsField names the rule's port list ("protocols" or "ports").
	portsField string
}

type tierRule struct {
	action Action
	peers  []tierPeer
	// ports nil: all traffic.
	ports []tierPort
}

type tierPeer struct {
	namespaces  *metav1.LabelSelector
	podsNS      *metav1.LabelSelector
	pods        *metav1.LabelSelector
	nodes       *metav1.LabelSelector
	networks    []string
	domainNames []string
}

type tierPort struct {
	proto Protocol // empty with name: any protocol
	r     PortRange
	name  string
	err   string
}

// baselinePriority orders a BaselineAdminNetworkPolicy, which has no
// priority, after every Baseline ClusterNetworkPolicy (whose priorities
// stop at 1000). The API defines no order between the two API versions; a
// cluster runs one or the other. The README says so.
const baselinePriority = 1001

func cnpSpec(p *npav1beta1.ClusterNetworkPolicy) tierSpec {
	s := tierSpec{
		ref:        PolicyRef{Kind: KindClusterNetworkPolicy, Name: p.Name},
		apiVersion: p.APIVersion,
		priority:   p.Spec.Priority,
		portsField: "protocols",
	}
	if s.apiVersion == "" {
		s.apiVersion = npav1beta1.GroupVersion.String()
	}
	switch p.Spec.Tier {
	case npav1beta1.AdminTier:
		s.tier = TierAdmin
	case npav1beta1.BaselineTier:
		s.tier = TierBaseline
	default:
		s.subjectErr = fmt.Sprintf("spec.tier: unsupported value %q: want Admin or Baseline", p.Spec.Tier)
	}
	s.subject(p.Spec.Subject.Namespaces, betaPods(p.Spec.Subject.Pods))
	for _, r := range p.Spec.Ingress {
		s.addRule(ingress, cnpAction(r.Action), cnpPorts(r.Protocols), peersOf(r.From, func(pr npav1beta1.ClusterNetworkPolicyIngressPeer) tierPeer {
			return newTierPeer(pr.Namespaces, nil, betaPods(pr.Pods))
		}))
	}
	for _, r := range p.Spec.Egress {
		s.addRule(egress, cnpAction(r.Action), cnpPorts(r.Protocols), peersOf(r.To, func(pr npav1beta1.ClusterNetworkPolicyEgressPeer) tierPeer {
			tp := newTierPeer(pr.Namespaces, pr.Nodes, betaPods(pr.Pods))
			tp.networks, tp.domainNames = strs(pr.Networks), strs(pr.DomainNames)
			return tp
		}))
	}
	return s
}

// addRule appends a rule in direction d.
func (s *tierSpec) addRule(d Dir, action Action, ports []tierPort, peers []tierPeer) {
	s.rules[d] = append(s.rules[d], tierRule{action: action, ports: ports, peers: peers})
}

// peersOf turns the peers of one rule, of any kind's peer type, into
// tierPeers.
func peersOf[P any](in []P, peer func(P) tierPeer) []tierPeer {
	var out []tierPeer
	for _, pr := range in {
		out = append(out, peer(pr))
	}
	return out
}

// namespacedPods are the selectors of a pods subject or peer, both nil
// when there is none.
type namespacedPods struct{ namespaces, pods *metav1.LabelSelector }

// newTierPeer holds the selectors every kind's peers share.
func newTierPeer(namespaces, nodes *metav1.LabelSelector, pods namespacedPods) tierPeer {
	return tierPeer{namespaces: namespaces, nodes: nodes, podsNS: pods.namespaces, pods: pods.pods}
}

func betaPods(p *npav1beta1.NamespacedPod) namespacedPods {
	if p == nil {
		return namespacedPods{}
	}
	return namespacedPods{&p.NamespaceSelector, &p.PodSelector}
}

func alphaPods(p *npav1alpha1.NamespacedPod) namespacedPods {
	if p == nil {
		return namespacedPods{}
	}
	return namespacedPods{&p.NamespaceSelector, &p.PodSelector}
}

func strs[S ~string](in []S) []string {
	var out []string
	for _, v := range in {
		out = append(out, string(v))
	}
	return out
}

func cnpAction(a npav1beta1.ClusterNetworkPolicyRuleAction) Action {
	switch a {
	case npav1beta1.ClusterNetworkPolicyRuleActionAccept:
		return ActionAllow
	case npav1beta1.ClusterNetworkPolicyRuleActionDeny:
		return ActionDeny
	case npav1beta1.ClusterNetworkPolicyRuleActionPass:
		return ActionPass
	}
	return Action(a)
}

func cnpPorts(ps []npav1beta1.ClusterNetworkPolicyProtocol) []tierPort {
	if len(ps) == 0 {
		return nil
	}
	out := make([]tierPort, 0, len(ps))
	for _, p := range ps {
		var tp tierPort
		n := 0
		one := func(proto Protocol, dp *npav1beta1.Port) {
			n++
			tp.proto = proto
			tp.r = PortRange{MinPort, MaxPort}
			if dp == nil {
				return
			}
			switch {
			case dp.Range != nil && dp.Number != 0:
				tp.err = "destinationPort: set only one of number and range"
			case dp.Range != nil:
				tp.r = PortRange{dp.Range.Start, dp.Range.End}
			default:
				tp.r = PortRange{dp.Number, dp.Number}
			}
		}
		if p.TCP != nil {
			one(TCP, p.TCP.DestinationPort)
		}
		if p.UDP != nil {
			one(UDP, p.UDP.DestinationPort)
		}
		if p.SCTP != nil {
			one(SCTP, p.SCTP.DestinationPort)
		}
		if p.DestinationNamedPort != "" {
			n++
			tp = tierPort{name: p.DestinationNamedPort}
		}
		if n != 1 {
			tp.err = "set exactly one of tcp, udp, sctp and destinationNamedPort"
		}
		out = append(out, tp)
	}
	return out
}

func anpSpec(p *npav1alpha1.AdminNetworkPolicy) tierSpec {
	s := tierSpec{
		ref:        PolicyRef{Kind: KindAdminNetworkPolicy, Name: p.Name},
		apiVersion: npav1alpha1.GroupVersion.String(),
		tier:       TierAdmin,
		priority:   p.Spec.Priority,
		portsField: "ports",
	}
	s.alphaSubject(p.Spec.Subject)
	for _, r := range p.Spec.Ingress {
		s.addRule(ingress, alphaAction(string(r.Action)), alphaPorts(r.Ports), peersOf(r.From, alphaIngressPeer))
	}
	for _, r := range p.Spec.Egress {
		s.addRule(egress, alphaAction(string(r.Action)), alphaPorts(r.Ports), peersOf(r.To, func(pr npav1alpha1.AdminNetworkPolicyEgressPeer) tierPeer {
			tp := newTierPeer(pr.Namespaces, pr.Nodes, alphaPods(pr.Pods))
			tp.networks, tp.domainNames = strs(pr.Networks), strs(pr.DomainNames)
			return tp
		}))
	}
	return s
}

func banpSpec(p *npav1alpha1.BaselineAdminNetworkPolicy) tierSpec {
	s := tierSpec{
		ref:        PolicyRef{Kind: KindBaselineAdminNetworkPolicy, Name: p.Name},
		apiVersion: npav1alpha1.GroupVersion.String(),
		tier:       TierBaseline,
		priority:   baselinePriority,
		portsField: "ports",
	}
	s.alphaSubject(p.Spec.Subject)
	for _, r := range p.Spec.Ingress {
		s.addRule(ingress, alphaAction(string(r.Action)), alphaPorts(r.Ports), peersOf(r.From, alphaIngressPeer))
	}
	for _, r := range p.Spec.Egress {
		s.addRule(egress, alphaAction(string(r.Action)), alphaPorts(r.Ports), peersOf(r.To, func(pr npav1alpha1.BaselineAdminNetworkPolicyEgressPeer) tierPeer {
			tp := newTierPeer(pr.Namespaces, pr.Nodes, alphaPods(pr.Pods))
			tp.networks = strs(pr.Networks)
			return tp
		}))
	}
	return s
}

func alphaIngressPeer(pr npav1alpha1.AdminNetworkPolicyIngressPeer) tierPeer {
	return newTierPeer(pr.Namespaces, nil, alphaPods(pr.Pods))
}

func (s *tierSpec) alphaSubject(subj npav1alpha1.AdminNetworkPolicySubject) {
	s.subject(subj.Namespaces, alphaPods(subj.Pods))
}

func alphaAction(a string) Action {
	switch a {
	case "Allow":
		return ActionAllow
	case "Deny":
		return ActionDeny
	case "Pass":
		return ActionPass
	}
	return Action(a)
}

func alphaPorts(ps *[]npav1alpha1.AdminNetworkPolicyPort) []tierPort {
	if ps == nil || len(*ps) == 0 {
		return nil
	}
	out := make([]tierPort, 0, len(*ps))
	for _, p := range *ps {
		var tp tierPort
		n := 0
		if p.PortNumber != nil {
			n++
			tp.proto = Protocol(p.PortNumber.Protocol)
			if tp.proto == "" {
				tp.proto = TCP // the CRD's default
			}
			tp.r = PortRange{p.PortNumber.Port, p.PortNumber.Port}
		}
		if p.PortRange != nil {
			n++
			tp.proto = Protocol(p.PortRange.Protocol)
			if tp.proto == "" {
				tp.proto = TCP
			}
			tp.r = PortRange{p.PortRange.Start, p.PortRange.End}
		}
		if p.NamedPort != nil {
			n++
			tp.name = *p.NamedPort
		}
		if n != 1 {
			tp.err = "set exactly one of portNumber, portRange and namedPort"
		}
		out = append(out, tp)
	}
	return out
}

// subject records the subject: namespaces, or pods.
func (s *tierSpec) subject(ns *metav1.LabelSelector, pods namespacedPods) {
	switch {
	case ns != nil && pods.namespaces != nil:
		s.subjectErr = "spec.subject: set only one of namespaces and pods"
	case ns != nil:
		s.subjectNS = ns
	case pods.namespaces != nil:
		s.subjectNS, s.subjectPod = pods.namespaces, pods.pods
	default:
		s.subjectErr = "spec.subject: set one of namespaces and pods"
	}
}

// nodeAddrs lists, per node, its labels and the addresses a nodes peer
// matches (status.addresses).
type nodeAddrs struct {
	labels labels.Set
	ips    []netip.Addr
}

func nodeAddresses(nodes []corev1.Node) []nodeAddrs {
	out := make([]nodeAddrs, 0, len(nodes))
	for i := range nodes {
		n := nodeAddrs{labels: labels.Set(nodes[i].Labels)}
		for _, a := range nodes[i].Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				n.ips = append(n.ips, ip.Unmap())
			}
		}
		out = append(out, n)
	}
	return out
}

// compileTier compiles one cluster-wide policy into the model.
func (m *Model) compileTier(s tierSpec, blockIDs map[string]int, nodes []nodeAddrs, nodesKnown bool) (policy, error) {
	pol := policy{ref: s.ref, apiVersion: s.apiVersion, tier: s.tier, priority: s.priority}
	var errs []error
	if s.subjectErr != "" {
		errs = append(errs, errors.New(s.subjectErr))
	} else {
		field := "spec.subject.namespaces"
		if s.subjectPod != nil {
			field = "spec.subject.pods.namespaceSelector"
		}
		sel, err := ParseSelector(s.subjectNS, field)
		errs = append(errs, err)
		pol.nsSel = sel
		if s.subjectPod != nil {
			sel, err := ParseSelector(s.subjectPod, "spec.subject.pods.podSelector")
			errs = append(errs, err)
			pol.selector = sel
		}
	}
	if s.tier == TierAdmin || s.tier == TierBaseline {
		if s.ref.Kind != KindBaselineAdminNetworkPolicy && (s.priority < 0 || s.priority > 1000) {
			errs = append(errs, fmt.Errorf("spec.priority: %d is outside 0-1000", s.priority))
		}
	}
	for d, name := range [2]string{"ingress", "egress"} {
		peersField := "from"
		if d == int(egress) {
			peersField = "to"
		}
		for i, tr := range s.rules[d] {
			field := fmt.Sprintf("spec.%s[%d]", name, i)
			r, err := m.compileTierRule(s, tr, i, field, peersField, blockIDs, nodes, nodesKnown)
			errs = append(errs, err)
			pol.rules[d] = append(pol.rules[d], r)
		}
		pol.isolates[d] = len(pol.rules[d]) > 0
	}
	if pol.selector == nil && pol.nsSel != nil {
		pol.selector = labels.Everything()
	}
	return pol, errors.Join(errs...)
}

func (m *Model) compileTierRule(s tierSpec, tr tierRule, index int, field, peersField string, blockIDs map[string]int,
	nodes []nodeAddrs, nodesKnown bool) (rule, error) {
	r := rule{id: m.ruleCount, index: index, field: field, action: tr.action}
	m.ruleCount++
	var errs []error
	switch tr.action {
	case ActionAllow, ActionDeny, ActionPass:
	default:
		errs = append(errs, fmt.Errorf("%s.action: unsupported value %q", field, tr.action))
	}
	if tr.action == ActionPass && s.ref.Kind == KindBaselineAdminNetworkPolicy {
		errs = append(errs, fmt.Errorf("%s.action: a BaselineAdminNetworkPolicy cannot Pass", field))
	}
	if len(tr.peers) == 0 {
		errs = append(errs, fmt.Errorf("%s.%s: must list at least one peer", field, peersField))
	}
	failClosed := false
	for k, tp := range tr.peers {
		pf := fmt.Sprintf("%s.%s[%d]", field, peersField, k)
		ps, unknown, err := m.compileTierPeer(tp, pf, tr.action, blockIDs, nodes, nodesKnown)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if unknown {
			// No field this version knows: the CRD is newer than the pinned
			// types. The API says to fail closed: an Accept rule matches
			// nothing through this peer, a Deny or Pass rule denies all.
			m.notes = append(m.notes, fmt.Sprintf("%s %s: %s sets no field this version knows (a newer CRD?); treated as the API says: %s",
				s.ref.Kind, s.ref.Name, pf, map[bool]string{true: "the rule denies all traffic", false: "the rule matches nothing"}[tr.action != ActionAllow]))
			failClosed = true
			continue
		}
		r.peers = append(r.peers, ps...)
	}
	for k, tp := range tr.ports {
		pf := fmt.Sprintf("%s.%s[%d]", field, s.portsField, k)
		if tp.err != "" {
			errs = append(errs, fmt.Errorf("%s: %s", pf, tp.err))
			continue
		}
		if tp.name != "" {
			// A named port matches the destination's container port of that
			// name, whatever its protocol.
			for _, proto := range protocols {
				pm := portMatch{field: pf, proto: proto, name: tp.name, text: "named port " + tp.name}
				r.ports = append(r.ports, pm)
				r.named = append(r.named, pm)
			}
			continue
		}
		if tp.proto.index() < 0 {
			errs = append(errs, fmt.Errorf("%s: unsupported protocol %q: want TCP, UDP or SCTP", pf, tp.proto))
			continue
		}
		if tp.r.From < MinPort || tp.r.To > MaxPort || tp.r.From > tp.r.To {
			errs = append(errs, fmt.Errorf("%s: %s is not a port range within %d-%d", pf, tp.r, MinPort, MaxPort))
			continue
		}
		pm := portMatch{field: pf, proto: tp.proto, r: tp.r}
		if tp.r.From == MinPort && tp.r.To == MaxPort {
			pm.text = "all/" + string(tp.proto)
		} else {
			pm.text = tp.r.String() + "/" + string(tp.proto)
		}
		r.ports = append(r.ports, pm)
		r.static = r.static.Union(PortsOf(pm.proto, pm.r))
	}
	if failClosed && r.action == ActionAllow {
		r.peers = nil // the whole rule matches nothing (below)
	} else if failClosed {
		r.action = ActionDeny
		r.peers = []peer{m.newPeer(peer{kind: PeerAddresses, field: field, text: "any peer (fail closed)", any: true})}
		r.ports, r.named, r.static = nil, nil, PortSet{}
	}
	if len(r.peers) == 0 {
		// Every peer was dropped (fail closed on an Accept rule, or a nodes
		// peer selecting no node): the rule matches nothing. An empty list
		// would mean "any peer" to the NetworkPolicy code paths.
		r.peers = []peer{m.newPeer(peer{kind: PeerAddresses, field: field, text: "no peer", never: true})}
	}
	return r, errors.Join(errs...)
}

func (m *Model) newPeer(p peer) peer {
	p.id = m.peerCount
	m.peerCount++
	if !p.hasBlock {
		p.block = -1
	}
	return p
}

// compileTierPeer turns one API peer into model peers: one per CIDR for
// networks, one per node address for nodes. unknown says the peer sets no
// field this version knows.
func (m *Model) compileTierPeer(tp tierPeer, field string, action Action, blockIDs map[string]int,
	nodes []nodeAddrs, nodesKnown bool) (ps []peer, unknown bool, err error) {
	set := 0
	for _, b := range []bool{tp.namespaces != nil, tp.pods != nil, tp.nodes != nil, len(tp.networks) > 0, len(tp.domainNames) > 0} {
		if b {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, true, nil
	case set > 1:
		return nil, false, fmt.Errorf("%s: set exactly one of namespaces, pods, nodes, networks and domainNames", field)
	}
	switch {
	case tp.namespaces != nil:
		sel, err := ParseSelector(tp.namespaces, field+".namespaces")
		if err != nil {
			return nil, false, err
		}
		return []peer{m.newPeer(peer{kind: PeerNamespaces, field: field, nsSel: sel, text: "namespaces " + selectorText(sel)})}, false, nil
	case tp.pods != nil:
		nsSel, err1 := ParseSelector(tp.podsNS, field+".pods.namespaceSelector")
		podSel, err2 := ParseSelector(tp.pods, field+".pods.podSelector")
		if err := errors.Join(err1, err2); err != nil {
			return nil, false, err
		}
		return []peer{m.newPeer(peer{kind: PeerPods, field: field, nsSel: nsSel, podSel: podSel,
			text: "pods namespaceSelector " + selectorText(nsSel) + ", podSelector " + selectorText(podSel)})}, false, nil
	case len(tp.networks) > 0:
		var errs []error
		for i, n := range tp.networks {
			nf := fmt.Sprintf("%s.networks[%d]", field, i)
			cidr, err := parseCIDR(n)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", nf, err))
				continue
			}
			b := ipBlock{cidr: cidr}
			if cidr.String() != n {
				b.written = n
			}
			ps = append(ps, m.newPeer(peer{kind: PeerAddresses, field: nf, block: m.blockID(b, blockIDs), hasBlock: true,
				seesPods: true, text: "networks " + b.String()}))
		}
		return ps, false, errors.Join(errs...)
	case tp.nodes != nil:
		sel, err := ParseSelector(tp.nodes, field+".nodes")
		if err != nil {
			return nil, false, err
		}
		text := "nodes " + selectorText(sel)
		if !nodesKnown {
			return []peer{m.newPeer(peer{kind: PeerNodes, field: field, nodeSel: sel, text: text,
				outside: "Node objects were not read, so the addresses a nodes peer selects are unknown"})}, false, nil
		}
		seen := map[netip.Addr]bool{}
		var ips []netip.Addr
		for _, n := range nodes {
			if sel.Matches(n.labels) {
				for _, ip := range n.ips {
					if !seen[ip] {
						seen[ip] = true
						ips = append(ips, ip)
					}
				}
			}
		}
		sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })
		for _, ip := range ips {
			b := ipBlock{cidr: netip.PrefixFrom(ip, ip.BitLen())}
			ps = append(ps, m.newPeer(peer{kind: PeerNodes, field: field, nodeSel: sel, block: m.blockID(b, blockIDs), hasBlock: true,
				text: text + " (" + ip.String() + ")"}))
		}
		return ps, false, nil
	default:
		if action != ActionAllow {
			return nil, false, fmt.Errorf("%s.domainNames: allowed only in Accept rules", field)
		}
		return []peer{m.newPeer(peer{kind: PeerOutside, field: field, text: "domainNames " + strings.Join(tp.domainNames, ","),
			outside: "domainNames match the addresses those names resolve to, which objects cannot tell"})}, false, nil
	}
}

func (m *Model) blockID(b ipBlock, blockIDs map[string]int) int {
	id, ok := blockIDs[b.key()]
	if !ok {
		id = len(m.blocks)
		blockIDs[b.key()] = id
		m.blocks = append(m.blocks, b)
	}
	return id
}
