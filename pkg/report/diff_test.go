package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

func diffState(t testing.TB, snap *inventory.Snapshot) diff.State {
	t.Helper()
	m, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return diff.State{Snap: snap, Model: m}
}

func readFiles(t testing.TB, paths ...string) *inventory.Snapshot {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// diffFixture is the e2e suite's diff: the demo, with the legacy namespace
// isolated (forgetting DNS), the database opened to billing and a partner
// network, and web's DNS allow deleted; the demo's expectations checked.
func diffFixture(t *testing.T) *diff.PolicyDiff {
	t.Helper()
	const dir = "../../test/e2e/testdata/"
	base := readFiles(t, dir+"demo.yaml")
	proposed := diff.Overlay(base, readFiles(t, dir+"diff/legacy-default-deny.yaml", dir+"diff/shop-db.yaml"),
		diff.OverlayOptions{Delete: readFiles(t, dir+"diff/remove-allow-dns.yaml")})
	exps := []diff.Expectation{
		{From: "shop/deployment/web", To: "shop/statefulset/db", Port: 5432, Protocol: reach.TCP, Allowed: true},
		{From: "shop/deployment/web", To: "kube-system/deployment/coredns", Port: 53, Protocol: reach.UDP, Allowed: true},
	}
	d, err := diff.Compute(diffState(t, base), diffState(t, proposed), diff.Options{Level: reach.ByWorkload, Audit: audit.DefaultConfig(), Expectations: exps})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiffGolden(t *testing.T) {
	d := diffFixture(t)
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"diff.txt", func(b *bytes.Buffer) error { return PrintDiffTable(b, d, false, false) }},
		{"diff-wide.txt", func(b *bytes.Buffer) error { return PrintDiffTable(b, d, true, false) }},
		{"diff.json", func(b *bytes.Buffer) error { return WriteJSON(b, NewPolicyDiff(d)) }},
		{"diff.md", func(b *bytes.Buffer) error { return PrintDiffMarkdown(b, d, MarkdownBudget) }},
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

// TestDiffMarkdownSmallBudget: whatever the budget, the comment stays
// within it and says how much it left out.
func TestDiffMarkdownSmallBudget(t *testing.T) {
	d := diffFixture(t)
	for _, budget := range []int{1500, 2500, 4000} {
		var b bytes.Buffer
		if err := PrintDiffMarkdown(&b, d, budget); err != nil {
			t.Fatal(err)
		}
		if b.Len() > budget {
			t.Errorf("budget %d: wrote %d bytes", budget, b.Len())
		}
		if !strings.Contains(b.String(), "not shown") {
			t.Errorf("budget %d: no \"not shown\" line in\n%s", budget, b.String())
		}
	}
}

// TestDiffMarkdownBudget10kPods: removing every policy of a 10,000-pod
// cluster opens everything, hundreds of thousands of workload pairs; the
// comment still fits in MarkdownBudget and counts what it leaves out.
func TestDiffMarkdownBudget10kPods(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 pods")
	}
	base := gen.Generate(gen.Config{Pods: 10000, Seed: 1})
	proposed := diff.Overlay(base, &inventory.Snapshot{}, diff.OverlayOptions{Delete: &inventory.Snapshot{Policies: base.Policies}})
	d, err := diff.Compute(diffState(t, base), diffState(t, proposed), diff.Options{Level: reach.ByWorkload, Audit: audit.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary.Opened < 1000 || d.Summary.PoliciesRemoved != len(base.Policies) {
		t.Fatalf("want thousands of opened changes and %d policies removed, got %+v", len(base.Policies), d.Summary)
	}
	var b bytes.Buffer
	if err := PrintDiffMarkdown(&b, d, MarkdownBudget); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MarkdownBudget {
		t.Errorf("markdown is %d bytes, over the %d budget", b.Len(), MarkdownBudget)
	}
	for _, want := range []string{"more not shown", "</details>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	t.Logf("%d changes (%d opened), %d new findings: %d bytes of markdown", len(d.Changes), d.Summary.Opened, d.Summary.NewFindings, b.Len())
}
