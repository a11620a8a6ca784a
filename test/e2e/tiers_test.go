package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/scenarios"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// The cluster-wide tiers run against an API server of their own, with the
// CRDs of network-policy-api installed: the ClusterNetworkPolicy CRD the
// pinned module ships (v1beta1 and v1alpha2) and the v1alpha1
// AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs of the release
// pinned in hack/tools/crds. The main API server stays a cluster without
// them.

// tierCRDPaths finds the CRDs in the module cache, downloading the pinned
// legacy release through the Go module proxy if needed.
func tierCRDPaths(t *testing.T) []string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := func(folder string, args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir = folder
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s in %s: %v", strings.Join(args, " "), folder, err)
		}
		var mod struct{ Dir string }
		if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
			t.Fatalf("go %s: no module folder in %s", strings.Join(args, " "), out)
		}
		return mod.Dir
	}
	current := dir(root, "list", "-m", "-json", "sigs.k8s.io/network-policy-api")
	legacy := dir(filepath.Join(root, "hack", "tools", "crds"), "mod", "download", "-json", "sigs.k8s.io/network-policy-api")
	return []string{
		filepath.Join(current, "config", "crd", "experimental", "policy.networking.k8s.io_clusternetworkpolicies.yaml"),
		filepath.Join(legacy, "config", "crd", "experimental", "policy.networking.k8s.io_adminnetworkpolicies.yaml"),
		filepath.Join(legacy, "config", "crd", "experimental", "policy.networking.k8s.io_baselineadminnetworkpolicies.yaml"),
	}
}

// tierCluster is the API server with the CRDs.
type tierCluster struct {
	cs         kubernetes.Interface
	dyn        dynamic.Interface
	kubeconfig string
}

func startTierCluster(t *testing.T) *tierCluster {
	t.Helper()
	env := &envtest.Environment{
		ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute,
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: tierCRDPaths(t), ErrorIfPathMissing: true},
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting an API server with the network-policy-api CRDs: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "e2e-tiers", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &tierCluster{kubeconfig: filepath.Join(t.TempDir(), "kubeconfig")}
	if err := writeKubeconfig(c.kubeconfig, map[string]*rest.Config{"tiers": user.Config()}, "tiers"); err != nil {
		t.Fatal(err)
	}
	c.cs = must(kubernetes.NewForConfig(cfg))
	c.dyn = must(dynamic.NewForConfig(cfg))
	return c
}

// run runs `kubectl netaudit args...` against the tier cluster.
func (c *tierCluster) run(t *testing.T, args ...string) result {
	t.Helper()
	return kubectlEnv(t, []string{"KUBECONFIG=" + c.kubeconfig}, "", append([]string{"netaudit"}, args...)...)
}

// runFiles runs the binary itself on manifests (args name them with -f):
// see the package comment.
func (c *tierCluster) runFiles(t *testing.T, args ...string) result {
	t.Helper()
	return pluginDirect(t, []string{"KUBECONFIG=" + c.kubeconfig}, args...)
}

var tierResources = map[string]string{
	"ClusterNetworkPolicy":       "clusternetworkpolicies",
	"AdminNetworkPolicy":         "adminnetworkpolicies",
	"BaselineAdminNetworkPolicy": "baselineadminnetworkpolicies",
}

// apply replaces the cluster's policies, tier objects and nodes with the
// scenario's; namespaces and pods, the same model in every scenario, are
// created once.
func (c *tierCluster) apply(t *testing.T, s scenarios.Scenario, nodes bool) {
	t.Helper()
	ctx := context.Background()
	for _, ns := range s.Namespaces {
		_, err := c.cs.CoreV1().Namespaces().Create(ctx, &ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.Pods {
			if s.Pods[i].Namespace != ns.Name {
				continue
			}
			p := s.Pods[i].DeepCopy()
			created, err := c.cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			created.Status = s.Pods[i].Status
			if _, err := c.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ns := range s.Namespaces {
		if err := c.cs.NetworkingV1().NetworkPolicies(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range s.Policies {
		if _, err := c.cs.NetworkingV1().NetworkPolicies(s.Policies[i].Namespace).Create(ctx, s.Policies[i].DeepCopy(), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for kind, res := range tierResources {
		version := map[string]string{"ClusterNetworkPolicy": "v1beta1"}[kind]
		if version == "" {
			version = "v1alpha1"
		}
		gvr := schema.GroupVersionResource{Group: inventory.PolicyGroup, Version: version, Resource: res}
		if err := c.dyn.Resource(gvr).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatalf("clearing %s: %v", res, err)
		}
	}
	var objs []runtime.Object
	for i := range s.ClusterNetworkPolicies {
		objs = append(objs, &s.ClusterNetworkPolicies[i])
	}
	for i := range s.AdminNetworkPolicies {
		objs = append(objs, &s.AdminNetworkPolicies[i])
	}
	for i := range s.BaselineAdminNetworkPolicies {
		objs = append(objs, &s.BaselineAdminNetworkPolicies[i])
	}
	for _, obj := range objs {
		u := &unstructured.Unstructured{Object: must(runtime.DefaultUnstructuredConverter.ToUnstructured(obj))}
		gvk := obj.GetObjectKind().GroupVersionKind()
		gvr := gvk.GroupVersion().WithResource(tierResources[gvk.Kind])
		if _, err := c.dyn.Resource(gvr).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s as %s: %v", gvk.Kind, u.GetName(), gvk.GroupVersion(), err)
		}
	}
	if err := c.cs.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if nodes {
		for i := range s.Nodes {
			created, err := c.cs.CoreV1().Nodes().Create(ctx, s.Nodes[i].DeepCopy(), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			created.Status = s.Nodes[i].Status
			if _, err := c.cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// tierManifest writes every object of a scenario, in the apiVersion each
// was written in, as one multi-document file.
func tierManifest(t *testing.T, s scenarios.Scenario) string {
	t.Helper()
	var docs []string
	add := func(obj any) {
		docs = append(docs, string(must(yaml.Marshal(obj))))
	}
	for i := range s.Namespaces {
		s.Namespaces[i].TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
		add(&s.Namespaces[i])
	}
	for i := range s.Pods {
		add(&s.Pods[i])
	}
	for i := range s.Policies {
		add(&s.Policies[i])
	}
	for i := range s.ClusterNetworkPolicies {
		add(&s.ClusterNetworkPolicies[i])
	}
	for i := range s.AdminNetworkPolicies {
		add(&s.AdminNetworkPolicies[i])
	}
	for i := range s.BaselineAdminNetworkPolicies {
		add(&s.BaselineAdminNetworkPolicies[i])
	}
	for i := range s.Nodes {
		add(&s.Nodes[i])
	}
	return writeFile(t, "objects.yaml", strings.Join(docs, "---\n"))
}

// definedExpectations writes the expectations with a definite outcome, in
// the format of verify --expect.
func definedExpectations(t *testing.T, s scenarios.Scenario) (string, int) {
	t.Helper()
	doc := report.Expectations{}
	for _, e := range s.Expectations {
		if e.Undefined {
			continue
		}
		allowed := e.Allowed
		doc.Expectations = append(doc.Expectations, report.Expectation{From: e.From, To: e.To, Port: e.Port, Protocol: e.Protocol, Allowed: &allowed})
	}
	return writeFile(t, "expect.yaml", string(must(yaml.Marshal(doc)))), len(doc.Expectations)
}

// engineModelsTiers: the engine's verdicts carry Undefined once it
// compiles the tiers; until then only parity can be checked.
func engineModelsTiers() bool {
	_, ok := reflect.TypeOf(reach.Verdict{}).FieldByName("Undefined")
	return ok
}

type tierSnapshotView struct {
	CNPs, ANPs, BANPs []string
	Nodes             []string
	NodesKnown        bool
}

// viewTiers renders what a snapshot holds of the tiers, specs included,
// for comparing a live read with a read of the same files.
func viewTiers(s *inventory.Snapshot) tierSnapshotView {
	var v tierSnapshotView
	for _, p := range s.ClusterNetworkPolicies {
		v.CNPs = append(v.CNPs, p.Name+" "+string(must(json.Marshal(p.Spec))))
	}
	for _, p := range s.AdminNetworkPolicies {
		v.ANPs = append(v.ANPs, p.Name+" "+string(must(json.Marshal(p.Spec))))
	}
	for _, p := range s.BaselineAdminNetworkPolicies {
		v.BANPs = append(v.BANPs, p.Name+" "+string(must(json.Marshal(p.Spec))))
	}
	for _, n := range s.Nodes {
		v.Nodes = append(v.Nodes, n.Name+" "+string(must(json.Marshal(n.Status.Addresses))))
	}
	v.NodesKnown = s.NodesKnown
	return v
}

// TestTiersLiveAndFiles loads every tier scenario, with policies of all
// three apiVersions, into an API server that serves the CRDs and checks
// that the inventory read live equals the one read from the same objects in
// a file, and that verify, explain and audit say the same both ways; once
// the engine models the tiers, verify must also pass the truth tables.
func TestTiersLiveAndFiles(t *testing.T) {
	// Its own API server: it runs beside the other tests of its kind.
	t.Parallel()
	c := startTierCluster(t)
	apiVersions := map[string]bool{}
	for _, s := range scenarios.Tiers() {
		t.Run(s.Name, func(t *testing.T) {
			// Without Node objects the nodes peers are outside the model;
			// a live cluster always knows its nodes, so such a scenario
			// is a manifest-only one.
			liveToo := s.NodesKnown || !hasNodesPeer(s)
			manifest := tierManifest(t, s)
			files, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{manifest}})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range files.ClusterNetworkPolicies {
				apiVersions[p.APIVersion] = true
			}
			for _, p := range files.AdminNetworkPolicies {
				apiVersions[p.APIVersion] = true
			}
			if len(files.Warnings) > 0 {
				t.Errorf("reading the manifest: warnings %q", files.Warnings)
			}
			expect, defined := definedExpectations(t, s)
			runs := map[string][]string{"files": {"-f", manifest}}
			if liveToo {
				c.apply(t, s, true)
				live, err := inventory.FromCluster(context.Background(), c.cs, inventory.ClusterOptions{ChunkSize: 1})
				if err != nil {
					t.Fatal(err)
				}
				if len(live.Warnings) > 0 {
					t.Errorf("reading the cluster: warnings %q", live.Warnings)
				}
				if got, want := viewTiers(live), viewTiers(files); !reflect.DeepEqual(got, want) {
					t.Errorf("tier inventory differs:\nlive:  %+v\nfiles: %+v", got, want)
				}
				runs["live"] = nil
			}

			verdicts := map[string][]report.VerifyResult{}
			explained := map[string]string{}
			findings := map[string][]string{}
			for name, extra := range runs {
				run := c.run
				if name == "files" {
					run = c.runFiles
				}
				r := run(t, append([]string{"verify", "--expect", expect, "-o", "json"}, extra...)...)
				rep := decodeVerify(t, r.stdout)
				if strings.Contains(r.stderr, "Warning") {
					t.Errorf("%s: verify warned:\n%s", name, r.stderr)
				}
				for i := range rep.Results {
					rep.Results[i].Reason = "" // names origins
				}
				verdicts[name] = rep.Results
				if engineModelsTiers() && (r.code != 0 || rep.Failed != 0 || rep.Passed != defined) {
					for _, res := range rep.Results {
						if !res.Pass {
							t.Errorf("%s: %s -> %s %d/%s: got %v, want %v", name, res.From, res.To, res.Port, res.Protocol, res.Actual, res.Expected)
						}
					}
					t.Errorf("%s: verify exit %d, %d passed, %d failed of %d\n%s", name, r.code, rep.Passed, rep.Failed, defined, r.stderr)
				}

				e := s.Expectations[0]
				ex := run(t, append([]string{"explain", "--from", e.From, "--to", e.To, "--port", portArg(e), "-o", "json"}, extra...)...)
				var exp report.Explanation
				if err := json.Unmarshal([]byte(ex.stdout), &exp); err != nil {
					t.Fatalf("%s: explain -o json: %v\n%s%s", name, err, ex.stdout, ex.stderr)
				}
				exp.Source = inventory.Source{}
				explained[name] = string(must(json.Marshal(exp)))

				au := run(t, append([]string{"-o", "json"}, extra...)...) // the audit
				var ar report.AuditReport
				if err := json.Unmarshal([]byte(au.stdout), &ar); err != nil {
					t.Fatalf("%s: audit -o json (exit %d): %v\n%s", name, au.code, err, au.stderr)
				}
				for _, f := range ar.Findings {
					findings[name] = append(findings[name], f.Key()+": "+f.Message)
				}
				slices.Sort(findings[name])
			}
			if liveToo {
				if !reflect.DeepEqual(verdicts["live"], verdicts["files"]) {
					t.Errorf("verify differs:\nlive:  %+v\nfiles: %+v", verdicts["live"], verdicts["files"])
				}
				if explained["live"] != explained["files"] {
					t.Errorf("explain differs:\nlive:  %s\nfiles: %s", explained["live"], explained["files"])
				}
				if !slices.Equal(findings["live"], findings["files"]) {
					t.Errorf("audit findings differ:\nlive:  %q\nfiles: %q", findings["live"], findings["files"])
				}
			}
		})
	}
	for _, v := range []string{"policy.networking.k8s.io/v1beta1", "policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1alpha1"} {
		if !apiVersions[v] {
			t.Errorf("no scenario has a policy in %s", v)
		}
	}
	if !engineModelsTiers() {
		t.Log("the engine does not model the tiers yet: live and files agree, the truth tables are not checked")
	}
}

func hasNodesPeer(s scenarios.Scenario) bool {
	snap := inventory.Snapshot{ClusterNetworkPolicies: s.ClusterNetworkPolicies, AdminNetworkPolicies: s.AdminNetworkPolicies, BaselineAdminNetworkPolicies: s.BaselineAdminNetworkPolicies}
	return snap.HasNodesPeer()
}

func portArg(e scenarios.Expectation) string { return fmt.Sprintf("%d/%s", e.Port, e.Protocol) }

// TestNoTierCRDsNoWarning: on a cluster that does not serve the
// network-policy-api CRDs (the main test cluster), the audit runs as before
// and says nothing about them.
func TestNoTierCRDsNoWarning(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	for _, args := range [][]string{{"-o", "json"}, {"policies"}, {"matrix", "-n", "inv-b"}} {
		r := kubectl(t, "", append([]string{"netaudit"}, args...)...)
		if r.code > 1 {
			t.Fatalf("netaudit %v: exit %d\n%s", args, r.code, r.stderr)
		}
		for _, word := range []string{"policy.networking.k8s.io", "ClusterNetworkPolicy", "AdminNetworkPolicy", "nodes"} {
			if strings.Contains(r.stderr, word) {
				t.Errorf("netaudit %v mentions %q on a cluster without the CRDs:\n%s", args, word, r.stderr)
			}
		}
	}
	snap, err := inventory.FromCluster(context.Background(), admin, inventory.ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.TierPolicyCount() != 0 || snap.NodesKnown || len(snap.Nodes) != 0 {
		t.Errorf("got %d tier policies and nodes %v (known %v) from a cluster without the CRDs", snap.TierPolicyCount(), snap.Nodes, snap.NodesKnown)
	}
}
