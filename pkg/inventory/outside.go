package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
)

// OutsideKind is a policy kind of a network plugin's own API. The engine
// models NetworkPolicy (and the network-policy-api tiers) only; where such
// policies exist they also decide traffic, so every report says that its
// verdicts leave them out.
type OutsideKind struct {
	// Family names the plugin: Cilium, Calico, Antrea or Multus.
	Family     string
	Group      string
	Kind       string
	Namespaced bool
}

// GroupKind is "CiliumNetworkPolicy.cilium.io", as kubectl spells it.
func (k OutsideKind) GroupKind() string { return k.Kind + "." + k.Group }

// outsideKinds are the kinds looked for, on a cluster by discovery and in
// files by apiVersion and kind. crd.projectcalico.org is Calico's storage of
// the projectcalico.org objects: it is counted only when the
// projectcalico.org API is not served, so that no policy counts twice.
var outsideKinds = []OutsideKind{
	{"Cilium", "cilium.io", "CiliumNetworkPolicy", true},
	{"Cilium", "cilium.io", "CiliumClusterwideNetworkPolicy", false},
	{"Calico", "projectcalico.org", "NetworkPolicy", true},
	{"Calico", "projectcalico.org", "GlobalNetworkPolicy", false},
	{"Calico", "projectcalico.org", "StagedNetworkPolicy", true},
	{"Calico", "projectcalico.org", "StagedGlobalNetworkPolicy", false},
	{"Calico", "projectcalico.org", "StagedKubernetesNetworkPolicy", true},
	{"Calico", "crd.projectcalico.org", "NetworkPolicy", true},
	{"Calico", "crd.projectcalico.org", "GlobalNetworkPolicy", false},
	{"Calico", "crd.projectcalico.org", "StagedNetworkPolicy", true},
	{"Calico", "crd.projectcalico.org", "StagedGlobalNetworkPolicy", false},
	{"Calico", "crd.projectcalico.org", "StagedKubernetesNetworkPolicy", true},
	{"Antrea", "crd.antrea.io", "NetworkPolicy", true},
	{"Antrea", "crd.antrea.io", "ClusterNetworkPolicy", false},
	{"Multus", "k8s.cni.cncf.io", "MultiNetworkPolicy", true},
}

// OutsideKinds returns the policy kinds netaudit looks for but does not model.
func OutsideKinds() []OutsideKind { return append([]OutsideKind(nil), outsideKinds...) }

// outsideKind returns the outside kind of an apiVersion and kind.
func outsideKind(apiVersion, kind string) (OutsideKind, bool) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return OutsideKind{}, false
	}
	for _, k := range outsideKinds {
		if k.Group == gv.Group && k.Kind == kind {
			return k, true
		}
	}
	return OutsideKind{}, false
}

// OutsidePolicies counts the policies of one outside kind in one namespace.
type OutsidePolicies struct {
	Family string `json:"family"`
	Group  string `json:"group"`
	Kind   string `json:"kind"`
	// Namespace is "" for a cluster-scoped kind: its policies may apply to
	// every namespace.
	Namespace string `json:"namespace,omitempty"`
	Count     int    `json:"count"`
}

// ClusterScoped says whether the policies apply across namespaces.
func (p OutsidePolicies) ClusterScoped() bool { return p.Namespace == "" }

// addOutside counts n objects of an outside kind in a namespace.
func (s *Snapshot) addOutside(k OutsideKind, namespace string, n int) {
	if !k.Namespaced {
		namespace = ""
	}
	for i := range s.OutsidePolicies {
		p := &s.OutsidePolicies[i]
		if p.Group == k.Group && p.Kind == k.Kind && p.Namespace == namespace {
			p.Count += n
			return
		}
	}
	s.OutsidePolicies = append(s.OutsidePolicies, OutsidePolicies{Family: k.Family, Group: k.Group, Kind: k.Kind, Namespace: namespace, Count: n})
}

// sortOutside orders the counts by group, kind and namespace.
func (s *Snapshot) sortOutside() {
	sort.SliceStable(s.OutsidePolicies, func(i, j int) bool {
		a, b := s.OutsidePolicies[i], s.OutsidePolicies[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Namespace < b.Namespace
	})
}

// OutsidePoliciesIn returns the counts that may apply to pods of namespace:
// its own and the cluster-scoped ones.
func (s *Snapshot) OutsidePoliciesIn(namespace string) []OutsidePolicies {
	var out []OutsidePolicies
	for _, p := range s.OutsidePolicies {
		if p.Namespace == "" || p.Namespace == namespace {
			out = append(out, p)
		}
	}
	return out
}

// DescribeOutside renders counts as "2 CiliumNetworkPolicy.cilium.io in
// shop, 1 CiliumClusterwideNetworkPolicy.cilium.io (cluster-wide)".
func DescribeOutside(counts []OutsidePolicies) string {
	var parts []string
	for _, p := range counts {
		gk := OutsideKind{Group: p.Group, Kind: p.Kind}.GroupKind()
		if p.ClusterScoped() {
			parts = append(parts, fmt.Sprintf("%d %s (cluster-wide)", p.Count, gk))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s in %s", p.Count, gk, p.Namespace))
		}
	}
	return strings.Join(parts, ", ")
}

// noteOutside records, as an assumption every report shows, that the
// verdicts leave the outside policies out.
func (s *Snapshot) noteOutside() {
	s.sortOutside()
	if len(s.OutsidePolicies) == 0 {
		return
	}
	total := 0
	for _, p := range s.OutsidePolicies {
		total += p.Count
	}
	text := fmt.Sprintf("verdicts do not include %d policies of kinds netaudit does not model: %s", total, DescribeOutside(s.OutsidePolicies))
	s.LeaveOut(AssumptionOutsidePolicies, text)
	s.Warnings = append(s.Warnings, text+"; the traffic they allow or deny is not reflected")
}

// decodeOutside reads only the metadata of a policy of an outside kind:
// its spec is not modelled, and a schema netaudit does not know cannot make
// the manifest fail.
func decodeOutside(data []byte, tm metav1.TypeMeta) (*metav1.PartialObjectMetadata, error) {
	var m metav1.PartialObjectMetadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	m.TypeMeta = tm
	return &m, nil
}

// addOutside counts a policy of an outside kind read from a file, in the
// namespace kubectl apply would put it in.
func (d *decoder) addOutside(m *metav1.PartialObjectMetadata) {
	k, _ := outsideKind(m.APIVersion, m.Kind)
	if !k.Namespaced {
		d.snap.addOutside(k, "", 1)
		return
	}
	if d.inScope(&m.ObjectMeta) {
		d.snap.addOutside(k, m.Namespace, 1)
	}
}

// outsideLister lists outside kinds on a live cluster: discovery says which
// are served, a metadata-only list counts them per namespace.
type outsideLister struct {
	disc      discovery.DiscoveryInterface
	md        metadata.Interface
	namespace string
	chunk     int64
	progress  func(int)
}

// listOutside adds the counts of every outside kind the cluster serves. No
// RBAC is required for them: a list that fails is a warning and an
// assumption naming what could not be checked, never an error.
func (l outsideLister) list(ctx context.Context, snap *Snapshot) {
	groups, err := l.disc.ServerGroups()
	if err != nil && groups == nil {
		snap.cannotCheck(fmt.Sprintf("cannot discover the API groups (%v)", shortErr(err)), "Cilium, Calico, Antrea and MultiNetworkPolicy policies")
		return
	}
	served := map[string]string{} // group -> preferred group/version
	for _, g := range groups.Groups {
		served[g.Name] = g.PreferredVersion.GroupVersion
	}
	listed := map[string]bool{} // groups whose kinds were all read
	for _, group := range outsideGroups() {
		gv, ok := served[group]
		if !ok {
			continue
		}
		if group == "crd.projectcalico.org" && listed["projectcalico.org"] {
			continue
		}
		kinds := kindsOf(group)
		res, err := l.disc.ServerResourcesForGroupVersion(gv)
		if err != nil {
			snap.cannotCheck(fmt.Sprintf("cannot discover %s (%v)", gv, shortErr(err)), kindNames(kinds))
			continue
		}
		all := true
		for _, k := range kinds {
			for _, r := range res.APIResources {
				if r.Kind != k.Kind || strings.Contains(r.Name, "/") {
					continue
				}
				gvr := schema.GroupVersionResource{Group: group, Version: versionOf(gv), Resource: r.Name}
				if err := l.count(ctx, snap, k, gvr); err != nil {
					all = false
					what := "cannot list " + r.Name + "." + group
					if apierrors.IsForbidden(err) {
						what += " (forbidden)"
					} else {
						what += fmt.Sprintf(" (%v)", shortErr(err))
					}
					snap.cannotCheck(what, k.GroupKind())
				}
				break
			}
		}
		listed[group] = all
	}
}

func (l outsideLister) count(ctx context.Context, snap *Snapshot, k OutsideKind, gvr schema.GroupVersionResource) error {
	ns := ""
	if k.Namespaced {
		ns = l.namespace
	}
	counts := map[string]int{}
	err := listAll(ctx, l.chunk, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
		list, err := l.md.Resource(gvr).Namespace(ns).List(ctx, lo)
		if err != nil {
			return "", err
		}
		for _, item := range list.Items {
			counts[item.Namespace]++
		}
		if l.progress != nil {
			l.progress(len(list.Items))
		}
		return list.Continue, nil
	})
	if err != nil {
		return err
	}
	for ns, n := range counts {
		snap.addOutside(k, ns, n)
	}
	return nil
}

// cannotCheck warns that kinds could not be looked for and records it
// among what the verdicts leave out.
func (s *Snapshot) cannotCheck(why, kinds string) {
	text := fmt.Sprintf("%s: whether %s exist could not be checked, and verdicts would not include them", why, kinds)
	s.Warnings = append(s.Warnings, text+"; grant get/list on them for a complete answer")
	s.LeaveOut(AssumptionUncheckedKinds, text)
}

func outsideGroups() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range outsideKinds {
		if !seen[k.Group] {
			seen[k.Group] = true
			out = append(out, k.Group)
		}
	}
	return out
}

func kindsOf(group string) []OutsideKind {
	var out []OutsideKind
	for _, k := range outsideKinds {
		if k.Group == group {
			out = append(out, k)
		}
	}
	return out
}

func kindNames(kinds []OutsideKind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.GroupKind())
	}
	return strings.Join(names, ", ")
}

func versionOf(groupVersion string) string {
	gv, _ := schema.ParseGroupVersion(groupVersion)
	return gv.Version
}

// shortErr keeps an API status message, dropping wrappers.
func shortErr(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) && se.Status().Message != "" {
		return se.Status().Message
	}
	return err.Error()
}
