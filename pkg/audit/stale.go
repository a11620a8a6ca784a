package audit

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA030", Name: "unused-policy", Severity: Low,
	Summary: "A policy selects no pod: it does nothing today.",
	Run:     unusedPolicies,
})

var _ = register(Check{
	ID: "NA031", Name: "dead-peer", Severity: Low,
	Summary: "A from/to peer matches no pod: the rule allows nothing through it.",
	Run:     func(in *Input) []Finding { return deadPeers(in, false) },
})

var _ = register(Check{
	ID: "NA032", Name: "selector-typo", Severity: Medium,
	Summary: "A selector matches nothing, but a label one edit away exists: likely a typo.",
	Run:     selectorTypos,
})

var _ = register(Check{
	ID: "NA033", Name: "unresolved-named-port", Severity: Medium,
	Summary: "A rule names a port that no pod it applies to declares with that protocol: the entry matches nothing.",
	Run:     unresolvedNamedPorts,
})

// near is a label one edit away from a selector's term.
type near struct {
	want, have string // "key=value"
	count      int
}

func unusedPolicies(in *Input) []Finding {
	var out []Finding
	for _, pol := range in.facts.policies {
		if pol.ClusterScoped() || len(in.facts.selected[pol.Ref]) > 0 || policyTypo(in, pol) != nil {
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s selects no pod (podSelector %s matches nothing in %s)", pol.Ref, selectorText(pol.PodSelector), pol.Ref.Namespace),
			Objects:  []Object{objectOfPolicy(pol.Ref, "spec.podSelector")},
			Fix:      "delete the policy, or fix its podSelector to match the pods it was meant for",
			Change:   ChangeRemoveUnused,
		})
	}
	return out
}

// policyTypo returns a near miss for an unused NetworkPolicy's podSelector.
func policyTypo(in *Input, pol *reach.Policy) *near {
	if pol.ClusterScoped() || len(in.facts.selected[pol.Ref]) > 0 {
		return nil
	}
	return nearMissIn(pol.PodSelector, in.facts.labels.podGroups[pol.Ref.Namespace])
}

func selectorTypos(in *Input) []Finding {
	var out []Finding
	for _, pol := range in.facts.policies {
		if n := policyTypo(in, pol); n != nil {
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s selects no pod: its podSelector wants %s, but pods in %s have %s (%s): likely a typo",
					pol.Ref, n.want, pol.Ref.Namespace, n.have, plural(n.count, "pod", "pods")),
				Objects: []Object{objectOfPolicy(pol.Ref, "spec.podSelector")},
				Fix:     fmt.Sprintf("change %s to %s in the podSelector (or the pods' labels)", n.want, n.have),
				Change:  ChangeAlignLabels,
			})
		}
	}
	return append(out, deadPeers(in, true)...)
}

// deadPeers reports selector peers of NetworkPolicies that match no pod;
// with typos, only those where a label one edit away exists (NA032), else
// only the others (NA031). Rules the API ignores are judged too: they are
// still meant to say something.
func deadPeers(in *Input, typos bool) []Finding {
	scoped := in.Snap.Source.Namespace != ""
	var out []Finding
	for _, pol := range in.facts.policies {
		if pol.ClusterScoped() {
			continue
		}
		for _, r := range rulesOf(pol, true) {
			for pi, peer := range r.Peers {
				if peer.Kind != reach.PeerPods && peer.Kind != reach.PeerNamespaces {
					continue
				}
				// With -n, pods of other namespaces were not read: a peer
				// reaching beyond the namespace cannot be judged dead.
				if scoped && peer.NamespaceSelector != nil {
					continue
				}
				m := matchPeer(in, pol, r, pi)
				if m.pods > 0 || (m.namespaces > 0 && peer.NamespaceSelector != nil && emptyNamespaces(in, m.names)) {
					// Namespaces with no pods yet cannot tell a dead peer
					// from one waiting for its workloads.
					continue
				}
				miss := m.miss
				if typos {
					if miss != nil {
						out = append(out, Finding{
							Severity: Medium,
							Message: fmt.Sprintf("%s %s peer %d matches no pod: it wants %s, but %s %s: likely a typo",
								pol.Ref, r.label(), pi+1, miss.want, miss.what(), miss.have),
							Objects: []Object{objectOfPolicy(pol.Ref, peer.Field)},
							Fix:     fmt.Sprintf("change %s to %s in the peer (or the labels)", miss.want, miss.have),
							Change:  ChangeAlignLabels,
						})
					}
					continue
				}
				if miss != nil {
					continue
				}
				why := "no pod matches it"
				if peer.NamespaceSelector != nil && m.namespaces == 0 {
					why = "namespaceSelector " + selectorText(peer.NamespaceSelector) + " matches no namespace"
				} else if peer.PodSelector != nil {
					why = "podSelector " + selectorText(peer.PodSelector) + " matches no pod"
					if peer.NamespaceSelector == nil {
						why += " in " + pol.Ref.Namespace
					} else {
						why += " in the namespaces selected"
					}
				}
				out = append(out, Finding{
					Severity: Low,
					Message:  fmt.Sprintf("%s %s peer %d allows nothing: %s", pol.Ref, r.label(), pi+1, why),
					Objects:  []Object{objectOfPolicy(pol.Ref, peer.Field)},
					Fix:      "remove the peer, or fix its selectors to match the pods it was meant for",
					Change:   ChangeRemoveUnused,
				})
			}
		}
	}
	return out
}

type peerMiss struct {
	near
	onNamespaces bool
}

func (m *peerMiss) what() string {
	if m.onNamespaces {
		return plural(m.count, "namespace carries", "namespaces carry")
	}
	return plural(m.count, "pod carries", "pods carry")
}

// matchPeer asks the engine which namespaces and pods a selector peer
// matches, and looks for a near miss when it matches none. NA031 and NA032
// both ask, so answers are kept.
func matchPeer(in *Input, pol *reach.Policy, r ruleView, peer int) peerMatch {
	key := peerKey{pol.Ref, r.Dir, r.Index, peer}
	idx := in.facts.labels
	if m, ok := idx.peers[key]; ok {
		return m
	}
	q := in.facts.query
	m := peerMatch{names: q.PeerNamespaces(pol.Ref, r.Dir, r.Index, peer)}
	m.namespaces = len(m.names)
	m.pods = q.PeerPodCount(pol.Ref, r.Dir, r.Index, peer)
	p := &r.Peers[peer]
	switch {
	case m.pods > 0:
	case p.NamespaceSelector != nil && m.namespaces == 0:
		if n := nearMissIn(p.NamespaceSelector, idx.namespaceGroups()); n != nil {
			m.miss = &peerMiss{near: *n, onNamespaces: true}
		}
	case p.PodSelector != nil:
		var groups []labelGroup
		for _, ns := range m.names {
			groups = append(groups, idx.podGroups[ns]...)
		}
		if n := nearMissIn(p.PodSelector, groups); n != nil {
			m.miss = &peerMiss{near: *n}
		}
	}
	idx.peers[key] = m
	return m
}

// nearMiss looks for a selector term key=value (matchLabels, or In with
// one value) that no object has, where some object has a label one edit
// away in its key or its value.
func nearMiss(sel labels.Selector, sets []labels.Set) *near {
	groups := make([]labelGroup, len(sets))
	for i, set := range sets {
		groups[i] = labelGroup{set: set, n: 1}
	}
	return nearMissIn(sel, groups)
}

// nearMissIn is nearMiss over label sets each carried by n objects.
func nearMissIn(sel labels.Selector, groups []labelGroup) *near {
	if sel == nil {
		return nil
	}
	terms := map[string]string{}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals:
			terms[r.Key()] = r.ValuesUnsorted()[0]
		case selection.In:
			if vals := r.ValuesUnsorted(); len(vals) == 1 {
				terms[r.Key()] = vals[0]
			}
		}
	}
	keys := make([]string, 0, len(terms))
	for k := range terms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := terms[k]
		found := false
		candidates := map[string]int{}
		for _, g := range groups {
			if g.set[k] == v && g.set.Has(k) {
				found = true
				break
			}
			for hk, hv := range g.set {
				if (hk == k && oneEdit(hv, v)) || (hv == v && oneEdit(hk, k)) {
					candidates[hk+"="+hv] += g.n
				}
			}
		}
		if found || len(candidates) == 0 {
			continue
		}
		best := ""
		for c, n := range candidates {
			if best == "" || n > candidates[best] || (n == candidates[best] && c < best) {
				best = c
			}
		}
		return &near{want: k + "=" + v, have: best, count: candidates[best]}
	}
	return nil
}

// oneEdit: a and b differ by one insertion, deletion, substitution or
// transposition of adjacent characters (and are not equal).
func oneEdit(a, b string) bool {
	if a == b || len(a) == 0 || len(b) == 0 {
		return false
	}
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	switch {
	case la == lb:
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // transposition
	case la > lb:
		return a[i+1:] == b[i:]
	}
	return a[i:] == b[i+1:]
}

// unresolvedNamedPorts asks the engine where each named port entry
// resolves: on the destination pod's containers and sidecars, with the
// entry's protocol.
func unresolvedNamedPorts(in *Input) []Finding {
	var out []Finding
	activeRules(in, func(pol *reach.Policy, r ruleView, _ string) {
		type deadPort struct {
			pi  int
			use reach.NamedPortUse
		}
		var dead []deadPort
		for pi, p := range r.Ports {
			if p.Name == "" {
				continue
			}
			if use, ok := unresolved(in, pol.Ref, r, pi); ok {
				dead = append(dead, deadPort{pi, use})
			}
		}
		// The open-rule checks (NA010-NA013) leave such entries out, and
		// a rule with no other port out altogether: say so here.
		whole := ""
		if len(dead) == len(r.Ports) {
			whole = "; the rule has no other port, so it allows nothing at all until a pod declares the name"
		}
		for _, d := range dead {
			p, use := r.Ports[d.pi], d.use
			why := ""
			if use.OtherProtocol != "" {
				why = fmt.Sprintf(" (some declare it, but over %s)", use.OtherProtocol)
			}
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s %s port %q/%s resolves on none of the %s it applies to%s: the entry matches nothing on pods without that name%s",
					pol.Ref, r.label(), p.Name, p.Protocol, plural(use.Destinations, "pod", "pods"), why, whole),
				Objects: []Object{objectOfPolicy(pol.Ref, p.Field)},
				Fix:     "use a port name the destination containers declare with that protocol, or the port number",
				Change:  ChangeFixNamedPorts,
			})
		}
	})
	return out
}

// unresolved reports whether a named port entry of a rule resolves on none
// of the pods it applies to (while it applies to some).
func unresolved(in *Input, ref reach.PolicyRef, r ruleView, port int) (reach.NamedPortUse, bool) {
	use, ok := in.facts.query.NamedPort(ref, r.Dir, r.Index, port)
	return use, ok && use.Destinations > 0 && use.Resolved == 0
}

// emptyNamespaces: every namespace named has no pods in the snapshot.
func emptyNamespaces(in *Input, namespaces []string) bool {
	for _, ns := range namespaces {
		if len(in.facts.podsByNS[ns]) > 0 {
			return false
		}
	}
	return true
}
