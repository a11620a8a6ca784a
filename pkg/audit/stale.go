package audit

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
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
	for i := range in.Snap.Policies {
		np := &in.Snap.Policies[i]
		if len(in.facts.selected[refOf(np)]) > 0 || policyTypo(in, np) != nil {
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s/%s selects no pod (podSelector %s matches nothing in %s)", np.Namespace, np.Name, selectorText(&np.Spec.PodSelector), np.Namespace),
			Objects:  []Object{objectOfPolicy(np, "spec.podSelector")},
			Fix:      "delete the policy, or fix its podSelector to match the pods it was meant for",
			Change:   ChangeRemoveUnused,
		})
	}
	return out
}

// policyTypo returns a near miss for an unused policy's podSelector.
func policyTypo(in *Input, np *networkingv1.NetworkPolicy) *near {
	if len(in.facts.selected[refOf(np)]) > 0 {
		return nil
	}
	return nearMissIn(&np.Spec.PodSelector, in.facts.labels.podGroups[np.Namespace])
}

func selectorTypos(in *Input) []Finding {
	var out []Finding
	for i := range in.Snap.Policies {
		np := &in.Snap.Policies[i]
		if n := policyTypo(in, np); n != nil {
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s/%s selects no pod: its podSelector wants %s, but pods in %s have %s (%s): likely a typo",
					np.Namespace, np.Name, n.want, np.Namespace, n.have, plural(n.count, "pod", "pods")),
				Objects: []Object{objectOfPolicy(np, "spec.podSelector")},
				Fix:     fmt.Sprintf("change %s to %s in the podSelector (or the pods' labels)", n.want, n.have),
				Change:  ChangeAlignLabels,
			})
		}
	}
	return append(out, deadPeers(in, true)...)
}

// namespaceLabels includes the name label the API server sets on every namespace.
func namespaceLabels(ns *corev1.Namespace) labels.Set {
	set := labels.Set{}
	for k, v := range ns.Labels {
		set[k] = v
	}
	set[corev1.LabelMetadataName] = ns.Name
	return set
}

// deadPeers reports selector peers that match no pod; with typos, only
// those where a label one edit away exists (NA032), else only the others
// (NA031).
func deadPeers(in *Input, typos bool) []Finding {
	scoped := in.Snap.Source.Namespace != ""
	var out []Finding
	for i := range in.Snap.Policies {
		np := &in.Snap.Policies[i]
		for _, r := range rulesOf(np) {
			for pi, peer := range r.peers {
				if peer.IPBlock != nil {
					continue
				}
				// With -n, pods of other namespaces were not read: a peer
				// reaching beyond the namespace cannot be judged dead.
				if scoped && peer.NamespaceSelector != nil {
					continue
				}
				nsMatch, podMatch, miss := matchPeer(in, np, &r.peers[pi])
				if podMatch > 0 || (nsMatch > 0 && peer.NamespaceSelector != nil && emptyNamespaces(in, peer)) {
					// Namespaces with no pods yet cannot tell a dead peer
					// from one waiting for its workloads.
					continue
				}
				field := r.peerField(pi)
				if typos {
					if miss != nil {
						out = append(out, Finding{
							Severity: Medium,
							Message: fmt.Sprintf("%s/%s %s peer %d matches no pod: it wants %s, but %s %s: likely a typo",
								np.Namespace, np.Name, r.label(), pi+1, miss.want, miss.what(), miss.have),
							Objects: []Object{objectOfPolicy(np, field)},
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
				if peer.NamespaceSelector != nil && nsMatch == 0 {
					why = "namespaceSelector " + selectorText(peer.NamespaceSelector) + " matches no namespace"
				} else if peer.PodSelector != nil {
					why = "podSelector " + selectorText(peer.PodSelector) + " matches no pod"
					if peer.NamespaceSelector == nil {
						why += " in " + np.Namespace
					} else {
						why += " in the namespaces selected"
					}
				}
				out = append(out, Finding{
					Severity: Low,
					Message:  fmt.Sprintf("%s/%s %s peer %d allows nothing: %s", np.Namespace, np.Name, r.label(), pi+1, why),
					Objects:  []Object{objectOfPolicy(np, field)},
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

// matchPeer counts the namespaces and pods a selector peer matches, and
// looks for a near miss when it matches none. peer points into the
// snapshot; NA031 and NA032 both ask, so answers are kept.
func matchPeer(in *Input, np *networkingv1.NetworkPolicy, peer *networkingv1.NetworkPolicyPeer) (nsCount, podCount int, miss *peerMiss) {
	idx := in.facts.labels
	if m, ok := idx.peers[peer]; ok {
		return m.namespaces, m.pods, m.miss
	}
	nsCount, podCount, miss = matchPeerOnce(in, np, peer)
	idx.peers[peer] = peerMatch{namespaces: nsCount, pods: podCount, miss: miss}
	return nsCount, podCount, miss
}

func matchPeerOnce(in *Input, np *networkingv1.NetworkPolicy, peer *networkingv1.NetworkPolicyPeer) (nsCount, podCount int, miss *peerMiss) {
	idx := in.facts.labels
	namespaces := []string{np.Namespace}
	if peer.NamespaceSelector != nil {
		var ok bool
		if namespaces, ok = idx.matchingNamespaces(peer.NamespaceSelector); !ok {
			return 0, 0, nil
		}
		if len(namespaces) == 0 {
			if n := nearMissIn(peer.NamespaceSelector, idx.namespaceGroups()); n != nil {
				return 0, 0, &peerMiss{near: *n, onNamespaces: true}
			}
			return 0, 0, nil
		}
	}
	podSel := labels.Everything()
	if peer.PodSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		if err != nil {
			return 0, 0, nil
		}
		podSel = s
	}
	var groups []labelGroup
	for _, ns := range namespaces {
		for _, g := range idx.podGroups[ns] {
			groups = append(groups, g)
			if podSel.Matches(g.set) {
				podCount += g.n
			}
		}
	}
	if podCount == 0 && peer.PodSelector != nil {
		if n := nearMissIn(peer.PodSelector, groups); n != nil {
			return len(namespaces), 0, &peerMiss{near: *n}
		}
	}
	return len(namespaces), podCount, nil
}

// nearMiss looks for a selector term key=value (matchLabels or In with one
// value) that no object has, where some object has a label one edit away
// in its key or its value.
func nearMiss(sel *metav1.LabelSelector, sets []labels.Set) *near {
	groups := make([]labelGroup, len(sets))
	for i, set := range sets {
		groups[i] = labelGroup{set: set, n: 1}
	}
	return nearMissIn(sel, groups)
}

// nearMissIn is nearMiss over label sets each carried by n objects.
func nearMissIn(sel *metav1.LabelSelector, groups []labelGroup) *near {
	terms := map[string]string{}
	for k, v := range sel.MatchLabels {
		terms[k] = v
	}
	for _, e := range sel.MatchExpressions {
		if e.Operator == metav1.LabelSelectorOpIn && len(e.Values) == 1 {
			terms[e.Key] = e.Values[0]
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

func unresolvedNamedPorts(in *Input) []Finding {
	var out []Finding
	activeRules(in, func(np *networkingv1.NetworkPolicy, r ruleView, _ string) {
		for pi, p := range r.ports {
			if p.Port == nil || p.Port.IntVal != 0 || p.Port.StrVal == "" {
				continue
			}
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			// Named ports resolve on the destination: the selected pods for
			// ingress, the peers' pods for egress.
			var dests []*corev1.Pod
			if r.dir == "ingress" {
				dests = in.facts.selected[refOf(np)]
			} else {
				dests = egressDestinations(in, np, r)
			}
			if len(dests) == 0 {
				continue
			}
			resolved := 0
			other := ""
			for _, d := range dests {
				if n, ok := namedPort(d, p.Port.StrVal); ok {
					if n.Protocol == proto || (n.Protocol == "" && proto == corev1.ProtocolTCP) {
						resolved++
					} else {
						other = string(n.Protocol)
					}
				}
			}
			if resolved > 0 {
				continue
			}
			why := ""
			if other != "" {
				why = fmt.Sprintf(" (some declare it, but over %s)", other)
			}
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s/%s %s port %q/%s resolves on none of the %s it applies to%s: the entry allows nothing",
					np.Namespace, np.Name, r.label(), p.Port.StrVal, proto, plural(len(dests), "pod", "pods"), why),
				Objects: []Object{objectOfPolicy(np, fmt.Sprintf("%s.ports[%d]", r.field(), pi))},
				Fix:     "use a port name the destination containers declare with that protocol, or the port number",
				Change:  ChangeFixNamedPorts,
			})
		}
	})
	return out
}

func namedPort(p *corev1.Pod, name string) (corev1.ContainerPort, bool) {
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			for _, cp := range c.Ports {
				if cp.Name == name {
					return cp, true
				}
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// egressDestinations are the pods an egress rule's selector peers match (all
// pods when the rule has no peers).
func egressDestinations(in *Input, np *networkingv1.NetworkPolicy, r ruleView) []*corev1.Pod {
	var out []*corev1.Pod
	if len(r.peers) == 0 {
		for i := range in.Snap.Pods {
			out = append(out, &in.Snap.Pods[i])
		}
		return out
	}
	for _, peer := range r.peers {
		if peer.IPBlock != nil {
			continue
		}
		out = append(out, peerPods(in, np, peer)...)
	}
	return out
}

func peerPods(in *Input, np *networkingv1.NetworkPolicy, peer networkingv1.NetworkPolicyPeer) []*corev1.Pod {
	namespaces := []string{np.Namespace}
	if peer.NamespaceSelector != nil {
		var ok bool
		if namespaces, ok = in.facts.labels.matchingNamespaces(peer.NamespaceSelector); !ok {
			return nil
		}
	}
	podSel := labels.Everything()
	if peer.PodSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		if err != nil {
			return nil
		}
		podSel = s
	}
	var out []*corev1.Pod
	for _, ns := range namespaces {
		for _, p := range in.facts.podsByNS[ns] {
			if !p.Spec.HostNetwork && podSel.Matches(labels.Set(p.Labels)) {
				out = append(out, p)
			}
		}
	}
	return out
}

// emptyNamespaces: every namespace the peer's namespaceSelector matches has
// no pods in the snapshot.
func emptyNamespaces(in *Input, peer networkingv1.NetworkPolicyPeer) bool {
	namespaces, ok := in.facts.labels.matchingNamespaces(peer.NamespaceSelector)
	if !ok {
		return false
	}
	for _, ns := range namespaces {
		if len(in.facts.podsByNS[ns]) > 0 {
			return false
		}
	}
	return true
}
