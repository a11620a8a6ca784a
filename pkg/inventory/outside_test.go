package inventory

import (
	"context"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

// Policies of Cilium, Calico, Antrea and MultiNetworkPolicy in files are
// counted per kind and namespace, not skipped as "other kinds", and every
// report is told that the verdicts leave them out.
func TestOutsidePoliciesFromFiles(t *testing.T) {
	manifests := `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a, namespace: shop}
spec: {endpointSelector: {}, ingress: [{}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: b, namespace: shop}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: c}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: d}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: e}
---
apiVersion: v1
kind: List
items:
- apiVersion: crd.antrea.io/v1beta1
  kind: ClusterNetworkPolicy
  metadata: {name: f}
- apiVersion: k8s.cni.cncf.io/v1beta1
  kind: MultiNetworkPolicy
  metadata: {name: g, namespace: shop}
- apiVersion: example.com/v1
  kind: NetworkPolicy
  metadata: {name: h, namespace: shop}
`
	snap, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutsidePolicies{
		{Family: "Cilium", Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Count: 1},
		{Family: "Cilium", Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespace: "shop", Count: 2},
		{Family: "Antrea", Group: "crd.antrea.io", Kind: "ClusterNetworkPolicy", Count: 1},
		{Family: "Multus", Group: "k8s.cni.cncf.io", Kind: "MultiNetworkPolicy", Namespace: "shop", Count: 1},
		{Family: "Calico", Group: "projectcalico.org", Kind: "GlobalNetworkPolicy", Count: 1},
		{Family: "Calico", Group: "projectcalico.org", Kind: "NetworkPolicy", Namespace: "default", Count: 1},
	}
	if !reflect.DeepEqual(snap.OutsidePolicies, want) {
		t.Errorf("got outside policies\n%+v\nwant\n%+v", snap.OutsidePolicies, want)
	}
	if len(snap.Policies) != 0 {
		t.Errorf("got %d NetworkPolicies, want 0: a projectcalico.org NetworkPolicy is not a networking.k8s.io one", len(snap.Policies))
	}
	if len(snap.Assumptions) != 1 || snap.Assumptions[0].ID != AssumptionOutsidePolicies || !snap.Assumptions[0].LeftOut ||
		!strings.Contains(snap.Assumptions[0].Text, "verdicts do not include 7 policies") ||
		!strings.Contains(snap.Assumptions[0].Text, "2 CiliumNetworkPolicy.cilium.io in shop") {
		t.Errorf("got assumptions %+v, want one left-out entry naming 7 policies with counts per kind and namespace", snap.Assumptions)
	}
	if got := strings.Join(snap.Warnings, "\n"); !strings.Contains(got, "skipped 1 object(s) of other kinds: 1 NetworkPolicy") {
		t.Errorf("the example.com NetworkPolicy is not skipped as another kind:\n%s", got)
	}

	scoped, err := FromFiles(FileOptions{Paths: []string{"-"}, Namespace: "other", Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range scoped.OutsidePolicies {
		if !p.ClusterScoped() && p.Namespace != "other" {
			t.Errorf("with -n other got %+v", p)
		}
	}
}

// On a live cluster the kinds are found by discovery and counted with
// metadata-only lists; a forbidden list is a warning and an assumption
// naming what could not be checked, never an error.
func TestOutsidePoliciesFromCluster(t *testing.T) {
	cs := fake.NewClientset()
	disc := cs.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{
		{GroupVersion: "cilium.io/v2", APIResources: []metav1.APIResource{
			{Name: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Namespaced: true},
			{Name: "ciliumnetworkpolicies/status", Kind: "CiliumNetworkPolicy", Namespaced: true},
			{Name: "ciliumclusterwidenetworkpolicies", Kind: "CiliumClusterwideNetworkPolicy"},
			{Name: "ciliumendpoints", Kind: "CiliumEndpoint", Namespaced: true},
		}},
		{GroupVersion: "crd.antrea.io/v1beta1", APIResources: []metav1.APIResource{
			{Name: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true},
		}},
	}
	obj := func(apiVersion, kind, ns, name string) runtime.Object {
		return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}, ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	md := metadatafake.NewSimpleMetadataClient(scheme,
		obj("cilium.io/v2", "CiliumNetworkPolicy", "shop", "a"),
		obj("cilium.io/v2", "CiliumNetworkPolicy", "shop", "b"),
		obj("cilium.io/v2", "CiliumNetworkPolicy", "web", "c"),
		obj("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "", "d"),
	)
	md.PrependReactor("list", "networkpolicies", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "crd.antrea.io", Resource: "networkpolicies"}, "", nil)
	})
	snap, err := FromCluster(context.Background(), cs, ClusterOptions{Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutsidePolicies{
		{Family: "Cilium", Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Count: 1},
		{Family: "Cilium", Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespace: "shop", Count: 2},
		{Family: "Cilium", Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespace: "web", Count: 1},
	}
	if !reflect.DeepEqual(snap.OutsidePolicies, want) {
		t.Errorf("got outside policies\n%+v\nwant\n%+v", snap.OutsidePolicies, want)
	}
	var ids []string
	for _, a := range snap.Assumptions {
		ids = append(ids, a.ID)
	}
	if want := []string{AssumptionUncheckedKinds, AssumptionOutsidePolicies}; !reflect.DeepEqual(ids, want) {
		t.Errorf("got assumptions %v, want %v", ids, want)
	}
	warnings := strings.Join(snap.Warnings, "\n")
	if !strings.Contains(warnings, "cannot list networkpolicies.crd.antrea.io (forbidden): whether NetworkPolicy.crd.antrea.io exist could not be checked") {
		t.Errorf("no warning for the forbidden list:\n%s", warnings)
	}

	// With -n, namespaced kinds are listed in that namespace only; the
	// cluster-wide ones still apply to it.
	snap, err = FromCluster(context.Background(), cs, ClusterOptions{Namespace: "web", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if got := DescribeOutside(snap.OutsidePolicies); got != "1 CiliumClusterwideNetworkPolicy.cilium.io (cluster-wide), 1 CiliumNetworkPolicy.cilium.io in web" {
		t.Errorf("with -n web got %q", got)
	}
}
