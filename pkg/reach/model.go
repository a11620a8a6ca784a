package reach

import (
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The compiled policy model, as consumers read it.
//
// Every policy kind compiles into one model: a kind-qualified reference, a
// tier and a priority within it, a subject, and per direction ordered rules
// with an action, peers, ports and the field path each came from. Audit
// checks and printers read this view and the engine's verdicts, never the
// API objects, so that there is one reading of every object.

// Policy is one compiled policy of any kind.
type Policy struct {
	Ref        PolicyRef
	APIVersion string
	Tier       Tier
	// Priority orders policies within the Admin and Baseline tiers
	// (ascending: 0 first); it is 0 for NetworkPolicies.
	Priority int32
	// NamespaceSelector is nil for a NetworkPolicy, whose subject is pods
	// of its own namespace; for the cluster-wide kinds it selects the
	// namespaces of the subject.
	NamespaceSelector labels.Selector
	// PodSelector selects the subject's pods; nil selects every pod.
	PodSelector labels.Selector
	// Isolates says, per Dir, whether a NetworkPolicy's effective
	// policyTypes include the direction; for the cluster-wide kinds,
	// whether the policy has rules in that direction.
	Isolates [2]bool
	// Rules holds, per Dir, the rules that count, in spec order.
	Rules [2][]Rule
	// Inactive holds, per Dir, the rules of a NetworkPolicy that the API
	// ignores because policyTypes lacks that direction.
	Inactive [2][]Rule
}

// ClusterScoped reports whether the policy is one of the cluster-wide kinds.
func (p *Policy) ClusterScoped() bool { return p.Ref.Kind != KindNetworkPolicy }

// Rule is one compiled rule.
type Rule struct {
	Dir Dir
	// Index is the position in spec.ingress or spec.egress; Field the path
	// ("spec.egress[2]").
	Index  int
	Field  string
	Action Action
	// Peers empty: every source or destination, in or out of the cluster
	// (NetworkPolicy only; the cluster-wide kinds require peers).
	Peers []Peer
	// Ports empty: all traffic.
	Ports []Port
}

// Peer is one peer of a rule.
type Peer struct {
	Kind  PeerKind
	Field string
	// Text describes the peer as explanations print it.
	Text string
	// NamespaceSelector nil (PeerPods of a NetworkPolicy) means the
	// policy's own namespace; PodSelector nil means every pod.
	NamespaceSelector, PodSelector labels.Selector
	// NodeSelector selects nodes (PeerNodes).
	NodeSelector labels.Selector
	// CIDR and Except describe a PeerAddresses peer; Written is the CIDR as
	// the object spells it when that differs from the canonical form.
	CIDR    netip.Prefix
	Except  []netip.Prefix
	Written string
	// SeesPods says whether the address peer matches pod IPs whatever
	// Options.IPBlockMatchesPods says (networks peers of the tiers).
	SeesPods bool
	// Outside, when set, says why the model cannot decide what the peer
	// matches (domainNames; nodes without Node objects).
	Outside string
}

// Port is one port entry of a rule.
type Port struct {
	Field    string
	Protocol Protocol
	// Name is a named port, resolved on the destination pod; Range is set
	// otherwise.
	Name  string
	Range PortRange
	Text  string
}

// Policies returns every compiled policy, Admin tier first, then
// NetworkPolicies, then the Baseline tier; within a tier by priority, then
// reference.
func (m *Model) Policies() []Policy {
	out := make([]Policy, 0, len(m.policies))
	for i := range m.policies {
		out = append(out, m.policies[i].view(m))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Ref.less(b.Ref)
	})
	return out
}

// Policy returns the compiled policy with that reference, or nil.
func (m *Model) Policy(ref PolicyRef) *Policy {
	if i := m.policyIndex(ref); i >= 0 {
		v := m.policies[i].view(m)
		return &v
	}
	return nil
}

func (m *Model) policyIndex(ref PolicyRef) int {
	for i := range m.policies {
		if m.policies[i].ref == ref {
			return i
		}
	}
	return -1
}

func (pol *policy) view(m *Model) Policy {
	v := Policy{
		Ref:               pol.ref,
		APIVersion:        pol.apiVersion,
		Tier:              pol.tier,
		Priority:          pol.priority,
		NamespaceSelector: pol.nsSel,
		PodSelector:       pol.selector,
		Isolates:          pol.isolates,
	}
	for d := range pol.rules {
		for i := range pol.rules[d] {
			v.Rules[d] = append(v.Rules[d], pol.rules[d][i].view(m, Dir(d)))
		}
		for i := range pol.inactive[d] {
			v.Inactive[d] = append(v.Inactive[d], pol.inactive[d][i].view(m, Dir(d)))
		}
	}
	return v
}

func (r *rule) view(m *Model, d Dir) Rule {
	v := Rule{Dir: d, Index: r.index, Field: r.field, Action: r.action}
	for i := range r.peers {
		pr := &r.peers[i]
		pv := Peer{Kind: pr.kind, Field: pr.field, Text: pr.text, NamespaceSelector: pr.nsSel, PodSelector: pr.podSel,
			NodeSelector: pr.nodeSel, SeesPods: pr.seesPods, Outside: pr.outside}
		if pr.block >= 0 {
			b := &m.blocks[pr.block]
			pv.CIDR, pv.Except, pv.Written = b.cidr, b.except, b.written
		}
		v.Peers = append(v.Peers, pv)
	}
	for _, pm := range r.ports {
		v.Ports = append(v.Ports, Port{Field: pm.field, Protocol: pm.proto, Name: pm.name, Range: pm.r, Text: pm.text})
	}
	return v
}

// PodsOf returns the snapshot's pods, in snapshot order, for which keep
// returns true; a helper for consumers that look pods up by a selection.
func (m *Model) PodsOf(keep func(*corev1.Pod) bool) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range m.pods {
		if keep(m.pods[i].pod) {
			out = append(out, m.pods[i].pod)
		}
	}
	return out
}
