package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// auditFixture audits the e2e suite's "one of every check" manifest.
func auditFixture(t *testing.T) (*inventory.Snapshot, *AuditReport) {
	t.Helper()
	return auditOf(t, "../../test/e2e/testdata/audit.yaml")
}

func auditOf(t *testing.T, path string) (*inventory.Snapshot, *AuditReport) {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Run(snap, model, audit.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return snap, NewAuditReport(snap, res, 0, AuditOptions{IPBlockMatchesPods: true, WideIPv4Prefix: 8, WideIPv6Prefix: 32, FailOn: "none"})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./pkg/report -update and review the diff):\n%s", name, got)
	}
}

func TestAuditGolden(t *testing.T) {
	snap, rep := auditFixture(t)
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"audit.txt", func(b *bytes.Buffer) error { return PrintAuditTable(b, rep, false, false) }},
		{"audit-wide.txt", func(b *bytes.Buffer) error { return PrintAuditTable(b, rep, true, false) }},
		{"audit.json", func(b *bytes.Buffer) error { return WriteJSON(b, rep) }},
		{"audit.yaml", func(b *bytes.Buffer) error { return WriteYAML(b, rep) }},
		{"audit.md", func(b *bytes.Buffer) error { return PrintAuditMarkdown(b, rep) }},
		{"audit.sarif", func(b *bytes.Buffer) error { return WriteSARIF(b, rep, snap, "v0.0.0-test") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.print(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestAuditTiersGolden prints the audit of the e2e suite's tier checks
// manifest: coverage names the Admin and Baseline policies protecting each
// namespace, which NetworkPolicy-only reports leave out.
func TestAuditTiersGolden(t *testing.T) {
	_, rep := auditOf(t, "../../test/e2e/testdata/audit-tiers.yaml")
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"audit-tiers.txt", func(b *bytes.Buffer) error { return PrintAuditTable(b, rep, false, false) }},
		{"audit-tiers-wide.txt", func(b *bytes.Buffer) error { return PrintAuditTable(b, rep, true, false) }},
		{"audit-tiers.md", func(b *bytes.Buffer) error { return PrintAuditMarkdown(b, rep) }},
		{"audit-tiers.json", func(b *bytes.Buffer) error { return WriteJSON(b, rep) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.print(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

func TestProtectionText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		max  int
		want string
	}{
		{"none", nil, 2, "-"},
		{"one tier", []string{"Admin tier: cnp/a", "Admin tier: cnp/b"}, 2, "Admin: cnp/a, cnp/b"},
		{"both tiers", []string{"Admin tier: anp/a", "Baseline tier: banp/default"}, 2, "Admin: anp/a; Baseline: banp/default"},
		{"cut", []string{"Admin tier: cnp/a", "Admin tier: cnp/b", "Baseline tier: cnp/c", "Baseline tier: cnp/d"}, 2, "Admin: cnp/a, cnp/b and 2 more"},
		{"cut within a tier", []string{"Admin tier: cnp/a", "Baseline tier: cnp/c", "Baseline tier: cnp/d"}, 2, "Admin: cnp/a; Baseline: cnp/c and 1 more"},
	} {
		if got := protectionText(tc.in, tc.max); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSARIFStructure checks what code-scanning UIs require of SARIF 2.1.0:
// the version and schema, a driver with named rules, results whose ruleId
// and ruleIndex resolve to a rule, a level and message, and locations that
// point at a real line of a real file (or name the object).
func TestSARIFStructure(t *testing.T) {
	snap, rep := auditFixture(t)
	var b bytes.Buffer
	if err := WriteSARIF(&b, rep, snap, "v0.0.0-test"); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || log["$schema"] == nil {
		t.Fatalf("got version %v schema %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "kubectl-netaudit" {
		t.Errorf("got driver name %v", driver["name"])
	}
	rules := driver["rules"].([]any)
	ruleIDs := map[string]int{}
	for i, r := range rules {
		rule := r.(map[string]any)
		id, _ := rule["id"].(string)
		if id == "" || rule["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule %d lacks id or shortDescription: %v", i, rule)
		}
		if _, dup := ruleIDs[id]; dup {
			t.Errorf("rule %s appears twice", id)
		}
		ruleIDs[id] = i
	}
	if len(rules) != len(audit.Checks()) {
		t.Errorf("got %d rules, want one per check (%d)", len(rules), len(audit.Checks()))
	}
	results := run["results"].([]any)
	if len(results) != len(rep.Findings) || len(results) == 0 {
		t.Fatalf("got %d results, want %d", len(results), len(rep.Findings))
	}
	lines := map[string]int{}
	for i, r := range results {
		res := r.(map[string]any)
		id := res["ruleId"].(string)
		idx, ok := ruleIDs[id]
		if !ok || int(res["ruleIndex"].(float64)) != idx {
			t.Errorf("result %d: ruleId %s / ruleIndex %v do not resolve", i, id, res["ruleIndex"])
		}
		if lvl := res["level"]; lvl != "error" && lvl != "warning" && lvl != "note" {
			t.Errorf("result %d: level %v", i, lvl)
		}
		if res["message"].(map[string]any)["text"] == "" {
			t.Errorf("result %d: empty message", i)
		}
		locs := res["locations"].([]any)
		if len(locs) == 0 {
			t.Errorf("result %d: no locations", i)
			continue
		}
		loc := locs[0].(map[string]any)
		phys, ok := loc["physicalLocation"].(map[string]any)
		if !ok {
			if len(loc["logicalLocations"].([]any)) == 0 {
				t.Errorf("result %d: neither physical nor logical location", i)
			}
			continue
		}
		uri := phys["artifactLocation"].(map[string]any)["uri"].(string)
		line := int(phys["region"].(map[string]any)["startLine"].(float64))
		if _, ok := lines[uri]; !ok {
			data, err := os.ReadFile(filepath.FromSlash(uri))
			if err != nil {
				t.Errorf("result %d: location %s: %v", i, uri, err)
				continue
			}
			lines[uri] = bytes.Count(data, []byte("\n")) + 1
		}
		if line < 1 || line > lines[uri] {
			t.Errorf("result %d: line %d outside %s (%d lines)", i, line, uri, lines[uri])
		}
	}
}
