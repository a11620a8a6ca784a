package e2e

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

func decodeDiff(t *testing.T, out string) *report.PolicyDiff {
	t.Helper()
	d := &report.PolicyDiff{PolicyDiff: &diff.PolicyDiff{}}
	if err := json.Unmarshal([]byte(out), d); err != nil {
		t.Fatalf("decoding diff -o json: %v\n%s", err, out)
	}
	if d.Kind != "PolicyDiff" || d.APIVersion != report.APIVersion {
		t.Fatalf("got kind %q apiVersion %q", d.Kind, d.APIVersion)
	}
	return d
}

// changeLines renders each change as "effect risk from -> to ports [breaks]".
func changeLines(d *report.PolicyDiff) []string {
	var out []string
	for _, c := range d.Changes {
		from, to := strings.Join(c.From, ","), c.To
		if from == diff.Outside {
			from = diff.CIDRText(c.CIDRs)
		}
		if to == diff.Outside {
			to = diff.CIDRText(c.CIDRs)
		}
		line := string(c.Effect) + " " + string(c.Risk) + " " + from + " -> " + to + " " + c.Ports.String()
		if len(c.Breaks) > 0 {
			line += " [" + strings.Join(c.Breaks, ", ") + "]"
		}
		out = append(out, line)
	}
	return out
}

// applyDemo creates the demo's objects; its workloads are pods built from
// their templates, whose owner references need a UID to be created. The
// pods and policies are deleted when the test ends, so later tests see
// only their own.
func applyDemo(t *testing.T, snap *inventory.Snapshot) {
	t.Helper()
	client := admin
	t.Cleanup(func() {
		ctx := context.Background()
		for i := range snap.Pods {
			_ = client.CoreV1().Pods(snap.Pods[i].Namespace).Delete(ctx, snap.Pods[i].Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
			forgetPods(client, snap.Pods[i].Namespace)
		}
		for i := range snap.Policies {
			_ = client.NetworkingV1().NetworkPolicies(snap.Policies[i].Namespace).Delete(ctx, snap.Policies[i].Name, metav1.DeleteOptions{})
		}
	})
	for i := range snap.Pods {
		for j := range snap.Pods[i].OwnerReferences {
			ref := &snap.Pods[i].OwnerReferences[j]
			ref.UID = types.UID("uid-" + snap.Pods[i].Namespace + "-" + ref.Name)
		}
	}
	applySnapshot(t, snap)
}

func readManifests(t *testing.T, paths ...string) *inventory.Snapshot {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// demoEnd says whether every end is one of the demo's namespaces or outside.
func demoEnd(ends ...string) bool {
	for _, e := range ends {
		ns, _, _ := strings.Cut(e, "/")
		if e != diff.Outside && ns != "shop" && ns != "legacy" && ns != "kube-system" {
			return false
		}
	}
	return true
}

// TestDiffLiveAndFiles: the demo in the cluster, and a proposed change
// that adds a default-deny to legacy (and an egress allow to the
// database) and deletes shop's DNS allow: both DNS paths close and are
// called out as breakage; nothing opens.
func TestDiffLiveAndFiles(t *testing.T) {
	applyDemo(t, readManifests(t, "testdata/demo.yaml"))
	r := netaudit(t, 0, "diff", "-f", "testdata/diff/legacy-default-deny.yaml", "--delete", "testdata/diff/remove-allow-dns.yaml", "-o", "json", "-q")
	d := decodeDiff(t, r.stdout)
	want := []string{
		"closed breakage legacy/deployment/billing -> kube-system/deployment/coredns all [DNS]",
		"closed breakage shop/deployment/web -> kube-system/deployment/coredns TCP:53 UDP:53 [DNS]",
		"closed closed kube-system/deployment/coredns -> legacy/deployment/billing all",
		"closed closed 0.0.0.0/0, ::/0 -> legacy/deployment/billing all",
		"closed closed legacy/deployment/billing -> 0.0.0.0/0, ::/0 all",
		// shop/web admits 0.0.0.0/0, which holds billing's pod wherever
		// it lands: legacy's default deny closes that.
		"closed closed legacy/deployment/billing -> shop/deployment/web TCP:8080",
	}
	// Other tests' namespaces are in the cluster too: billing, isolated
	// now, is cut off from them; everything else is among the demo's.
	var got []string
	for i, line := range changeLines(d) {
		c := d.Changes[i]
		if demoEnd(c.To) && demoEnd(c.From...) {
			got = append(got, line)
		} else if c.Effect != diff.Closed || (c.To != "legacy/deployment/billing" && !reflect.DeepEqual(c.From, []string{"legacy/deployment/billing"})) {
			t.Errorf("unexpected change outside the demo: %s", line)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got changes\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if d.Summary.Opened != 0 || d.Summary.Breakage != 2 {
		t.Errorf("got summary %+v, want nothing opened and 2 likely breakages", d.Summary)
	}
	var policies []string
	for _, p := range d.Policies {
		policies = append(policies, p.String())
	}
	if wantP := []string{"added NetworkPolicy legacy/billing-to-db", "added NetworkPolicy legacy/default-deny", "removed NetworkPolicy shop/allow-dns"}; !reflect.DeepEqual(policies, wantP) {
		t.Errorf("got policy changes %q, want %q", policies, wantP)
	}
	// The DNS path web lost names the policy whose removal closes it.
	if c := d.Changes[1]; !reflect.DeepEqual(c.Policies, []string{"shop/allow-dns"}) || !c.Before.Allowed || c.After.Allowed {
		t.Errorf("web -> coredns: policies %q, before %v after %v; want shop/allow-dns, allowed then denied", c.Policies, c.Before.Allowed, c.After.Allowed)
	}
	var news []string
	for _, f := range d.Findings.New {
		news = append(news, f.CheckID+" "+f.Objects[0].String())
	}
	if wantN := []string{"NA050 legacy/deployment/billing", "NA050 shop/deployment/web"}; !reflect.DeepEqual(news, wantN) {
		t.Errorf("got new findings %q, want %q", news, wantN)
	}

	// The gate: something changed, nothing opened.
	netaudit(t, 1, "diff", "-f", "testdata/diff/legacy-default-deny.yaml", "--fail-on", "any", "-q")
	netaudit(t, 0, "diff", "-f", "testdata/diff/legacy-default-deny.yaml", "--fail-on", "opened", "-q")
	netaudit(t, 1, "diff", "-f", "testdata/diff/legacy-default-deny.yaml", "--fail-on", "high", "-q")
	// Opening the database to a partner network is opened to the world.
	r = netaudit(t, 1, "diff", "-f", "testdata/diff/shop-db.yaml", "--fail-on", "opened", "-q")
	if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "world opened shop/statefulset/db 203.0.113.0/24 TCP:5432 shop/db") {
		t.Errorf("table lacks the opened world path:\n%s", r.stdout)
	}
	// The same files applied again change nothing.
	r = netaudit(t, 0, "diff", "-f", "testdata/demo.yaml", "--fail-on", "any", "-q")
	if !strings.Contains(r.stdout, "No change") {
		t.Errorf("the demo applied to itself should change nothing:\n%s", r.stdout)
	}
}

// TestDiffBaseContext: staging (the suite's server) holds the demo;
// production (a second API server) the demo with the database opened to a
// partner network. Is production what staging tested? No.
func TestDiffBaseContext(t *testing.T) {
	applyDemo(t, readManifests(t, "testdata/demo.yaml"))
	kc := multiKubeconfig(t)
	data, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientConfigFor(data, "second")
	if err != nil {
		t.Fatal(err)
	}
	prod := diff.Overlay(readManifests(t, "testdata/demo.yaml"), readManifests(t, "testdata/diff/shop-db.yaml"), diff.OverlayOptions{})
	suiteAdmin := admin
	admin = kubernetes.NewForConfigOrDie(cfg)
	applyDemo(t, prod)
	admin = suiteAdmin

	env := []string{"KUBECONFIG=" + kc}
	r := kubectlEnv(t, env, "", "netaudit", "diff", "--base-context", "first", "--context", "second", "-n", "shop", "-o", "json", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	d := decodeDiff(t, r.stdout)
	if d.Base.Source.Context != "first" || d.Proposed.Source.Context != "second" {
		t.Errorf("got contexts %q -> %q", d.Base.Source.Context, d.Proposed.Source.Context)
	}
	want := []string{"opened world 203.0.113.0/24 -> shop/statefulset/db TCP:5432"}
	if got := changeLines(d); !reflect.DeepEqual(got, want) {
		t.Errorf("got changes %q, want %q", got, want)
	}
	if c := d.Changes[0]; !reflect.DeepEqual(c.Policies, []string{"shop/db"}) {
		t.Errorf("got causes %q, want shop/db", c.Policies)
	}
	r = kubectlEnv(t, env, "", "netaudit", "diff", "--base-context", "first", "--context", "second", "-n", "shop", "--fail-on", "opened", "-o", "markdown", "-q")
	if r.code != 1 || !strings.Contains(r.stdout, "### Opened (1)") {
		t.Errorf("markdown gate: exit %d, want 1 and the opened path\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestDiffKustomize: -k on both sides. The target branch's overlay against
// the head's, which patches api's policy to admit a partner network: that
// path opens to the world, nothing else changes; the same overlay on both
// sides changes nothing, and the base given twice is a usage error.
func TestDiffKustomize(t *testing.T) {
	const dir = "testdata/diff/kustomize/"
	r := netaudit(t, 1, "diff", "--base-kustomize", dir+"main", "-k", dir+"head", "--fail-on", "opened", "-o", "json", "-q")
	d := decodeDiff(t, r.stdout)
	want := []string{"opened world 198.51.100.0/24 -> kz/deployment/api TCP:9090"}
	if got := changeLines(d); !reflect.DeepEqual(got, want) {
		t.Errorf("got changes %q, want %q", got, want)
	}
	if len(d.Changes) == 1 && !reflect.DeepEqual(d.Changes[0].Policies, []string{"kz/api-from-web"}) {
		t.Errorf("got causes %q, want kz/api-from-web", d.Changes[0].Policies)
	}
	r = netaudit(t, 0, "diff", "--base-kustomize", dir+"main", "-k", dir+"main", "--fail-on", "any", "-q")
	if !strings.Contains(r.stdout, "No change") {
		t.Errorf("an overlay against itself should change nothing:\n%s", r.stdout)
	}
	r = netaudit(t, 2, "diff", "--base", dir+"base", "--base-kustomize", dir+"main", "-k", dir+"head")
	if !strings.Contains(r.stderr, "--base and --base-kustomize") {
		t.Errorf("stderr does not name the two flags:\n%s", r.stderr)
	}
}
