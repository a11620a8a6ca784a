package audit

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// labelIndex holds the label sets the typo checks compare selectors with
// (which peers match what is the engine's answer, see reach.Query), and
// keeps the answers about peers that several checks ask for. Replicas of a
// workload share one label set, so its size grows with distinct label
// sets, not pods.
type labelIndex struct {
	// sets are the snapshot's namespaces' labels, with the label the API
	// server sets on every namespace.
	sets []labels.Set
	// podGroups holds, per namespace, the distinct label sets of its pods
	// that policies can select (not hostNetwork), with how many pods carry each.
	podGroups map[string][]labelGroup
	// peers memoises matchPeer.
	peers map[peerKey]peerMatch
}

// labelGroup is a label set and the number of pods (or namespaces) carrying it.
type labelGroup struct {
	set labels.Set
	n   int
}

// peerKey names one peer of one rule.
type peerKey struct {
	ref         reach.PolicyRef
	dir         reach.Dir
	rule, index int
}

type peerMatch struct {
	names            []string // namespaces the peer's namespaceSelector matches
	namespaces, pods int
	miss             *peerMiss
}

func newLabelIndex(in *Input, podsByNS map[string][]*corev1.Pod) *labelIndex {
	idx := &labelIndex{
		podGroups: map[string][]labelGroup{},
		peers:     map[peerKey]peerMatch{},
	}
	for i := range in.Snap.Namespaces {
		ns := &in.Snap.Namespaces[i]
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		set[corev1.LabelMetadataName] = ns.Name
		idx.sets = append(idx.sets, set)
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

// namespaceGroups are the namespaces' label sets, each counted once.
func (idx *labelIndex) namespaceGroups() []labelGroup {
	out := make([]labelGroup, len(idx.sets))
	for i, set := range idx.sets {
		out[i] = labelGroup{set: set, n: 1}
	}
	return out
}
