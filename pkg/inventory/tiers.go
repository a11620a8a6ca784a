package inventory

// The cluster-wide tiers of sigs.k8s.io/network-policy-api, read from files
// and from a live cluster: ClusterNetworkPolicy (policy.networking.k8s.io
// v1beta1, and v1alpha2 with the same schema) and the v1alpha1
// AdminNetworkPolicy and BaselineAdminNetworkPolicy it replaced.
//
// They are decoded strictly: a field the pinned types do not know (an older
// or newer CRD version) is a warning naming the object and the field, since
// the verdicts cannot take it into account. A peer or port left without any
// known field is then kept empty, which the engine treats as the API asks
// ("fail closed").

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	kjson "sigs.k8s.io/json"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// PolicyGroup is the API group of the tier kinds.
const PolicyGroup = "policy.networking.k8s.io"

// The tier kinds.
const (
	KindClusterNetworkPolicy         = "ClusterNetworkPolicy"
	KindAdminNetworkPolicy           = "AdminNetworkPolicy"
	KindBaselineAdminNetworkPolicy   = "BaselineAdminNetworkPolicy"
	tierModuleVersion                = "sigs.k8s.io/network-policy-api v0.3.0"
	baselineAdminNetworkPolicyOnName = "default"
)

// tierResource is one kind in one version that netaudit reads.
type tierResource struct {
	kind     string
	version  string
	resource string // plural, as the API serves it
}

// tierResources lists, per kind, the versions netaudit reads in order of
// preference: live, the first one the server serves is listed.
var tierResources = [][]tierResource{
	{{KindClusterNetworkPolicy, "v1beta1", "clusternetworkpolicies"}, {KindClusterNetworkPolicy, "v1alpha2", "clusternetworkpolicies"}},
	{{KindAdminNetworkPolicy, "v1alpha1", "adminnetworkpolicies"}},
	{{KindBaselineAdminNetworkPolicy, "v1alpha1", "baselineadminnetworkpolicies"}},
}

// tierVersions says which apiVersions of each kind decode.
func tierVersions(kind string) []string {
	var out []string
	for _, rs := range tierResources {
		for _, r := range rs {
			if r.kind == kind {
				out = append(out, r.version)
			}
		}
	}
	return out
}

// tierDecoded is what decoding a tier document gives: the objects (several
// for a typed list) and the warnings about them. It is a runtime.Object only
// so it can travel through the decoder like the others.
type tierDecoded struct {
	objs     []runtime.Object
	warnings []string
}

func (t *tierDecoded) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (t *tierDecoded) DeepCopyObject() runtime.Object {
	c := &tierDecoded{warnings: slices.Clone(t.warnings)}
	for _, o := range t.objs {
		c.objs = append(c.objs, o.DeepCopyObject())
	}
	return c
}

// decodeTier decodes a document of the policy.networking.k8s.io group.
// handled is false for every other group.
func decodeTier(data []byte, tm metav1.TypeMeta) (obj runtime.Object, handled bool, err error) {
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil || gv.Group != PolicyGroup {
		return nil, false, nil
	}
	out := &tierDecoded{}
	if err := out.add(data, tm); err != nil {
		return nil, true, err
	}
	return out, true, nil
}

func (t *tierDecoded) add(data []byte, tm metav1.TypeMeta) error {
	kind, isList := strings.CutSuffix(tm.Kind, "List")
	if isList && slices.Contains([]string{KindClusterNetworkPolicy, KindAdminNetworkPolicy, KindBaselineAdminNetworkPolicy}, kind) {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(data, &list); err != nil {
			return err
		}
		for i, item := range list.Items {
			if err := t.add(item, metav1.TypeMeta{APIVersion: tm.APIVersion, Kind: kind}); err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
		}
		return nil
	}
	gv, _ := schema.ParseGroupVersion(tm.APIVersion)
	var obj runtime.Object
	var meta *metav1.ObjectMeta
	switch {
	case tm.Kind == KindClusterNetworkPolicy && (gv.Version == "v1beta1" || gv.Version == "v1alpha2"):
		// v1alpha2 is served with the same schema as v1beta1.
		o := &npav1beta1.ClusterNetworkPolicy{}
		obj, meta = o, &o.ObjectMeta
	case tm.Kind == KindAdminNetworkPolicy && gv.Version == "v1alpha1":
		o := &npav1alpha1.AdminNetworkPolicy{}
		obj, meta = o, &o.ObjectMeta
	case tm.Kind == KindBaselineAdminNetworkPolicy && gv.Version == "v1alpha1":
		o := &npav1alpha1.BaselineAdminNetworkPolicy{}
		obj, meta = o, &o.ObjectMeta
	default:
		name := objectName(data)
		if versions := tierVersions(tm.Kind); len(versions) > 0 {
			t.warnings = append(t.warnings, fmt.Sprintf("%s %q: apiVersion %s is not one netaudit reads (%s/%s); skipped, so verdicts ignore it",
				tm.Kind, name, tm.APIVersion, PolicyGroup, strings.Join(versions, ", ")))
		} else {
			t.warnings = append(t.warnings, fmt.Sprintf("%s %q (%s): a kind of %s that netaudit does not read; skipped, so verdicts ignore it",
				tm.Kind, name, tm.APIVersion, PolicyGroup))
		}
		return nil
	}
	strict, err := kjson.UnmarshalStrict(data, obj)
	if err != nil {
		return err
	}
	obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(tm.Kind))
	// Cluster-scoped: a namespace in a manifest is ignored, as the API
	// server ignores it.
	meta.Namespace = ""
	for _, e := range strict {
		t.warnings = append(t.warnings, fmt.Sprintf("%s %q (%s): %v, which %s does not define; verdicts ignore it (a peer or port left with no known field matches nothing in an Accept/Allow rule and everything in a Deny or Pass rule, as the API prescribes)",
			tm.Kind, meta.Name, tm.APIVersion, e, tierModuleVersion))
	}
	if tm.Kind == KindBaselineAdminNetworkPolicy && meta.Name != baselineAdminNetworkPolicyOnName {
		t.warnings = append(t.warnings, fmt.Sprintf("%s %q: the API accepts only one, named %q; a cluster would refuse this one, but verdicts include it",
			tm.Kind, meta.Name, baselineAdminNetworkPolicyOnName))
	}
	t.objs = append(t.objs, obj)
	return nil
}

// objectName reads metadata.name for a message, or "".
func objectName(data []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(data, &m)
	return m.Metadata.Name
}

// addTier adds decoded tier objects to the snapshot, with their origin, and
// their warnings located in the file.
func (d *decoder) addTier(file string, doc document, t *tierDecoded) {
	origin := Origin{File: file, Document: doc.index, Line: doc.line}
	for _, w := range t.warnings {
		d.snap.Warnings = append(d.snap.Warnings, fmt.Sprintf("%s: document %d (line %d): %s", file, doc.index, doc.line, w))
	}
	for _, obj := range t.objs {
		d.snap.addTierObject(obj, origin)
	}
}

func (s *Snapshot) addTierObject(obj runtime.Object, origin Origin) {
	var key string
	switch o := obj.(type) {
	case *npav1beta1.ClusterNetworkPolicy:
		s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, *o)
		key = OriginKey(KindClusterNetworkPolicy, "", o.Name)
	case *npav1alpha1.AdminNetworkPolicy:
		s.AdminNetworkPolicies = append(s.AdminNetworkPolicies, *o)
		key = OriginKey(KindAdminNetworkPolicy, "", o.Name)
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		s.BaselineAdminNetworkPolicies = append(s.BaselineAdminNetworkPolicies, *o)
		key = OriginKey(KindBaselineAdminNetworkPolicy, "", o.Name)
	}
	if s.Origins != nil && origin.File != "" {
		s.Origins[key] = origin
	}
}

// addNode adds a Node read from a file: Nodes are known from files when the
// files hold any.
func (d *decoder) addNode(file string, doc document, n *corev1.Node) {
	d.snap.Nodes = append(d.snap.Nodes, *n)
	d.snap.NodesKnown = true
	d.snap.Origins[OriginKey("Node", "", n.Name)] = Origin{File: file, Document: doc.index, Line: doc.line}
}

// HasNodesPeer reports whether some tier policy has an egress peer of type
// nodes, the only thing that needs Node objects.
func (s *Snapshot) HasNodesPeer() bool {
	for _, p := range s.ClusterNetworkPolicies {
		for _, r := range p.Spec.Egress {
			for _, peer := range r.To {
				if peer.Nodes != nil {
					return true
				}
			}
		}
	}
	for _, p := range s.AdminNetworkPolicies {
		for _, r := range p.Spec.Egress {
			for _, peer := range r.To {
				if peer.Nodes != nil {
					return true
				}
			}
		}
	}
	for _, p := range s.BaselineAdminNetworkPolicies {
		for _, r := range p.Spec.Egress {
			for _, peer := range r.To {
				if peer.Nodes != nil {
					return true
				}
			}
		}
	}
	return false
}

// TierPolicyCount is the number of tier policies in the snapshot.
func (s *Snapshot) TierPolicyCount() int {
	return len(s.ClusterNetworkPolicies) + len(s.AdminNetworkPolicies) + len(s.BaselineAdminNetworkPolicies)
}

// listTiers finds, through discovery, which tier kinds and versions the
// server serves, and lists them. A server that serves none of them (the
// CRDs are not installed) is normal: nothing is listed and nothing said.
func listTiers(ctx context.Context, cs kubernetes.Interface, opts ClusterOptions, snap *Snapshot) error {
	disc := cs.Discovery()
	if disc == nil {
		return nil
	}
	groups, err := disc.ServerGroups()
	if err != nil {
		return &ListError{Resource: "API groups (discovery)", ClusterScoped: true, Err: err}
	}
	served := map[string]bool{} // version
	for _, g := range groups.Groups {
		if g.Name == PolicyGroup {
			for _, v := range g.Versions {
				served[v.Version] = true
			}
		}
	}
	if len(served) == 0 {
		return nil
	}
	rc := disc.RESTClient()
	if rc == nil { // the fake clientset has none
		return nil
	}
	resources := map[string]map[string]bool{} // version -> plural -> served
	for _, rs := range tierResources {
		for _, r := range rs {
			if !served[r.version] || resources[r.version] != nil {
				continue
			}
			resources[r.version] = map[string]bool{}
			list, err := disc.ServerResourcesForGroupVersion(PolicyGroup + "/" + r.version)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return &ListError{Resource: "API resources of " + PolicyGroup + "/" + r.version + " (discovery)", ClusterScoped: true, Err: err}
			}
			for _, res := range list.APIResources {
				resources[r.version][res.Name] = true
			}
		}
	}
	for _, rs := range tierResources {
		for _, r := range rs {
			if !resources[r.version][r.resource] {
				continue
			}
			path := "/apis/" + PolicyGroup + "/" + r.version + "/" + r.resource
			err := listAll(ctx, opts.ChunkSize, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
				req := rc.Get().AbsPath(path).SetHeader("Accept", "application/json")
				if lo.Limit > 0 {
					req = req.Param("limit", fmt.Sprint(lo.Limit))
				}
				if lo.Continue != "" {
					req = req.Param("continue", lo.Continue)
				}
				raw, err := req.Do(ctx).Raw()
				if err != nil {
					return "", err
				}
				var page struct {
					Metadata metav1.ListMeta   `json:"metadata"`
					Items    []json.RawMessage `json:"items"`
				}
				if err := json.Unmarshal(raw, &page); err != nil {
					return "", fmt.Errorf("decoding the list: %w", err)
				}
				t := &tierDecoded{}
				for i, item := range page.Items {
					if err := t.add(item, metav1.TypeMeta{APIVersion: PolicyGroup + "/" + r.version, Kind: r.kind}); err != nil {
						return "", fmt.Errorf("items[%d]: %w", i, err)
					}
				}
				snap.Warnings = append(snap.Warnings, t.warnings...)
				for _, obj := range t.objs {
					snap.addTierObject(obj, Origin{})
				}
				opts.progress(len(page.Items))
				return page.Metadata.Continue, nil
			})
			if err != nil {
				return &ListError{Resource: r.resource + "." + PolicyGroup, ClusterScoped: true, Err: err}
			}
			break // the preferred served version only
		}
	}
	return nil
}

// listNodes reads Node objects when a nodes peer needs them. Forbidden is a
// warning: such peers are then outside the model.
func listNodes(ctx context.Context, cs kubernetes.Interface, opts ClusterOptions, snap *Snapshot) error {
	if !snap.HasNodesPeer() {
		return nil
	}
	var nodes []corev1.Node
	err := listPages(ctx, opts, &nodes, func(ctx context.Context, lo metav1.ListOptions) ([][]corev1.Node, string, error) {
		return listPage(ctx, cs.CoreV1().RESTClient(), "nodes", "", lo, opts.progress, cs.CoreV1().Nodes().List,
			func(l *corev1.NodeList) ([]corev1.Node, string) { return l.Items, l.Continue })
	})
	if apierrors.IsForbidden(err) {
		snap.Warnings = append(snap.Warnings, "cannot list nodes (forbidden): nodes peers of cluster-wide policies are outside the model, so verdicts toward node addresses show both outcomes; grant list on nodes for exact answers")
		return nil
	}
	if err != nil {
		return &ListError{Resource: "nodes", ClusterScoped: true, Err: err}
	}
	snap.Nodes, snap.NodesKnown = nodes, true
	return nil
}

func (d *decoder) addTierOrNode(file string, doc document, obj runtime.Object) {
	switch o := obj.(type) {
	case *tierDecoded:
		d.addTier(file, doc, o)
	case *corev1.Node:
		d.addNode(file, doc, o)
	}
}
