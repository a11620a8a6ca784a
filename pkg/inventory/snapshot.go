// Package inventory holds what a cluster contains as far as NetworkPolicy is
// concerned: namespaces, pods and NetworkPolicies, read from a live kubeconfig
// context or from manifest files, together with where they came from and what
// was odd about them. It never prints and never imports cobra.
package inventory

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// SourceKind says whether a Snapshot was read from a cluster or from files.
type SourceKind string

const (
	SourceCluster SourceKind = "cluster"
	SourceFiles   SourceKind = "files"
)

// Source says where a Snapshot came from, so reports can name it.
type Source struct {
	Kind SourceKind `json:"kind"`
	// Context and Server are set for SourceCluster.
	Context string `json:"context,omitempty"`
	Server  string `json:"server,omitempty"`
	// Namespace is the namespace the snapshot was limited to ("" = all).
	Namespace string `json:"namespace,omitempty"`
	// Files lists the manifest paths read for SourceFiles ("-" is stdin).
	Files []string `json:"files,omitempty"`
}

// Snapshot is the inventory every later stage works from. Slices are sorted
// by namespace then name so that everything derived from them is stable.
type Snapshot struct {
	Source     Source
	Namespaces []corev1.Namespace
	Pods       []corev1.Pod
	// FinishedPods are pods in phase Succeeded or Failed. They are not
	// endpoints (their IPs may already belong to running pods), so the
	// engine never reads them; they are kept for inventory counts.
	FinishedPods []corev1.Pod
	Policies     []networkingv1.NetworkPolicy
	// ClusterNetworkPolicies are the cluster-wide tiers of
	// sigs.k8s.io/network-policy-api. Objects read as v1alpha2 (the same
	// schema) are converted to v1beta1; TypeMeta keeps the apiVersion they
	// were read as, for reports.
	ClusterNetworkPolicies []npav1beta1.ClusterNetworkPolicy
	// AdminNetworkPolicies and BaselineAdminNetworkPolicies are the
	// v1alpha1 kinds that ClusterNetworkPolicy replaced.
	AdminNetworkPolicies         []npav1alpha1.AdminNetworkPolicy
	BaselineAdminNetworkPolicies []npav1alpha1.BaselineAdminNetworkPolicy
	// Nodes are read only when a tier policy has a nodes peer; NodesKnown
	// says whether they were (without them such peers are outside the model).
	Nodes      []corev1.Node
	NodesKnown bool
	// OutsidePolicies count the policies of network plugins' own kinds
	// (Cilium, Calico, Antrea, MultiNetworkPolicy) per kind and namespace:
	// they decide traffic too, but the engine does not model them.
	OutsidePolicies []OutsidePolicies
	// Assumptions are what the verdicts assume or leave out; every report
	// lists them (see Assumption).
	Assumptions []Assumption
	// Warnings are recoverable oddities (skipped kinds, synthesised
	// namespaces, namespaces that could not be listed, ...), one line each.
	Warnings []string
	// Origins says where each object was read from, when it came from a
	// file, keyed by OriginKey.
	Origins map[string]Origin
}

// Origin locates an object inside a manifest file.
type Origin struct {
	File string `json:"file"`
	// Document is the 0-based index of the YAML document in the file.
	Document int `json:"document"`
	// Line is the 1-based line where the document starts.
	Line int `json:"line"`
}

// OriginKey keys Snapshot.Origins: "Kind/namespace/name" ("Kind//name"
// for namespaces).
func OriginKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}

// Sort orders namespaces, pods and policies by namespace then name.
func (s *Snapshot) Sort() {
	sort.SliceStable(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	sort.SliceStable(s.Pods, func(i, j int) bool {
		a, b := s.Pods[i], s.Pods[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	sort.SliceStable(s.FinishedPods, func(i, j int) bool {
		a, b := s.FinishedPods[i], s.FinishedPods[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	sort.SliceStable(s.Policies, func(i, j int) bool {
		a, b := s.Policies[i], s.Policies[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	sort.SliceStable(s.ClusterNetworkPolicies, func(i, j int) bool {
		return s.ClusterNetworkPolicies[i].Name < s.ClusterNetworkPolicies[j].Name
	})
	sort.SliceStable(s.AdminNetworkPolicies, func(i, j int) bool {
		return s.AdminNetworkPolicies[i].Name < s.AdminNetworkPolicies[j].Name
	})
	sort.SliceStable(s.BaselineAdminNetworkPolicies, func(i, j int) bool {
		return s.BaselineAdminNetworkPolicies[i].Name < s.BaselineAdminNetworkPolicies[j].Name
	})
	sort.SliceStable(s.Nodes, func(i, j int) bool { return s.Nodes[i].Name < s.Nodes[j].Name })
}

// Namespace returns the namespace with the given name, or nil.
func (s *Snapshot) Namespace(name string) *corev1.Namespace {
	i := sort.Search(len(s.Namespaces), func(i int) bool { return s.Namespaces[i].Name >= name })
	if i < len(s.Namespaces) && s.Namespaces[i].Name == name {
		return &s.Namespaces[i]
	}
	for i := range s.Namespaces { // not sorted yet
		if s.Namespaces[i].Name == name {
			return &s.Namespaces[i]
		}
	}
	return nil
}

// synthesiseNamespaces adds every namespace that pods or policies live in but
// the snapshot lacks, with only the label the API server sets on every
// namespace, and warns about each.
func (s *Snapshot) synthesiseNamespaces() {
	known := make(map[string]bool, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		known[ns.Name] = true
	}
	var missing []string
	need := func(name string) {
		if name != "" && !known[name] {
			known[name] = true
			missing = append(missing, name)
		}
	}
	for i := range s.Pods {
		need(s.Pods[i].Namespace)
	}
	for i := range s.Policies {
		need(s.Policies[i].Namespace)
	}
	sort.Strings(missing)
	for _, name := range missing {
		s.Namespaces = append(s.Namespaces, SynthesisedNamespace(name))
		s.Warnings = append(s.Warnings, fmt.Sprintf("namespace %q is used but not defined; assuming it has only the label %s=%s", name, corev1.LabelMetadataName, name))
	}
	if len(missing) > 0 {
		s.Assume(AssumptionSynthesisedNamespaces, fmt.Sprintf("%s used but not defined %s assumed to carry only the label %s: %s",
			plural(len(missing), "namespace"), map[bool]string{true: "is", false: "are"}[len(missing) == 1], corev1.LabelMetadataName, shortList(missing, 5)))
	}
}

// plural renders "1 namespace", "2 namespaces".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// shortList joins up to max items and says how many more there are.
func shortList(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

// SynthesisedNamespace is a namespace known only by name, labelled as the
// API server labels every namespace.
func SynthesisedNamespace(name string) corev1.Namespace {
	return corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelMetadataName: name}},
	}
}

// setAsideFinishedPods moves pods in phase Succeeded or Failed from Pods to
// FinishedPods, with a warning: they take no traffic, and the cluster may
// have given their IPs to running pods.
func (s *Snapshot) setAsideFinishedPods() {
	kept := s.Pods[:0]
	for _, p := range s.Pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			s.FinishedPods = append(s.FinishedPods, p)
			continue
		}
		kept = append(kept, p)
	}
	clear(s.Pods[len(kept):])
	s.Pods = kept
	if n := len(s.FinishedPods); n > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d finished pod(s) (phase Succeeded or Failed) left out of verdicts: they take no traffic and their IPs may belong to running pods", n))
	}
}
