package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// outsideResources maps the kinds of testdata/outside-policies.yaml to their
// resources, as the CRDs of testdata/outside-crds.yaml define them.
var outsideResources = map[string]string{
	"CiliumNetworkPolicy":            "ciliumnetworkpolicies",
	"CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies",
	"NetworkPolicy":                  "networkpolicies",
	"GlobalNetworkPolicy":            "globalnetworkpolicies",
	"ClusterNetworkPolicy":           "clusternetworkpolicies",
	"MultiNetworkPolicy":             "multi-networkpolicies",
}

// wantOutside is what both the cluster and the manifests must count.
var wantOutside = []inventory.OutsidePolicies{
	{Family: "Cilium", Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Count: 1},
	{Family: "Cilium", Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespace: "outside", Count: 1},
	{Family: "Antrea", Group: "crd.antrea.io", Kind: "ClusterNetworkPolicy", Count: 1},
	{Family: "Antrea", Group: "crd.antrea.io", Kind: "NetworkPolicy", Namespace: "outside", Count: 1},
	{Family: "Multus", Group: "k8s.cni.cncf.io", Kind: "MultiNetworkPolicy", Namespace: "outside", Count: 1},
	{Family: "Calico", Group: "projectcalico.org", Kind: "GlobalNetworkPolicy", Count: 1},
	{Family: "Calico", Group: "projectcalico.org", Kind: "NetworkPolicy", Namespace: "outside", Count: 1},
}

// installOutside installs the CRDs of the four plugin families and one
// policy of each kind; cleanup removes them, so that the other tests of the
// shared cluster see none (a cluster-wide kind touches every namespace).
func installOutside(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cfg, err := clientConfigFor(must(os.ReadFile(kubeconfig)), "e2e")
	if err != nil {
		t.Fatal(err)
	}
	crds := envtest.CRDInstallOptions{Paths: []string{"testdata/outside-crds.yaml"}, ErrorIfPathMissing: true, MaxTime: time.Minute}
	if _, err := envtest.InstallCRDs(cfg, crds); err != nil {
		t.Fatalf("installing the CRDs: %v", err)
	}
	dyn := dynamic.NewForConfigOrDie(cfg)
	if err := ensureNamespace(ctx, "outside", nil); err != nil {
		t.Fatal(err)
	}
	var created []*unstructured.Unstructured
	resource := func(u *unstructured.Unstructured) dynamic.ResourceInterface {
		gv := must(schema.ParseGroupVersion(u.GetAPIVersion()))
		r := dyn.Resource(gv.WithResource(outsideResources[u.GetKind()]))
		if u.GetNamespace() != "" {
			return r.Namespace(u.GetNamespace())
		}
		return r
	}
	t.Cleanup(func() {
		for _, u := range created {
			if err := resource(u).Delete(ctx, u.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting %s %s: %v", u.GetKind(), u.GetName(), err)
			}
		}
		if err := envtest.UninstallCRDs(cfg, crds); err != nil {
			t.Errorf("uninstalling the CRDs: %v", err)
		}
	})
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(must(os.ReadFile("testdata/outside-policies.yaml"))), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) == 0 {
			continue
		}
		// A CRD is served a moment after it is established.
		var err error
		for try := 0; try < 50; try++ {
			if _, err = resource(u).Create(ctx, u, metav1.CreateOptions{}); err == nil || !apierrors.IsNotFound(err) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		created = append(created, u)
	}
	if len(created) != len(wantOutside) {
		t.Fatalf("created %d policies, want %d", len(created), len(wantOutside))
	}
}

// On a cluster with Cilium, Calico, Antrea and MultiNetworkPolicy policies,
// every output says the verdicts leave them out, with counts per kind and
// namespace, and --fail-on high fails; without RBAC for them, a warning and
// the report say what could not be checked.
func TestPoliciesOutsideTheModel(t *testing.T) {
	installOutside(t)

	table := netaudit(t, 0, "-n", "outside").stdout
	for _, want := range []string{
		"Left out: verdicts do not include 7 policies of kinds netaudit does not model: 1 CiliumClusterwideNetworkPolicy.cilium.io (cluster-wide), 1 CiliumNetworkPolicy.cilium.io in outside,",
		"1 MultiNetworkPolicy.k8s.cni.cncf.io in outside",
		"NA070 namespace outside is subject to 7 policies that netaudit does not model",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	rep := decodeAudit(t, netaudit(t, 0, "-n", "outside", "-o", "json", "-q").stdout)
	if !reflect.DeepEqual(rep.OutsidePolicies, wantOutside) {
		t.Errorf("JSON outsidePolicies:\n got %+v\nwant %+v", rep.OutsidePolicies, wantOutside)
	}
	leftOut := false
	for _, a := range rep.Assumptions {
		leftOut = leftOut || (a.ID == inventory.AssumptionOutsidePolicies && a.LeftOut)
	}
	if !leftOut {
		t.Errorf("JSON assumptions lack %s: %+v", inventory.AssumptionOutsidePolicies, rep.Assumptions)
	}
	var keys []string
	for _, f := range rep.Findings {
		keys = append(keys, f.Key())
	}
	if !contains(keys, "NA070 namespace/outside") {
		t.Errorf("JSON findings lack NA070 namespace/outside: %v", keys)
	}

	sarif := netaudit(t, 0, "-n", "outside", "-o", "sarif").stdout
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
			Properties struct {
				Context         string                      `json:"context"`
				OutsidePolicies []inventory.OutsidePolicies `json:"outsidePolicies"`
				Assumptions     []inventory.Assumption      `json:"assumptions"`
			} `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(sarif), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("SARIF: %v\n%s", err, sarif)
	}
	run := log.Runs[0]
	na070 := false
	for _, r := range run.Results {
		na070 = na070 || r.RuleID == "NA070"
	}
	if !na070 || run.Properties.Context != "e2e" || !reflect.DeepEqual(run.Properties.OutsidePolicies, wantOutside) || len(run.Properties.Assumptions) == 0 {
		t.Errorf("SARIF run lacks NA070, the context, the counts or the assumptions:\n%s", sarif)
	}

	netaudit(t, 1, "-n", "outside", "--fail-on", "high", "-q")

	// The same policies in manifests are counted the same way.
	files := decodeAudit(t, netaudit(t, 0, "-f", "testdata/outside-policies.yaml", "-n", "outside", "-o", "json", "-q").stdout)
	if !reflect.DeepEqual(files.OutsidePolicies, wantOutside) {
		t.Errorf("from files, outsidePolicies:\n got %+v\nwant %+v", files.OutsidePolicies, wantOutside)
	}

	// The restricted user may list pods and NetworkPolicies in x only: the
	// plugin kinds cannot be checked, which is a warning, not an error.
	r := netaudit(t, 0, "policies", "--context", "restricted", "-n", "x", "-o", "json")
	if !strings.Contains(r.stderr, "Warning: cannot list ciliumnetworkpolicies.cilium.io (forbidden): whether CiliumNetworkPolicy.cilium.io exist could not be checked") {
		t.Errorf("stderr lacks the warning for the forbidden list:\n%s", r.stderr)
	}
	inv := decodeInventory(t, r.stdout)
	unchecked := false
	for _, a := range inv.Assumptions {
		unchecked = unchecked || (a.ID == inventory.AssumptionUncheckedKinds && a.LeftOut && strings.Contains(a.Text, "MultiNetworkPolicy.k8s.cni.cncf.io"))
	}
	if !unchecked {
		t.Errorf("policies JSON does not say which kinds could not be checked: %+v", inv.Assumptions)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
