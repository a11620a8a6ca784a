package reach_test

// The reference evaluator for the cluster-wide tiers of
// sigs.k8s.io/network-policy-api, read off the API types' doc comments
// (apis/v1beta1, apis/v1alpha1) one connection at a time. Like
// reference_test.go it shares nothing with the engine: it walks the API
// objects themselves, never the compiled model, and reuses only the NetworkPolicy
// reference (refPlanSide) for the middle tier.
//
// Per direction (egress on the source, ingress on the destination):
//  1. Admin tier (ClusterNetworkPolicy tier Admin, AdminNetworkPolicy):
//     policies by ascending priority, rules in order; the first rule that
//     matches decides: Accept/Allow = allowed, Deny = denied, Pass = leave
//     the tier.
//  2. NetworkPolicy: if the pod is isolated in this direction, it decides.
//  3. Baseline tier (ClusterNetworkPolicy tier Baseline,
//     BaselineAdminNetworkPolicy): the same; Pass falls through.
//  4. allowed.
//
// What the API leaves open becomes a set of possible outcomes instead of a
// guess:
//   - policies of one tier with equal priorities are tried in every order;
//   - a domainNames peer (never a pod), or a nodes peer while the snapshot has
//     no Node objects, may or may not match an address: both branches.
//
// Other readings, each written down here so a disagreement is a decision to
// make, not a surprise:
//   - subjects and pod peers never select hostNetwork pods; a hostNetwork pod
//     is an address for networks, nodes and domainNames peers, like an
//     ipBlock sees it; its own side is never evaluated;
//   - networks peers match pod IPs always (the option IPBlockMatchesPods is
//     about NetworkPolicy ipBlocks only);
//   - traffic from a pod to itself is not subject to any policy;
//   - a peer with no known field "fails closed": the whole rule matches
//     nothing if it accepts, and becomes "deny everything" if it denies or
//     passes;
//   - named ports resolve on the destination pod's containers and sidecars,
//     with the container port's own protocol; toward an address they match
//     nothing.

import (
	"net"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// outcomes is the set of possible results: allowed, denied or both.
type outcomes struct{ allow, deny bool }

func (o outcomes) String() string {
	switch {
	case o.allow && o.deny:
		return "undefined (allowed or denied)"
	case o.allow:
		return "allowed"
	case o.deny:
		return "denied"
	}
	return "no outcome"
}

// tierAction is what a tier decides for one connection in one direction;
// refNoMatch means no rule of the tier matched.
type tierAction int

const (
	refNoMatch tierAction = iota
	refAccept
	refDeny
	refPass
)

type refTierPeer struct {
	namespaces *metav1.LabelSelector // namespaces peer
	pods       *npav1beta1.NamespacedPod
	nodes      *metav1.LabelSelector
	networks   []string
	domains    bool // a domainNames peer: may match any address
	empty      bool // no field this version knows
}

type refTierPort struct {
	proto      string // TCP, UDP, SCTP; "" with named
	all        bool   // every port of proto
	from, to   int32
	named      string
	namedValid bool
}

type refTierRule struct {
	action tierAction
	peers  []refTierPeer
	ports  []refTierPort // nil = all traffic
}

type refTierPolicy struct {
	name     string // Kind/name
	priority int32
	subject  npav1beta1.ClusterNetworkPolicySubject
	ingress  []refTierRule
	egress   []refTierRule
}

// refTiers reads the snapshot's tier objects as they are written.
func refTiers(snap *inventory.Snapshot) (admin, baseline []refTierPolicy) {
	for _, p := range snap.ClusterNetworkPolicies {
		rp := refTierPolicy{name: "ClusterNetworkPolicy/" + p.Name, priority: p.Spec.Priority, subject: p.Spec.Subject}
		for _, r := range p.Spec.Ingress {
			rule := refTierRule{action: refBetaAction(r.Action), ports: refBetaPorts(r.Protocols)}
			for _, peer := range r.From {
				rule.peers = append(rule.peers, refTierPeer{namespaces: peer.Namespaces, pods: peer.Pods, empty: peer.Namespaces == nil && peer.Pods == nil})
			}
			rp.ingress = append(rp.ingress, rule)
		}
		for _, r := range p.Spec.Egress {
			rule := refTierRule{action: refBetaAction(r.Action), ports: refBetaPorts(r.Protocols)}
			for _, peer := range r.To {
				rule.peers = append(rule.peers, refEgressPeer(peer.Namespaces, peer.Pods, peer.Nodes, refStrings(peer.Networks), len(peer.DomainNames) > 0))
			}
			rp.egress = append(rp.egress, rule)
		}
		if p.Spec.Tier == npav1beta1.AdminTier {
			admin = append(admin, rp)
		} else {
			baseline = append(baseline, rp)
		}
	}
	for _, p := range snap.AdminNetworkPolicies {
		rp := refTierPolicy{name: "AdminNetworkPolicy/" + p.Name, priority: p.Spec.Priority, subject: refAlphaSubject(p.Spec.Subject)}
		for _, r := range p.Spec.Ingress {
			rule := refTierRule{action: refAlphaAction(string(r.Action)), ports: refAlphaPorts(r.Ports)}
			for _, peer := range r.From {
				rule.peers = append(rule.peers, refEgressPeer(peer.Namespaces, refAlphaPods(peer.Pods), nil, nil, false))
			}
			rp.ingress = append(rp.ingress, rule)
		}
		for _, r := range p.Spec.Egress {
			rule := refTierRule{action: refAlphaAction(string(r.Action)), ports: refAlphaPorts(r.Ports)}
			for _, peer := range r.To {
				rule.peers = append(rule.peers, refEgressPeer(peer.Namespaces, refAlphaPods(peer.Pods), peer.Nodes, refStrings(peer.Networks), len(peer.DomainNames) > 0))
			}
			rp.egress = append(rp.egress, rule)
		}
		admin = append(admin, rp)
	}
	for _, p := range snap.BaselineAdminNetworkPolicies {
		// A BaselineAdminNetworkPolicy has no priority: it is the tier's
		// only policy (named default); several, as files may hold, tie.
		// The API orders it against no ClusterNetworkPolicy; the README's
		// choice is after every Baseline ClusterNetworkPolicy (their
		// priorities stop at 1000).
		rp := refTierPolicy{name: "BaselineAdminNetworkPolicy/" + p.Name, priority: 1001, subject: refAlphaSubject(p.Spec.Subject)}
		for _, r := range p.Spec.Ingress {
			rule := refTierRule{action: refAlphaAction(string(r.Action)), ports: refAlphaPorts(r.Ports)}
			for _, peer := range r.From {
				rule.peers = append(rule.peers, refEgressPeer(peer.Namespaces, refAlphaPods(peer.Pods), nil, nil, false))
			}
			rp.ingress = append(rp.ingress, rule)
		}
		for _, r := range p.Spec.Egress {
			rule := refTierRule{action: refAlphaAction(string(r.Action)), ports: refAlphaPorts(r.Ports)}
			for _, peer := range r.To {
				rule.peers = append(rule.peers, refEgressPeer(peer.Namespaces, refAlphaPods(peer.Pods), peer.Nodes, refStrings(peer.Networks), false))
			}
			rp.egress = append(rp.egress, rule)
		}
		baseline = append(baseline, rp)
	}
	return admin, baseline
}

func refEgressPeer(namespaces *metav1.LabelSelector, pods *npav1beta1.NamespacedPod, nodes *metav1.LabelSelector, networks []string, domains bool) refTierPeer {
	return refTierPeer{namespaces: namespaces, pods: pods, nodes: nodes, networks: networks, domains: domains,
		empty: namespaces == nil && pods == nil && nodes == nil && len(networks) == 0 && !domains}
}

func refStrings[S ~string](in []S) []string {
	var out []string
	for _, s := range in {
		out = append(out, string(s))
	}
	return out
}

func refAlphaPods(p *npav1alpha1.NamespacedPod) *npav1beta1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1beta1.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func refAlphaSubject(s npav1alpha1.AdminNetworkPolicySubject) npav1beta1.ClusterNetworkPolicySubject {
	return npav1beta1.ClusterNetworkPolicySubject{Namespaces: s.Namespaces, Pods: refAlphaPods(s.Pods)}
}

func refBetaAction(a npav1beta1.ClusterNetworkPolicyRuleAction) tierAction {
	switch a {
	case npav1beta1.ClusterNetworkPolicyRuleActionAccept:
		return refAccept
	case npav1beta1.ClusterNetworkPolicyRuleActionDeny:
		return refDeny
	case npav1beta1.ClusterNetworkPolicyRuleActionPass:
		return refPass
	}
	return refNoMatch
}

func refAlphaAction(a string) tierAction {
	switch a {
	case "Allow":
		return refAccept
	case "Deny":
		return refDeny
	case "Pass":
		return refPass
	}
	return refNoMatch
}

func refBetaPorts(protocols []npav1beta1.ClusterNetworkPolicyProtocol) []refTierPort {
	if len(protocols) == 0 {
		return nil
	}
	out := []refTierPort{}
	add := func(proto string, p *npav1beta1.Port) {
		switch {
		case p == nil:
			out = append(out, refTierPort{proto: proto, all: true})
		case p.Range != nil:
			out = append(out, refTierPort{proto: proto, from: p.Range.Start, to: p.Range.End})
		default:
			out = append(out, refTierPort{proto: proto, from: p.Number, to: p.Number})
		}
	}
	for _, p := range protocols {
		switch {
		case p.TCP != nil:
			add("TCP", p.TCP.DestinationPort)
		case p.UDP != nil:
			add("UDP", p.UDP.DestinationPort)
		case p.SCTP != nil:
			add("SCTP", p.SCTP.DestinationPort)
		case p.DestinationNamedPort != "":
			out = append(out, refTierPort{named: p.DestinationNamedPort, namedValid: true})
		}
	}
	return out
}

func refAlphaPorts(ports *[]npav1alpha1.AdminNetworkPolicyPort) []refTierPort {
	if ports == nil || len(*ports) == 0 {
		return nil
	}
	out := []refTierPort{}
	proto := func(p corev1.Protocol) string {
		if p == "" {
			return "TCP"
		}
		return string(p)
	}
	for _, p := range *ports {
		switch {
		case p.PortNumber != nil:
			out = append(out, refTierPort{proto: proto(p.PortNumber.Protocol), from: p.PortNumber.Port, to: p.PortNumber.Port})
		case p.PortRange != nil:
			out = append(out, refTierPort{proto: proto(p.PortRange.Protocol), from: p.PortRange.Start, to: p.PortRange.End})
		case p.NamedPort != nil:
			out = append(out, refTierPort{named: *p.NamedPort, namedValid: true})
		}
	}
	return out
}

// refTierEvaluate returns the possible outcomes of one connection.
func refTierEvaluate(snap *inventory.Snapshot, o refOptions, src, dst refEnd, port int32, proto string) outcomes {
	return newRefTierCtx(snap).evaluate(o, src, dst, port, proto)
}

func newRefTierCtx(snap *inventory.Snapshot) *refTierCtx {
	c := &refTierCtx{Snapshot: snap, nsLabels: map[string]map[string]string{}, selected: map[refSelectKey]refSelected{}, peers: map[refPeersKey][2]bool{}}
	c.admin, c.baseline = refTiers(snap)
	return c
}

// evaluate is refTierEvaluate on a snapshot read once. Not for concurrent use.
func (c *refTierCtx) evaluate(o refOptions, src, dst refEnd, port int32, proto string) outcomes {
	pair := c.prepare(o, src, dst)
	return pair.at(port, proto)
}

// refTierPair is evaluate's work on one connection that does not depend on
// the port, done once: each side's reading by each tier (refTierPlan,
// refPlanSide) and the node-local traffic. at gives the outcomes at one
// port.
type refTierPair struct {
	egress, ingress         refTierSidePlan
	nodeIngress, nodeEgress bool
}

// refTierSidePlan is one direction of a connection without the port.
type refTierSidePlan struct {
	fixed           bool // not subject to any policy: allowed
	dst             refEnd
	admin, baseline refTierPlan
	np              refSidePlan
}

// refTierPlan is one tier's reading of one side without the port: the
// policies selecting the subject and the orders they may be tried in
// (refSelected), and, per policy, its rules in the direction with whether
// their peers match the other end.
type refTierPlan struct {
	refSelected
	rules [][]refTierRuleHit
}

type refTierRuleHit struct {
	rule       *refTierRule
	yes, maybe bool // some peer matches the other end, or may
	// failClosed: a peer has no known field; the whole rule matches
	// nothing if it accepts, everything if it denies or passes.
	failClosed bool
}

func (c *refTierCtx) prepare(o refOptions, src, dst refEnd) refTierPair {
	self := src.pod != nil && dst.pod != nil && src.pod.Namespace == dst.pod.Namespace && src.pod.Name == dst.pod.Name
	p := refTierPair{
		egress:  c.planSide(o, "Egress", src, dst, dst, self),
		ingress: c.planSide(o, "Ingress", dst, src, dst, self),
	}
	// A pod and its own node always reach each other, whatever any tier
	// says: the API types say nothing of node-local traffic, and the
	// NetworkPolicy rule is that the node always may.
	p.nodeIngress = src.pod == nil && dst.pod != nil && refOnNode(dst.pod, src.ip)
	p.nodeEgress = dst.pod == nil && src.pod != nil && refOnNode(src.pod, dst.ip)
	if refNodeLocalPods(src, dst) {
		if src.pod.Spec.HostNetwork {
			p.nodeIngress = true
		} else {
			p.nodeEgress = true
		}
	}
	return p
}

func (p *refTierPair) at(port int32, proto string) outcomes {
	eg := p.egress.at(port, proto)
	in := p.ingress.at(port, proto)
	if p.nodeIngress {
		in = outcomes{allow: true}
	}
	if p.nodeEgress {
		eg = outcomes{allow: true}
	}
	return outcomes{allow: eg.allow && in.allow, deny: eg.deny || in.deny}
}

func (c *refTierCtx) planSide(o refOptions, direction string, subject, other, dst refEnd, self bool) refTierSidePlan {
	if subject.pod == nil || self || subject.pod.Spec.HostNetwork {
		return refTierSidePlan{fixed: true}
	}
	return refTierSidePlan{
		dst:      dst,
		admin:    c.planTier(o, c.admin, direction, subject, other),
		baseline: c.planTier(o, c.baseline, direction, subject, other),
		np:       refPlanSide(c.Snapshot, o, direction, subject, other, dst, self),
	}
}

func (c *refTierCtx) planTier(o refOptions, tier []refTierPolicy, direction string, subject, other refEnd) refTierPlan {
	sel := c.selecting(tier, subject.pod)
	plan := refTierPlan{refSelected: sel, rules: make([][]refTierRuleHit, len(sel.policies))}
	for i := range sel.policies {
		rules := sel.policies[i].ingress
		if direction == "Egress" {
			rules = sel.policies[i].egress
		}
		for r := range rules {
			hit := refTierRuleHit{rule: &rules[r], failClosed: slices.ContainsFunc(rules[r].peers, func(p refTierPeer) bool { return p.empty })}
			if !hit.failClosed {
				hit.yes, hit.maybe = c.peersMatch(o, &rules[r], other)
			}
			plan.rules[i] = append(plan.rules[i], hit)
		}
	}
	return plan
}

// at: one direction's outcomes through the three tiers at one port.
func (p *refTierSidePlan) at(port int32, proto string) outcomes {
	if p.fixed {
		return outcomes{allow: true}
	}
	var out outcomes
	var side refSide // read only when the Admin tier leaves the decision
	for _, a := range p.admin.outcomes(p.dst, port, proto).list() {
		switch a {
		case refAccept:
			out.allow = true
		case refDeny:
			out.deny = true
		default: // Pass or no match: the NetworkPolicy tier, then Baseline
			if !side.evaluated {
				side = p.np.at(port, proto) // evaluated: the subject is a pod off the host network
			}
			if side.isolated {
				// maybe: a rule may allow it, depending on a pod's IP.
				out.allow = out.allow || side.allowed || side.maybe
				out.deny = out.deny || !side.allowed
				continue
			}
			for _, b := range p.baseline.outcomes(p.dst, port, proto).list() {
				if b == refDeny {
					out.deny = true
				} else {
					out.allow = true
				}
			}
		}
	}
	return out
}

// outcomes returns every action the tier may take at one port: the
// policies that select the subject, by priority, in every order.
func (p *refTierPlan) outcomes(dst refEnd, port int32, proto string) actionSet {
	// Each policy's own possible results, rules in order.
	results := make([]actionSet, len(p.policies))
	for i := range p.policies {
		results[i] = refPolicyOutcomes(p.rules[i], dst, port, proto)
	}
	var out actionSet
	for _, order := range p.orders {
		out |= refSequence(results, order)
	}
	return out
}

// refTierOrders: every order in which the policies may be tried, every
// permutation within each run of equal priorities.
func refTierOrders(selecting []refTierPolicy) [][]int {
	var groups [][]int
	for i := range selecting {
		if i > 0 && selecting[i].priority == selecting[i-1].priority {
			groups[len(groups)-1] = append(groups[len(groups)-1], i)
		} else {
			groups = append(groups, []int{i})
		}
	}
	var out [][]int
	var walk func(g int, order []int)
	walk = func(g int, order []int) {
		if g == len(groups) {
			out = append(out, order)
			return
		}
		for _, perm := range refPermutations(groups[g]) {
			walk(g+1, append(slices.Clone(order), perm...))
		}
	}
	walk(0, nil)
	return out
}

// refSequence: in one order, the first policy that decides decides; a
// policy that may or may not match branches.
func refSequence(results []actionSet, order []int) actionSet {
	if len(order) == 0 {
		return actionSet(0).with(refNoMatch)
	}
	out := results[order[0]]
	if out.has(refNoMatch) {
		out = out.without(refNoMatch) | refSequence(results, order[1:])
	}
	return out
}

// actionSet is a set of tierActions.
type actionSet uint8

func (s actionSet) with(a tierAction) actionSet    { return s | 1<<a }
func (s actionSet) without(a tierAction) actionSet { return s &^ (1 << a) }
func (s actionSet) has(a tierAction) bool          { return s&(1<<a) != 0 }
func (s actionSet) list() []tierAction {
	var out []tierAction
	for _, a := range []tierAction{refNoMatch, refAccept, refDeny, refPass} {
		if s.has(a) {
			out = append(out, a)
		}
	}
	return out
}

func refPermutations(xs []int) [][]int {
	if len(xs) <= 1 {
		return [][]int{slices.Clone(xs)}
	}
	var out [][]int
	for i := range xs {
		rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
		for _, p := range refPermutations(rest) {
			out = append(out, append([]int{xs[i]}, p...))
		}
	}
	return out
}

// refPolicyOutcomes: the rules of one policy in order; the first match
// decides.
func refPolicyOutcomes(rules []refTierRuleHit, dst refEnd, port int32, proto string) actionSet {
	var out actionSet
	for _, r := range rules {
		if r.failClosed {
			if r.rule.action == refAccept {
				continue // matches nothing
			}
			return out.with(refDeny) // deny everything
		}
		if !refTierPortsMatch(r.rule.ports, dst, port, proto) {
			continue
		}
		if r.yes {
			return out.with(r.rule.action)
		}
		if r.maybe {
			out = out.with(r.rule.action) // and, if it does not match, the next rules
		}
	}
	return out.with(refNoMatch)
}

// refTierCtx is the snapshot with what the evaluation of one connection
// after another asks again and again at hand: namespaces' labels, the
// policies selecting a pod, whether a rule's peers match an endpoint.
type refTierCtx struct {
	*inventory.Snapshot
	admin, baseline []refTierPolicy
	nsLabels        map[string]map[string]string
	selected        map[refSelectKey]refSelected
	peers           map[refPeersKey][2]bool
}

type refPeersKey struct {
	rule *refTierRule
	pod  *corev1.Pod
	ip   string
	// podCIDRs: what a pod without an IP may be depends on them.
	podCIDRs string
}

// peersMatch: some peer of the rule matches other (yes), or may (maybe).
func (c *refTierCtx) peersMatch(o refOptions, r *refTierRule, other refEnd) (yes, maybe bool) {
	key := refPeersKey{r, other.pod, other.ip, strings.Join(o.podCIDRs, ",")}
	if got, ok := c.peers[key]; ok {
		return got[0], got[1]
	}
	for _, p := range r.peers {
		switch refTierPeerMatches(c, o, p, other) {
		case matchYes:
			yes = true
		case matchMaybe:
			maybe = true
		}
	}
	c.peers[key] = [2]bool{yes, maybe}
	return yes, maybe
}

// selecting returns the policies of a tier whose subject selects pod, by
// priority (stable: equal priorities keep their order), and the orders they
// may be tried in, remembered per pod.
func (c *refTierCtx) selecting(tier []refTierPolicy, pod *corev1.Pod) refSelected {
	if len(tier) == 0 {
		return refSelected{orders: [][]int{nil}} // one order, of no policy
	}
	key := refSelectKey{pod, len(c.admin) > 0 && &tier[0] == &c.admin[0]}
	if got, ok := c.selected[key]; ok {
		return got
	}
	var out []refTierPolicy
	for _, p := range tier {
		if refSubjectSelects(c, p.subject, pod) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].priority < out[j].priority })
	sel := refSelected{policies: out, orders: refTierOrders(out)}
	c.selected[key] = sel
	return sel
}

type refSelected struct {
	policies []refTierPolicy
	orders   [][]int // indexes into policies
}

type refSelectKey struct {
	pod   *corev1.Pod
	admin bool
}

func (c *refTierCtx) namespaceLabels(name string) map[string]string {
	l, ok := c.nsLabels[name]
	if !ok {
		l = refNamespaceLabels(c.Snapshot, name)
		c.nsLabels[name] = l
	}
	return l
}

type match int

const (
	matchNo match = iota
	matchYes
	matchMaybe
)

func refSubjectSelects(snap *refTierCtx, s npav1beta1.ClusterNetworkPolicySubject, p *corev1.Pod) bool {
	if p.Spec.HostNetwork {
		return false
	}
	switch {
	case s.Namespaces != nil:
		return refSelectorMatches(s.Namespaces, snap.namespaceLabels(p.Namespace))
	case s.Pods != nil:
		return refSelectorMatches(&s.Pods.NamespaceSelector, snap.namespaceLabels(p.Namespace)) && refSelectorMatches(&s.Pods.PodSelector, p.Labels)
	}
	return false
}

func refTierPeerMatches(snap *refTierCtx, o refOptions, peer refTierPeer, other refEnd) match {
	isPod := other.pod != nil && !other.pod.Spec.HostNetwork
	var ips []string
	if other.pod == nil {
		ips = []string{other.ip}
	} else {
		ips = refPodIPs(other.pod)
	}
	switch {
	case peer.namespaces != nil:
		if isPod && refSelectorMatches(peer.namespaces, snap.namespaceLabels(other.pod.Namespace)) {
			return matchYes
		}
	case peer.pods != nil:
		if isPod && refSelectorMatches(&peer.pods.NamespaceSelector, snap.namespaceLabels(other.pod.Namespace)) && refSelectorMatches(&peer.pods.PodSelector, other.pod.Labels) {
			return matchYes
		}
	case len(peer.networks) > 0:
		if other.pod != nil && len(ips) == 0 {
			out := matchNo
			for _, c := range peer.networks {
				switch refUnknownIP(snap.Snapshot, o, other.pod, c, nil) {
				case matchYes:
					return matchYes
				case matchMaybe:
					out = matchMaybe
				}
			}
			return out
		}
		for _, c := range peer.networks {
			_, cidr, err := net.ParseCIDR(c)
			if err != nil {
				continue
			}
			for _, ip := range ips {
				if cidr.Contains(net.ParseIP(ip)) {
					return matchYes
				}
			}
		}
	case peer.nodes != nil:
		if isPod {
			return matchNo
		}
		if !snap.NodesKnown {
			if len(ips) == 0 {
				return matchNo
			}
			return matchMaybe
		}
		for _, n := range snap.Nodes {
			if !refSelectorMatches(peer.nodes, n.Labels) {
				continue
			}
			for _, a := range n.Status.Addresses {
				// A hostNetwork pod without an IP may be on any node.
				if len(ips) == 0 && net.ParseIP(a.Address) != nil {
					return matchMaybe
				}
				na := net.ParseIP(a.Address)
				for _, ip := range ips {
					if na != nil && na.Equal(net.ParseIP(ip)) {
						return matchYes
					}
				}
			}
		}
	case peer.domains:
		if !isPod && len(ips) > 0 {
			return matchMaybe
		}
	}
	return matchNo
}

func refTierPortsMatch(ports []refTierPort, dst refEnd, port int32, proto string) bool {
	if ports == nil {
		return true
	}
	for _, p := range ports {
		if p.namedValid {
			if refNamedPortAnyProtocol(dst, p.named, port, proto) {
				return true
			}
			continue
		}
		if p.proto == proto && (p.all || p.from <= port && port <= p.to) {
			return true
		}
	}
	return false
}

// refNamedPortAnyProtocol: the destination pod declares a container port of
// that name with this number and protocol.
func refNamedPortAnyProtocol(dst refEnd, name string, port int32, proto string) bool {
	for _, pr := range []string{"TCP", "UDP", "SCTP"} {
		if pr == proto && refNamedPort(dst, name, pr) == port && port != 0 {
			return true
		}
	}
	return false
}
