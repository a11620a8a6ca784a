package reach

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Endpoint is one end of a connection: a pod of the snapshot, or an address
// outside the policy model. Exactly one of Pod and IP is set.
type Endpoint struct {
	// Pod is matched to the snapshot's pod by namespace and name; a pod the
	// snapshot lacks is judged on its own labels, ports and IPs.
	Pod *corev1.Pod
	// IP is treated as outside the cluster even if a pod holds it: it is
	// what a client outside the pod network looks like.
	IP netip.Addr
}

// PodEndpoint returns the endpoint for a pod.
func PodEndpoint(p *corev1.Pod) Endpoint { return Endpoint{Pod: p} }

// IPEndpoint returns the endpoint for an address outside the policy model.
func IPEndpoint(a netip.Addr) Endpoint { return Endpoint{IP: a} }

// String renders "ns/pod" or the IP.
func (e Endpoint) String() string {
	switch {
	case e.Pod != nil:
		return e.Pod.Namespace + "/" + e.Pod.Name
	case e.IP.IsValid():
		return e.IP.String()
	}
	return "<no endpoint>"
}

// Verdict says whether traffic may flow and why, one Direction per side:
// NetworkPolicy allows a connection only if the source's egress and the
// destination's ingress both allow it.
type Verdict struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Port     int32    `json:"port"`
	Protocol Protocol `json:"protocol"`
	Allowed  bool     `json:"allowed"`
	// Undefined says the verdict may go either way (see
	// Direction.Undefined); Allowed is false then.
	Undefined bool `json:"undefined,omitempty"`
	// Depends says the verdict is undefined because a side turns on the
	// address of a pod without an IP (Direction.Depends): neither allowed
	// nor denied until the pod has one. Undefined is set too.
	Depends bool `json:"depends,omitempty"`
	// Egress is the source side, Ingress the destination side.
	Egress  Direction `json:"egress"`
	Ingress Direction `json:"ingress"`
}

// Direction is one side's part of a Verdict.
type Direction struct {
	Subject string `json:"subject"` // "ns/pod" or the IP
	// Evaluated is false when the side is outside the policy model (an
	// address, a hostNetwork pod, or a pod talking to itself); such a side
	// always allows, and Reason says why.
	Evaluated bool `json:"evaluated"`
	Isolated  bool `json:"isolated"`
	// IsolatedBy lists the policies selecting the pod with this direction in
	// their effective policyTypes, sorted. Verdicts about one pod share it:
	// read it, do not modify it.
	IsolatedBy []PolicyRef `json:"isolatedBy,omitempty"`
	Allowed    bool        `json:"allowed"`
	// Undefined says both outcomes are possible: policies of equal
	// priority in one tier disagree, or a peer outside the model may match.
	// Allowed is false then.
	Undefined bool `json:"undefined,omitempty"`
	// Depends says Undefined comes (at least in part) from the far end
	// being a pod without an IP that an address peer contains only in
	// part; Reason then starts with ReasonDepends and names both.
	Depends bool `json:"depends,omitempty"`
	// AllowedBy lists every rule that allows the traffic, sorted by policy
	// then rule: policies are additive, so all of them would have to go.
	AllowedBy []RuleMatch `json:"allowedBy,omitempty"`
	Reason    string      `json:"reason"`
	// Tiers is the chain that decided, when cluster-wide policies
	// (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy)
	// select the subject.
	Tiers []TierStep `json:"tiers,omitempty"`
}

// Reasons a Direction gives.
const (
	ReasonNotIsolated = "not isolated"
	ReasonNoRule      = "isolated; no rule allows it"
	ReasonAllowed     = "allowed"
	ReasonHostNetwork = "hostNetwork pod: outside NetworkPolicy control"
	ReasonExternal    = "external address: no policy applies"
	ReasonSelf        = "a pod may always reach itself"
	// ReasonFromNode and ReasonToNode: traffic between a pod and the node
	// it runs on (status.hostIP/hostIPs) is always allowed, whatever any
	// policy of any tier says.
	ReasonFromNode = "node-local: traffic from the pod's own node is always allowed"
	ReasonToNode   = "node-local: traffic to the pod's own node is always allowed"
	// ReasonFromNodePod and ReasonToNodePod: a hostNetwork pod is its
	// node, so traffic between it and a pod on the same node (see
	// sameNode) is node-local too.
	ReasonFromNodePod = "node-local: traffic from a hostNetwork pod on the pod's own node is always allowed"
	ReasonToNodePod   = "node-local: traffic to a hostNetwork pod on the pod's own node is always allowed"
	ReasonUndefined   = "undefined: the outcome depends on the implementation or on what the model cannot see"
	// ReasonDepends starts the reason of a direction whose outcome turns
	// on the address of a pod without an IP (podnet.go); the rest names
	// the pod and the address peer.
	ReasonDepends = "depends on a pod's IP"
)

// RuleMatch is one rule allowing a connection.
type RuleMatch struct {
	Policy PolicyRef `json:"policy"`
	Rule   int       `json:"rule"` // 0-based index in spec.ingress or spec.egress
	// Peer describes the matching peer(s), e.g. "namespaceSelector ns=x,
	// podSelector app=a", "ipBlock 10.0.0.0/8 except 10.1.0.0/16" or "any peer".
	Peer string `json:"peer"`
	// Port describes the matching port entries, e.g. "80/TCP", "80-90/TCP",
	// "http(=8080)/TCP", "all/UDP" or "all ports".
	Port string `json:"port"`
}

// party is an Endpoint resolved against the model.
type party struct {
	pod *podInfo // nil for an address
	ip  netip.Addr
}

func (m *Model) party(e Endpoint) party {
	if e.Pod == nil {
		return party{ip: e.IP.Unmap()}
	}
	if i, ok := m.podAt[e.Pod]; ok && isRef(m.pods[i].ref, e.Pod.Namespace, e.Pod.Name) {
		return party{pod: &m.pods[i]}
	}
	if i, ok := m.podIndex[e.Pod.Namespace+"/"+e.Pod.Name]; ok {
		return party{pod: &m.pods[i]}
	}
	// Unparsable IPs are dropped: such a pod matches no ipBlock.
	info, _ := newPodInfo(e.Pod)
	return party{pod: &info}
}

// isRef says whether ref is "namespace/name".
func isRef(ref, namespace, name string) bool {
	return len(ref) == len(namespace)+1+len(name) && ref[len(namespace)] == '/' &&
		ref[:len(namespace)] == namespace && ref[len(namespace)+1:] == name
}

func (p party) String() string {
	if p.pod != nil {
		return p.pod.ref
	}
	return p.ip.String()
}

// Verdict decides whether src may send to dst on port/proto. port must be
// 1-65535 and proto TCP, UDP or SCTP; other probes match no rule.
func (m *Model) Verdict(src, dst Endpoint, port int32, proto Protocol) Verdict {
	s, d := m.party(src), m.party(dst)
	self := s.pod != nil && d.pod != nil && s.pod.ref == d.pod.ref
	v := Verdict{From: s.String(), To: d.String(), Port: port, Protocol: proto}
	v.Egress = m.direction(egress, s, v.From, d, d, self, port, proto)
	v.Ingress = m.direction(ingress, d, v.To, s, d, self, port, proto)
	// The API always allows traffic between a pod and its own node.
	if d.pod != nil && s.pod == nil && d.pod.onNode(s.ip) {
		v.Ingress = Direction{Subject: v.Ingress.Subject, Allowed: true, Reason: ReasonFromNode}
	}
	if s.pod != nil && d.pod == nil && s.pod.onNode(d.ip) {
		v.Egress = Direction{Subject: v.Egress.Subject, Allowed: true, Reason: ReasonToNode}
	}
	// A hostNetwork pod is its node: the same holds between it and a pod
	// on that node.
	if s.pod != nil && d.pod != nil && !self && s.pod.hostNetwork != d.pod.hostNetwork && sameNode(s.pod, d.pod) {
		if s.pod.hostNetwork {
			v.Ingress = Direction{Subject: v.Ingress.Subject, Allowed: true, Reason: ReasonFromNodePod}
		} else {
			v.Egress = Direction{Subject: v.Egress.Subject, Allowed: true, Reason: ReasonToNodePod}
		}
	}
	v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	// Either side undefined and the other not denying: either outcome.
	v.Undefined = !v.Allowed && (v.Egress.Undefined || v.Ingress.Undefined) &&
		(v.Egress.Allowed || v.Egress.Undefined) && (v.Ingress.Allowed || v.Ingress.Undefined)
	v.Depends = v.Undefined && (v.Egress.Depends || v.Ingress.Depends)
	return v
}

// direction evaluates one side: subject (named subjectName) is the pod
// whose policies apply, other the far end, dst the end whose named ports
// count.
func (m *Model) direction(d Dir, subject party, subjectName string, other, dst party, self bool, port int32, proto Protocol) Direction {
	out := Direction{Subject: subjectName, Allowed: true}
	switch {
	case subject.pod == nil:
		out.Reason = ReasonExternal
		return out
	case self:
		// Traffic that never leaves the pod's network namespace is never
		// filtered by NetworkPolicy.
		out.Reason = ReasonSelf
		return out
	case subject.pod.hostNetwork:
		out.Reason = ReasonHostNetwork
		return out
	}
	out.Evaluated = true
	vp := m.verdictPodOf(subject.pod)
	out = m.npDirection(d, vp.isolation[d], out, subject, other, dst, port, proto)
	if g := vp.tiers[d]; !g.empty() {
		out = m.tierDirection(d, g, other, dst, port, proto, out)
	}
	if out.Undefined && m.uncertainPod(other.pod) {
		out.Depends = true
		out.Reason = m.dependsReason(d, subject.pod, other.pod)
	}
	return out
}

// isolation is the NetworkPolicies isolating a pod in one direction: their
// indexes, in m.byNamespace order, and their refs, sorted.
type isolation struct {
	policies []int
	refs     []PolicyRef
}

// verdictPod is what Verdict remembers per pod of the model, since it asks
// again for every port and far end: per direction, the NetworkPolicies
// isolating the pod and its cluster-wide policies in tier groups
// (tierGroupsOf(tierSubjects(p), d)).
type verdictPod struct {
	isolation [2]isolation
	tiers     [2]tierGroups
}

func (m *Model) verdictPodOf(p *podInfo) *verdictPod {
	if v, ok := m.verdictPods.Load(p); ok {
		return v.(*verdictPod)
	}
	vp := &verdictPod{}
	for d := range vp.isolation {
		iso := &vp.isolation[d]
		for _, pi := range m.byNamespace[p.ns] {
			if pol := &m.policies[pi]; pol.isolates[d] && m.selects(pol, p) {
				iso.policies = append(iso.policies, pi)
				iso.refs = append(iso.refs, pol.ref)
			}
		}
		slices.SortFunc(iso.refs, PolicyRef.compare)
		iso.refs = slices.Clip(iso.refs) // an append by a reader copies
	}
	if len(m.tiered) > 0 {
		subjects := m.tierSubjects(p)
		vp.tiers = [2]tierGroups{m.tierGroupsOf(subjects, 0), m.tierGroupsOf(subjects, 1)}
	}
	if _, known := m.podIndex[p.ref]; known {
		m.verdictPods.Store(p, vp)
	}
	return vp
}

// npDirection is the NetworkPolicy tier's answer for one side.
// iso is the policies isolating subject in direction d.
func (m *Model) npDirection(d Dir, iso isolation, out Direction, subject, other, dst party, port int32, proto Protocol) Direction {
	out.Allowed = false
	maybe := false
	out.Isolated, out.IsolatedBy = len(iso.policies) > 0, iso.refs
	for _, pi := range iso.policies {
		pol := &m.policies[pi]
		for ri := range pol.rules[d] {
			r := &pol.rules[d][ri]
			mk := m.ruleMatchParty(pol, r, other)
			if mk == matchNo {
				continue
			}
			portText, ok := r.matchingPorts(dst, port, proto)
			if !ok {
				continue
			}
			if mk == matchMaybe {
				// The far end is a pod without an IP that the rule's
				// address peers contain only in part.
				maybe = true
				continue
			}
			peerText, _ := m.matchingPeers(pol, r, other)
			out.AllowedBy = append(out.AllowedBy, RuleMatch{Policy: pol.ref, Rule: r.index, Peer: peerText, Port: portText})
		}
	}
	if len(out.AllowedBy) > 1 {
		slices.SortStableFunc(out.AllowedBy, func(a, b RuleMatch) int {
			if c := a.Policy.compare(b.Policy); c != 0 {
				return c
			}
			return cmp.Compare(a.Rule, b.Rule)
		})
	}
	switch {
	case !out.Isolated:
		out.Allowed, out.Reason = true, ReasonNotIsolated
	case len(out.AllowedBy) > 0:
		out.Allowed, out.Reason = true, ReasonAllowed
	case maybe:
		out.Undefined, out.Reason = true, ReasonUndefined
	default:
		out.Reason = ReasonNoRule
	}
	return out
}

// matchingPeers returns the text of the rule's peers that match other.
func (m *Model) matchingPeers(pol *policy, r *rule, other party) (string, bool) {
	if len(r.peers) == 0 {
		return "any peer", true
	}
	var texts []string
	for i := range r.peers {
		switch m.peerMatch(pol, &r.peers[i], other) {
		case matchYes:
			texts = append(texts, r.peers[i].text)
		case matchMaybe:
			why := r.peers[i].outside
			if why == "" {
				why = "the pod has no IP yet"
			}
			texts = append(texts, r.peers[i].text+" (may match: "+why+")")
		}
	}
	return strings.Join(texts, "; "), len(texts) > 0
}

func (m *Model) peerMatches(pol *policy, pr *peer, other party) bool {
	return m.peerMatch(pol, pr, other) == matchYes
}

// peerMatch says whether a peer matches the far end; matchMaybe for a peer
// the model cannot decide (domainNames, nodes without Node objects) facing
// an address or a hostNetwork pod.
func (m *Model) peerMatch(pol *policy, pr *peer, other party) match {
	switch {
	case pr.never:
		return matchNo
	case pr.any:
		return matchYes
	case pr.outside != "":
		// A hostNetwork pod is an address here, when it has one.
		if other.pod == nil || other.pod.hostNetwork && len(other.pod.ips) > 0 {
			return matchMaybe
		}
		return matchNo
	case pr.block < 0:
		return boolMatch(other.pod != nil && m.selectorPeerMatches(pol, pr, other.pod))
	}
	b := &m.blocks[pr.block]
	if other.pod == nil {
		return boolMatch(b.contains(other.ip))
	}
	if pr.kind == PeerNodes && !other.pod.hostNetwork {
		return matchNo // node addresses are not pod addresses
	}
	if !pr.seesPods && !m.ipBlockSeesPod(other.pod) {
		return matchNo
	}
	if len(other.pod.ips) == 0 {
		return m.unknownRel(pr.block, other.pod.hostNetwork)
	}
	// A dual-stack pod is matched if any of its addresses is inside.
	for _, ip := range other.pod.ips {
		if b.contains(ip) {
			return matchYes
		}
	}
	return matchNo
}

func boolMatch(b bool) match {
	if b {
		return matchYes
	}
	return matchNo
}

// matchingPorts returns the text of the rule's port entries that contain
// port/proto, named ports resolved on dst.
func (r *rule) matchingPorts(dst party, port int32, proto Protocol) (string, bool) {
	if port < MinPort || port > MaxPort || proto.index() < 0 {
		return "", false
	}
	if len(r.ports) == 0 {
		return "all ports", true
	}
	var texts []string
	for _, pm := range r.ports {
		if pm.proto != proto {
			continue
		}
		if pm.name == "" {
			if pm.r.From <= port && port <= pm.r.To {
				texts = append(texts, pm.text)
			}
			continue
		}
		if dst.pod == nil {
			continue // toward an address a name means nothing
		}
		if n, ok := dst.pod.resolve(pm.name, proto); ok && n == port {
			texts = append(texts, fmt.Sprintf("%s(=%d)/%s", pm.name, n, proto))
		}
	}
	return strings.Join(texts, ", "), len(texts) > 0
}
