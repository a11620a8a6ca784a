package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/scenarios"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// scenarioManifest writes a scenario's objects as one multi-document YAML
// file, as a user would keep them in a repository.
func scenarioManifest(t *testing.T, s scenarios.Scenario) string {
	t.Helper()
	var docs []string
	add := func(apiVersion, kind string, obj any) {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, fmt.Sprintf("apiVersion: %s\nkind: %s\n%s", apiVersion, kind, b))
	}
	for _, ns := range s.Namespaces {
		ns.TypeMeta = metav1.TypeMeta{}
		add("v1", "Namespace", ns)
	}
	for _, p := range s.Pods {
		p.TypeMeta = metav1.TypeMeta{}
		add("v1", "Pod", p)
	}
	for _, np := range s.Policies {
		np.TypeMeta = metav1.TypeMeta{}
		add("networking.k8s.io/v1", "NetworkPolicy", np)
	}
	return writeFile(t, "objects.yaml", strings.Join(docs, "---\n"))
}

func expectationsFile(t *testing.T, s scenarios.Scenario) string {
	t.Helper()
	doc := report.Expectations{}
	for _, e := range s.Expectations {
		allowed := e.Allowed
		doc.Expectations = append(doc.Expectations, report.Expectation{From: e.From, To: e.To, Port: e.Port, Protocol: e.Protocol, Allowed: &allowed})
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "expect.yaml", string(b))
}

func decodeVerify(t *testing.T, out string) *report.VerifyReport {
	t.Helper()
	var r report.VerifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding verify -o json: %v\n%s", err, out)
	}
	return &r
}

// Every scenario's truth table passes `verify`, from the live cluster and
// from the same objects in a manifest.
func TestVerifyScenarios(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			applySnapshot(t, &inventory.Snapshot{Namespaces: s.Namespaces, Pods: s.Pods, Policies: s.Policies})
			expect := expectationsFile(t, s)
			manifest := scenarioManifest(t, s)
			args := []string{"verify", "--expect", expect, "-o", "json"}
			if s.IPBlocksExcludePods {
				args = append(args, "--ipblock-matches-pods=false")
			}
			for name, extra := range map[string][]string{"live": nil, "files": {"-f", manifest}} {
				var r result
				if name == "live" {
					r = kubectl(t, "", append([]string{"netaudit"}, args...)...)
				} else {
					r = pluginDirect(t, nil, append(args, extra...)...)
				}
				rep := decodeVerify(t, r.stdout)
				if r.code != 0 || rep.Failed != 0 || rep.Passed != len(s.Expectations) {
					for _, res := range rep.Results {
						if !res.Pass {
							t.Errorf("%s: %s -> %s %d/%s: got %v, want %v: %s", name, res.From, res.To, res.Port, res.Protocol, res.Actual, res.Expected, res.Reason)
						}
					}
					t.Fatalf("%s: exit %d, %d passed, %d failed of %d\n%s", name, r.code, rep.Passed, rep.Failed, len(s.Expectations), r.stderr)
				}
			}
		})
	}
}

func TestVerifyFailsAndNamesBadEntries(t *testing.T) {
	s := scenarios.All()[0]
	applySnapshot(t, &inventory.Snapshot{Namespaces: s.Namespaces, Pods: s.Pods, Policies: s.Policies})
	e := s.Expectations[0]
	wrong := writeFile(t, "wrong.yaml", fmt.Sprintf("expectations:\n- {from: %s, to: %s, port: %d, protocol: %s, allowed: %v}\n", e.From, e.To, e.Port, e.Protocol, !e.Allowed))
	r := netaudit(t, 1, "verify", "--expect", wrong, "-o", "json")
	rep := decodeVerify(t, r.stdout)
	if rep.Failed != 1 || len(rep.Results) != 1 || rep.Results[0].Result != "FAIL" || rep.Results[0].Actual != e.Allowed || rep.Results[0].Expected == e.Allowed {
		t.Errorf("got %+v, want one FAIL with actual %v", rep, e.Allowed)
	}
	table := netaudit(t, 1, "verify", "--expect", wrong).stdout
	if !strings.Contains(table, "FAIL") || !strings.Contains(table, "0 passed, 1 failed") {
		t.Errorf("table lacks the failure:\n%s", table)
	}

	tests := []struct{ name, content, want string }{
		{"unknown pod", "expectations:\n- {from: x/nope, to: x/a, port: 80, allowed: true}\n", `expectations[0] (x/nope -> x/a): pod "nope" not found in namespace "x"`},
		{"missing allowed", "expectations:\n- {from: x/a, to: x/b, port: 80}\n", "expectations[0]: allowed (true or false) is required"},
		{"bad port and protocol", "expectations:\n- {from: x/a, to: x/b, port: 70000, protocol: ICMP, allowed: true}\n", `port 70000 is not in 1-65535, protocol "ICMP" is not TCP, UDP or SCTP`},
		{"unknown field", "expectations:\n- {from: x/a, to: x/b, port: 80, allowd: true}\n", `unknown field "allowd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := netaudit(t, 3, "verify", "--expect", writeFile(t, "e.yaml", tt.content))
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "Hint: ") {
				t.Errorf("stderr lacks %q and a hint:\n%s", tt.want, r.stderr)
			}
		})
	}
}

func TestMatrixLiveAndFiles(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	decode := func(out string) *report.ReachabilityMatrix {
		var m report.ReachabilityMatrix
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("decoding matrix -o json: %v\n%s", err, out)
		}
		if m.Kind != "ReachabilityMatrix" || m.APIVersion != report.APIVersion {
			t.Fatalf("got kind %q apiVersion %q", m.Kind, m.APIVersion)
		}
		return &m
	}
	live := decode(netaudit(t, 0, "matrix", "-n", "inv-b", "-o", "json").stdout)
	files := decode(netaudit(t, 0, "matrix", "-n", "inv-b", "-f", "testdata/inventory.yaml", "-o", "json").stdout)
	if !reflect.DeepEqual(live.Pairs, files.Pairs) || !reflect.DeepEqual(live.External, files.External) || !reflect.DeepEqual(live.Nodes, files.Nodes) {
		t.Errorf("live and -f matrices differ:\nlive:  %+v\nfiles: %+v", live, files)
	}

	all := decode(netaudit(t, 0, "matrix", "-f", "testdata/inventory.yaml", "--to", "inv-a", "-o", "json").stdout)
	var got []string
	for _, p := range all.Pairs {
		b, _ := json.Marshal(p.Ports)
		got = append(got, p.From+" -> "+p.To+" "+string(b))
	}
	// Only the client in team b reaches the web pods, and only on the
	// named port http (8080); nobody reaches the database.
	want := []string{
		`inv-b/pod/client -> inv-a/pod/web-1 {"TCP":["8080"]}`,
		`inv-b/pod/client -> inv-a/pod/web-2 {"TCP":["8080"]}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got pairs into inv-a %q, want %q", got, want)
	}

	csv := netaudit(t, 0, "matrix", "-n", "inv-b", "-o", "csv").stdout
	if !strings.HasPrefix(csv, "from,to,ports\n") || !strings.Contains(csv, "inv-b/pod/client,inv-b/pod/batch,all") {
		t.Errorf("unexpected CSV:\n%s", csv)
	}
	dot := netaudit(t, 0, "matrix", "-n", "inv-b", "-o", "dot").stdout
	// The assumptions come first, as DOT comments.
	graph := dot
	for strings.HasPrefix(graph, "//") {
		_, graph, _ = strings.Cut(graph, "\n")
	}
	if !strings.HasPrefix(graph, "digraph netaudit {") || !strings.Contains(dot, `"inv-b/pod/client" -> "inv-b/pod/batch"`) {
		t.Errorf("unexpected dot:\n%s", dot)
	}
}

func TestExplain(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	tests := []struct {
		from, to, port string
		allowed        bool
		text           []string
	}{
		{"inv-b/client", "inv-a/web-1", "8080", true, []string{"ALLOWED", "allowed by inv-a/allow-web ingress rule 1", "http(=8080)/TCP"}},
		{"inv-b/client", "inv-a/db", "5432", false, []string{"DENIED", "ingress to inv-a/db: isolated by inv-a/default-deny; no rule allows it"}},
		{"inv-b/batch", "inv-a/web-2", "8080", false, []string{"egress from inv-b/batch: not isolated"}},
		{"inv-a/web-1", "203.0.113.5", "53/UDP", true, []string{"allowed by inv-a/egress-dns egress rule 1"}},
		{"inv-a/web-1", "203.0.113.5", "443", false, []string{"isolated by inv-a/egress-dns; no rule allows it"}},
		{"10.1.1.1", "inv-a/pod/web-1", "8080", true, []string{"inv-b/client"}},
	}
	for _, tt := range tests {
		t.Run(tt.from+"->"+tt.to+":"+tt.port, func(t *testing.T) {
			args := []string{"explain", "--from", tt.from, "--to", tt.to, "--port", tt.port}
			var e report.Explanation
			if err := json.Unmarshal([]byte(netaudit(t, 0, append(args, "-o", "json")...).stdout), &e); err != nil {
				t.Fatal(err)
			}
			if e.Allowed != tt.allowed {
				t.Errorf("got allowed %v, want %v", e.Allowed, tt.allowed)
			}
			text := netaudit(t, 0, args...).stdout
			for _, want := range tt.text {
				if !strings.Contains(text, want) {
					t.Errorf("explanation lacks %q:\n%s", want, text)
				}
			}
		})
	}
	r := netaudit(t, 2, "explain", "--from", "inv-b/nope", "--to", "inv-a/db", "--port", "80")
	if !strings.Contains(r.stderr, `--from: pod "nope" not found in namespace "inv-b"`) {
		t.Errorf("unexpected stderr: %s", r.stderr)
	}
}

// TestExplainNodeLocal: the node a pod runs on (status.hostIP/hostIPs)
// always reaches it and is always reachable from it, default deny or not;
// read live and from the same manifest.
func TestExplainNodeLocal(t *testing.T) {
	manifest := writeFile(t, "nodelocal.yaml", `apiVersion: v1
kind: Namespace
metadata: {name: nodelocal}
---
apiVersion: v1
kind: Pod
metadata: {namespace: nodelocal, name: api, labels: {app: api}}
spec: {containers: [{name: main, image: registry.k8s.io/pause:3.10}]}
status:
  podIP: 10.244.7.10
  hostIP: 172.18.0.7
  hostIPs: [{ip: 172.18.0.7}, {ip: "fd00:18::7"}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: nodelocal, name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
`)
	applyManifests(t, manifest)
	tests := []struct {
		from, to string
		allowed  bool
		text     string
	}{
		{"172.18.0.7", "nodelocal/api", true, "ingress to nodelocal/api: node-local: traffic from the pod's own node is always allowed"},
		{"fd00:18::7", "nodelocal/api", true, "node-local: traffic from the pod's own node is always allowed"},
		{"nodelocal/api", "172.18.0.7", true, "egress from nodelocal/api: node-local: traffic to the pod's own node is always allowed"},
		{"172.18.0.8", "nodelocal/api", false, "isolated by nodelocal/default-deny; no rule allows it"},
	}
	for _, src := range []struct {
		name string
		args []string
	}{{"live", []string{"-n", "nodelocal"}}, {"files", []string{"-f", manifest}}} {
		for _, tt := range tests {
			t.Run(src.name+":"+tt.from+"->"+tt.to, func(t *testing.T) {
				args := append([]string{"explain", "--from", tt.from, "--to", tt.to, "--port", "8080"}, src.args...)
				var e report.Explanation
				if err := json.Unmarshal([]byte(netaudit(t, 0, append(args, "-o", "json")...).stdout), &e); err != nil {
					t.Fatal(err)
				}
				if e.Allowed != tt.allowed {
					t.Errorf("got allowed %v, want %v", e.Allowed, tt.allowed)
				}
				if text := netaudit(t, 0, args...).stdout; !strings.Contains(text, tt.text) {
					t.Errorf("explanation lacks %q:\n%s", tt.text, text)
				}
			})
		}
	}
}

// TestExplainDepends: a pending pod (no IP) facing an ipBlock that holds
// part of the pod network gets DEPENDS, not DENIED, live and from files;
// --pod-cidr settles it; the matrix lists the ports apart.
func TestExplainDepends(t *testing.T) {
	manifest := writeFile(t, "depends.yaml", `apiVersion: v1
kind: Namespace
metadata: {name: depends}
---
apiVersion: v1
kind: Pod
metadata: {namespace: depends, name: pending, labels: {app: batch}}
spec: {containers: [{name: main, image: registry.k8s.io/pause:3.10}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {namespace: depends, name: db, labels: {app: db}}
spec: {containers: [{name: main, image: registry.k8s.io/pause:3.10}]}
status: {podIP: 10.244.3.4}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: depends, name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{ipBlock: {cidr: 10.244.64.0/18}}], ports: [{port: 5432}]}]
`)
	applyManifests(t, manifest)
	for _, src := range [][]string{{"-n", "depends"}, {"-f", manifest}} {
		args := append([]string{"explain", "--from", "depends/pending", "--to", "depends/db", "--port", "5432"}, src...)
		var e report.Explanation
		if err := json.Unmarshal([]byte(netaudit(t, 0, append(args, "-o", "json")...).stdout), &e); err != nil {
			t.Fatal(err)
		}
		if e.Allowed || e.DependsPairs != 1 || len(e.Verdicts) != 1 || !e.Verdicts[0].Depends {
			t.Errorf("%v: allowed=%v dependsPairs=%d, want a verdict that depends", src, e.Allowed, e.DependsPairs)
		}
		text := netaudit(t, 0, args...).stdout
		for _, want := range []string{"DEPENDS", "depends/pending has no IP, and ipBlock 10.244.64.0/18 (depends/db spec.ingress[0]) holds only part of the pod network 10.244.0.0/16",
			"Assumed: 1 pod without an IP is placed in the pod network 10.244.0.0/16, inferred from the pods' IPs"} {
			if !strings.Contains(text, want) {
				t.Errorf("%v: explanation lacks %q:\n%s", src, want, text)
			}
		}
		if text := netaudit(t, 0, append(args, "--pod-cidr", "10.244.64.0/24")...).stdout; !strings.HasPrefix(text, "ALLOWED") {
			t.Errorf("%v --pod-cidr inside the ipBlock: want ALLOWED:\n%s", src, text)
		}
		var mx report.ReachabilityMatrix
		if err := json.Unmarshal([]byte(netaudit(t, 0, append([]string{"matrix", "--pods", "-o", "json"}, src...)...).stdout), &mx); err != nil {
			t.Fatal(err)
		}
		if len(mx.Depends) != 1 || mx.Depends[0].From != "depends/pending" || mx.Depends[0].To != "depends/db" {
			t.Errorf("%v: matrix depends %+v, want depends/pending -> depends/db", src, mx.Depends)
		}
		audit := decodeAudit(t, netaudit(t, 0, append([]string{"-o", "json"}, src...)...).stdout)
		var keys []string
		for _, f := range audit.Findings {
			keys = append(keys, f.CheckID+" "+f.Objects[0].String())
		}
		if !contains(keys, "NA061 depends/pod/pending") {
			t.Errorf("%v: the audit does not name the pod whose verdicts depend on its IP: %q", src, keys)
		}
	}
}
