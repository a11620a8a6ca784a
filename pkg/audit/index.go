package audit

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// labelIndex answers the selector questions the checks ask over and over
// (which namespaces a namespaceSelector matches, which label sets the pods
// of a namespace carry, what a peer matches) once per audit, so that their
// cost grows with distinct selectors and label sets rather than with
// peers times namespaces times pods. Replicas of a workload share one
// label set.
type labelIndex struct {
	// namespaces are the snapshot's namespaces in its order, with the label
	// the API server sets on every namespace.
	names []string
	sets  []labels.Set
	// byNSSelector caches matchingNamespaces by the selector's canonical form.
	byNSSelector map[string][]string
	// podGroups holds, per namespace, the distinct label sets of its pods
	// that policies can select (not hostNetwork), with how many pods carry each.
	podGroups map[string][]labelGroup
	// peers memoises matchPeer, keyed by the peer inside the snapshot.
	peers map[*networkingv1.NetworkPolicyPeer]peerMatch
}

// labelGroup is a label set and the number of pods (or namespaces) carrying it.
type labelGroup struct {
	set labels.Set
	n   int
}

type peerMatch struct {
	namespaces, pods int
	miss             *peerMiss
}

func newLabelIndex(in *Input, podsByNS map[string][]*corev1.Pod) *labelIndex {
	idx := &labelIndex{
		byNSSelector: map[string][]string{},
		podGroups:    map[string][]labelGroup{},
		peers:        map[*networkingv1.NetworkPolicyPeer]peerMatch{},
	}
	for i := range in.Snap.Namespaces {
		ns := &in.Snap.Namespaces[i]
		idx.names = append(idx.names, ns.Name)
		idx.sets = append(idx.sets, namespaceLabels(ns))
	}
	for ns, pods := range podsByNS {
		at := map[string]int{}
		var groups []labelGroup
		for _, p := range pods {
			if p.Spec.HostNetwork {
				continue
			}
			k := labels.Set(p.Labels).String() // sorted k=v pairs: one string per distinct set
			if i, ok := at[k]; ok {
				groups[i].n++
				continue
			}
			at[k] = len(groups)
			groups = append(groups, labelGroup{set: p.Labels, n: 1})
		}
		idx.podGroups[ns] = groups
	}
	return idx
}

// matchingNamespaces returns the names of the namespaces a namespaceSelector
// matches, in snapshot order; ok is false for a selector that does not parse.
func (idx *labelIndex) matchingNamespaces(s *metav1.LabelSelector) (names []string, ok bool) {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return nil, false
	}
	key := sel.String()
	if names, ok := idx.byNSSelector[key]; ok {
		return names, true
	}
	names = []string{}
	for i, set := range idx.sets {
		if sel.Matches(set) {
			names = append(names, idx.names[i])
		}
	}
	idx.byNSSelector[key] = names
	return names, true
}

// namespaceGroups are the namespaces' label sets, each counted once.
func (idx *labelIndex) namespaceGroups() []labelGroup {
	out := make([]labelGroup, len(idx.sets))
	for i, set := range idx.sets {
		out[i] = labelGroup{set: set, n: 1}
	}
	return out
}
