package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

func decodeInventory(t *testing.T, out string) *report.PolicyInventory {
	t.Helper()
	var inv report.PolicyInventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("decoding policies -o json: %v\n%s", err, out)
	}
	if inv.APIVersion != report.APIVersion || inv.Kind != "PolicyInventory" {
		t.Fatalf("got apiVersion %q kind %q, want %q PolicyInventory", inv.APIVersion, inv.Kind, report.APIVersion)
	}
	return &inv
}

func findPolicy(inv *report.PolicyInventory, ns, name string) *report.PolicySummary {
	for i := range inv.Policies {
		if inv.Policies[i].Namespace == ns && inv.Policies[i].Name == name {
			return &inv.Policies[i]
		}
	}
	return nil
}

func findNamespace(inv *report.PolicyInventory, name string) *report.NamespaceSummary {
	for i := range inv.Namespaces {
		if inv.Namespaces[i].Name == name {
			return &inv.Namespaces[i]
		}
	}
	return nil
}

func TestPoliciesInventory(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	inv := decodeInventory(t, netaudit(t, 0, "policies", "-A", "-o", "json").stdout)

	if inv.Source.Kind != "cluster" || inv.Source.Context != "e2e" || !strings.HasPrefix(inv.Source.Server, "https://127.0.0.1:") {
		t.Errorf("got source %+v, want the e2e context's cluster", inv.Source)
	}
	tests := []struct {
		ns, name     string
		types        []string
		selector     string
		pods         []string
		ingress, egr int
	}{
		{"inv-a", "allow-web", []string{"Ingress"}, "app=web", []string{"web-1", "web-2"}, 1, 0},
		{"inv-a", "default-deny", []string{"Ingress"}, "", []string{"db", "web-1", "web-2"}, 0, 0},
		// policyTypes [Egress] does not isolate ingress.
		{"inv-a", "egress-dns", []string{"Egress"}, "app in (db,web)", []string{"db", "web-1", "web-2"}, 0, 1},
		// policyTypes omitted with egress rules: Ingress and Egress.
		{"inv-b", "client-egress", []string{"Ingress", "Egress"}, "app=client", []string{"client"}, 0, 1},
		{"inv-b", "unused", []string{"Ingress"}, "app=nothing", []string{}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.ns+"/"+tt.name, func(t *testing.T) {
			p := findPolicy(inv, tt.ns, tt.name)
			if p == nil {
				t.Fatalf("policy %s/%s missing from %+v", tt.ns, tt.name, inv.Policies)
			}
			if !reflect.DeepEqual(p.PolicyTypes, tt.types) {
				t.Errorf("got policyTypes %v, want %v", p.PolicyTypes, tt.types)
			}
			if p.PodSelector != tt.selector {
				t.Errorf("got podSelector %q, want %q", p.PodSelector, tt.selector)
			}
			if !reflect.DeepEqual(p.SelectedPods, tt.pods) || p.PodCount != len(tt.pods) {
				t.Errorf("got selected pods %v (%d), want %v", p.SelectedPods, p.PodCount, tt.pods)
			}
			if p.IngressRules != tt.ingress || p.EgressRules != tt.egr {
				t.Errorf("got %d ingress / %d egress rules, want %d / %d", p.IngressRules, p.EgressRules, tt.ingress, tt.egr)
			}
		})
	}
	for _, want := range []report.NamespaceSummary{
		{Name: "inv-a", Pods: 3, Policies: 3, PodsSelected: 3},
		{Name: "inv-b", Pods: 2, Policies: 2, PodsSelected: 1},
		{Name: "inv-open", Pods: 1, Policies: 0, PodsSelected: 0},
	} {
		got := findNamespace(inv, want.Name)
		if got == nil || *got != want {
			t.Errorf("got namespace summary %+v, want %+v", got, want)
		}
	}

	table := netaudit(t, 0, "policies", "-A").stdout
	for _, want := range []string{"NAMESPACE", "POLICY-TYPES", "allow-web", "inv-open", "open: no pod selected by any policy"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestPoliciesNamespaceScope(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	inv := decodeInventory(t, netaudit(t, 0, "policies", "-n", "inv-a", "-o", "json").stdout)
	if inv.Source.Namespace != "inv-a" {
		t.Errorf("got source namespace %q, want inv-a", inv.Source.Namespace)
	}
	var names []string
	for _, p := range inv.Policies {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	if want := []string{"inv-a/allow-web", "inv-a/default-deny", "inv-a/egress-dns"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got policies %v, want %v", names, want)
	}
	if len(inv.Namespaces) != 1 || inv.Namespaces[0].Name != "inv-a" {
		t.Errorf("got namespaces %+v, want only inv-a", inv.Namespaces)
	}
}

// The same objects dumped with kubectl get -o yaml and read with -f give
// the same inventory as the live cluster.
func TestPoliciesFileParity(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	live := decodeInventory(t, netaudit(t, 0, "policies", "-A", "-o", "json").stdout)
	dump := kubectl(t, "", "get", "namespaces,pods,networkpolicies", "-A", "-o", "yaml")
	if dump.code != 0 {
		t.Fatalf("kubectl get: %s", dump.stderr)
	}
	path := writeFile(t, "dump.yaml", dump.stdout)
	files := decodeInventory(t, netaudit(t, 0, "policies", "-A", "-f", path, "-o", "json").stdout)
	if files.Source.Kind != "files" || !reflect.DeepEqual(files.Source.Files, []string{path}) {
		t.Errorf("got source %+v, want files [%s]", files.Source, path)
	}
	if !reflect.DeepEqual(live.Policies, files.Policies) {
		t.Errorf("policies differ:\nlive:  %+v\nfiles: %+v", live.Policies, files.Policies)
	}
	if !reflect.DeepEqual(live.Namespaces, files.Namespaces) {
		t.Errorf("namespaces differ:\nlive:  %+v\nfiles: %+v", live.Namespaces, files.Namespaces)
	}
	// Paging one object at a time (limit + continue) reads the same.
	paged := decodeInventory(t, netaudit(t, 0, "policies", "-A", "--chunk-size", "1", "-o", "json").stdout)
	if !reflect.DeepEqual(live.Policies, paged.Policies) || !reflect.DeepEqual(live.Namespaces, paged.Namespaces) {
		t.Errorf("--chunk-size 1 gives a different inventory:\n%+v\n%+v", paged.Policies, live.Policies)
	}

	// The same through stdin and -n.
	r := kubectl(t, dump.stdout, "netaudit", "policies", "-f", "-", "-n", "inv-a", "-o", "json")
	if r.code != 0 {
		t.Fatalf("policies -f - -n inv-a: exit %d: %s", r.code, r.stderr)
	}
	scoped := decodeInventory(t, r.stdout)
	if len(scoped.Policies) != 3 || len(scoped.Namespaces) != 1 {
		t.Errorf("got %d policies in %d namespaces from stdin with -n inv-a, want 3 in 1", len(scoped.Policies), len(scoped.Namespaces))
	}
}

func TestRestrictedUser(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	// Cluster-wide: pods cannot be listed, so there is no inventory at all.
	r := netaudit(t, 4, "policies", "--context", "restricted")
	for _, want := range []string{"Error: listing", "all namespaces", `context "restricted"`, "forbidden", `User "e2e-restricted"`, "Hint: ", "Required RBAC"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("got stdout %q, want nothing: an empty inventory must not be presented as fact", r.stdout)
	}
	// In namespace x it may list pods and policies but not namespaces:
	// the inventory works and says what it could not know.
	r = netaudit(t, 0, "policies", "--context", "restricted", "-n", "x", "-o", "json")
	if !strings.Contains(r.stderr, "Warning: cannot list namespaces (forbidden)") {
		t.Errorf("stderr lacks the namespaces warning:\n%s", r.stderr)
	}
	inv := decodeInventory(t, r.stdout)
	if inv.Source.Namespace != "x" {
		t.Errorf("got source namespace %q, want x", inv.Source.Namespace)
	}
}

func TestUnreachableServer(t *testing.T) {
	start := time.Now()
	r := netaudit(t, 4, "policies", "--context", "unreachable")
	if !strings.Contains(r.stderr, "cannot reach API server https://127.0.0.1:1") || !strings.Contains(r.stderr, `context "unreachable"`) || !strings.Contains(r.stderr, "Hint: ") {
		t.Errorf("stderr does not name the server, the context and a hint:\n%s", r.stderr)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v to report a closed port", d)
	}
}

// Bad input as a new user would meet it: a one-line cause, a hint, and the
// documented exit code.
func TestBadInput(t *testing.T) {
	malformed := writeFile(t, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata: [\n")
	yes := writeFile(t, "yes.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: y\n")
	unreadable := writeFile(t, "secret.yaml", "")
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr []string
	}{
		{"missing kubeconfig", []string{"KUBECONFIG=" + workDir + "/nope"}, []string{"policies"}, 4, []string{"no usable kubeconfig", "--kubeconfig"}},
		{"wrong context", nil, []string{"policies", "--context", "nope"}, 4, []string{`context "nope" not found`, "kubectl config get-contexts"}},
		{"missing file", nil, []string{"policies", "-f", workDir + "/missing.yaml"}, 3, []string{"missing.yaml: no such file or directory"}},
		{"unreadable file", nil, []string{"policies", "-f", unreadable}, 3, []string{"secret.yaml", "permission denied"}},
		// Root reads any file whatever its mode; a path through a file
		// cannot be read by anyone.
		{"unreadable path", nil, []string{"policies", "-f", yes + "/x.yaml"}, 3, []string{"yes.yaml/x.yaml: not a directory"}},
		{"malformed yaml", nil, []string{"policies", "-f", malformed}, 3, []string{"bad.yaml: document 1 (line 6)", "invalid YAML"}},
		{"yaml 1.1 boolean", nil, []string{"policies", "-f", yes}, 3, []string{"yes.yaml: document 0", "quote the value"}},
		{"unknown flag", nil, []string{"policies", "--bogus"}, 2, []string{"unknown flag: --bogus"}},
		{"bad output", nil, []string{"policies", "-o", "xml"}, 2, []string{`unsupported output format "xml"`}},
		{"-A with -n", nil, []string{"policies", "-A", "-n", "x"}, 2, []string{"cannot be used together"}},
	}
	if err := chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "unreadable file" && isRoot() {
				t.Skip("root reads files regardless of their mode")
			}
			r := kubectlEnv(t, tt.env, "", append([]string{"netaudit"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("got exit code %d, want %d\n%s", r.code, tt.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: ") || !strings.HasPrefix(lines[1], "Hint: ") {
				t.Errorf("got stderr %q, want one Error: line and one Hint: line", r.stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}

func TestVersionAndCompletion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if got := netaudit(t, 0, args...).stdout; got != "kubectl-netaudit "+binVersion+"\n" {
			t.Errorf("%v: got %q, want the stamped version", args, got)
		}
	}
	// kubectl completes plugins through kubectl_complete-netaudit on PATH.
	r := kubectl(t, "", "__complete", "netaudit", "pol")
	if r.code != 0 || !strings.Contains(r.stdout, "policies") {
		t.Errorf("kubectl __complete netaudit pol: exit %d, got %q, want policies", r.code, r.stdout)
	}
	r = kubectl(t, "", "__complete", "netaudit", "policies", "--context", "")
	for _, want := range []string{"e2e", "restricted", "unreachable"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("completing --context: got %q, want %s among them", r.stdout, want)
		}
	}
	if got := netaudit(t, 0, "completion", "bash").stdout; !strings.Contains(got, "bash completion") {
		t.Errorf("completion bash does not look like a bash completion script")
	}
	help := netaudit(t, 0, "--help").stdout
	for _, want := range []string{"kubectl netaudit", "Exit codes:", "Examples:", "--context", "--all-namespaces", "--filename"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
