package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// PolicyDiff is the document `kubectl netaudit diff -o json|yaml` writes:
// the diff with apiVersion and kind.
type PolicyDiff struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	*diff.PolicyDiff
}

// NewPolicyDiff wraps a computed diff as the stable document.
func NewPolicyDiff(d *diff.PolicyDiff) *PolicyDiff {
	return &PolicyDiff{APIVersion: APIVersion, Kind: "PolicyDiff", PolicyDiff: d}
}

// MarkdownBudget is the size -o markdown stays within, in bytes: GitHub
// rejects comments over 65,536 characters.
const MarkdownBudget = 60 * 1024

// changeEnds renders a change's source and destination columns; outside
// ranges show as their CIDRs.
func changeEnds(c diff.Change, max int, wide bool) (from, to string) {
	from = truncate(c.From, max, wide)
	to = c.To
	if len(c.From) == 1 && c.From[0] == diff.Outside {
		from = truncate(cidrStrings(c), max, wide)
	}
	if c.To == diff.Outside {
		to = truncate(cidrStrings(c), max, wide)
	}
	return from, to
}

func cidrStrings(c diff.Change) []string {
	out := make([]string, len(c.CIDRs))
	for i, p := range c.CIDRs {
		out[i] = p.String()
	}
	return out
}

func riskText(c diff.Change) string {
	if c.Risk == diff.RiskClosed {
		return "-"
	}
	if len(c.Breaks) > 0 {
		return string(c.Risk) + ": " + strings.Join(c.Breaks, ", ")
	}
	return string(c.Risk)
}

func policiesText(c diff.Change) string {
	if len(c.Policies) == 0 {
		return "-"
	}
	return strings.Join(c.Policies, ", ")
}

func diffSourcesLine(d *diff.PolicyDiff) string {
	return fmt.Sprintf("%s -> %s", diffSourceLine(d.Base.Source), diffSourceLine(d.Proposed.Source))
}

// diffSourceLine also names the manifests applied to a live state.
func diffSourceLine(s inventory.Source) string {
	if s.Kind == inventory.SourceCluster && len(s.Files) > 0 {
		return fmt.Sprintf("context %q (%s) with %s applied", s.Context, s.Server, strings.Join(s.Files, ", "))
	}
	return sourceLine(s)
}

func policySummary(d *diff.PolicyDiff, max int, wide bool) string {
	if len(d.Policies) == 0 {
		return "no policy object changed"
	}
	items := make([]string, len(d.Policies))
	for i, p := range d.Policies {
		items[i] = p.String()
	}
	return fmt.Sprintf("%d added, %d removed, %d modified: %s", d.Summary.PoliciesAdded, d.Summary.PoliciesRemoved, d.Summary.PoliciesModified, truncate(items, max, wide))
}

func connectionSummary(s diff.Summary) string {
	return fmt.Sprintf("%d opened (%d to or from outside the cluster, %d across namespaces, %d within a namespace), %d closed (%d likely breakage)",
		s.Opened, s.OpenedWorld, s.OpenedCrossNamespace, s.OpenedNamespace, s.Closed, s.Breakage)
}

// PrintDiffTable writes the summary, one row per change (riskiest first,
// grouped by destination), and the findings that appear and go away. With
// wide, every source and range, and each change's verdicts before and after.
func PrintDiffTable(w io.Writer, d *diff.PolicyDiff, wide, noHeaders bool) error {
	fmt.Fprintf(w, "Diff of %s\n", diffSourcesLine(d))
	fmt.Fprintf(w, "Policies: %s.\n", policySummary(d, 5, wide))
	fmt.Fprintf(w, "Connections (per %s): %s.\n", d.Level, connectionSummary(d.Summary))
	fmt.Fprintf(w, "Findings: %d new, %d resolved", d.Summary.NewFindings, d.Summary.ResolvedFindings)
	if d.Findings.Accepted > 0 {
		fmt.Fprintf(w, " (%d more new accepted by the baseline)", d.Findings.Accepted)
	}
	fmt.Fprintln(w, ".")
	if d.Summary.Empty() {
		fmt.Fprintln(w, "\nNo change: the proposed state allows exactly what the base allows, and the findings are the same.")
		return nil
	}
	if len(d.Changes) > 0 {
		fmt.Fprintln(w)
		t := &Table{NoHeaders: noHeaders, Headers: []string{"RISK", "EFFECT", "DESTINATION", "SOURCE", "PORTS", "POLICIES"}}
		for _, c := range d.Changes {
			from, to := changeEnds(c, 3, wide)
			t.Rows = append(t.Rows, []string{riskText(c), string(c.Effect), to, from, c.Ports.String(), policiesText(c)})
		}
		if err := t.Render(w); err != nil {
			return err
		}
		if wide {
			fmt.Fprintln(w, "\nWhy, for the first source and port of each change:")
			for _, c := range d.Changes {
				from, to := changeEnds(c, 1, false)
				fmt.Fprintf(w, "\n%s %s -> %s on %s\n", c.Effect, from, to, c.Ports)
				fmt.Fprintf(w, "before: %s\n%safter: %s\n%s", verdictWord(c.Before.Allowed), explainLines(c.Before), verdictWord(c.After.Allowed), explainLines(c.After))
			}
		}
	}
	for _, sec := range []struct {
		title    string
		findings []audit.Finding
	}{{"NEW FINDINGS", d.Findings.New}, {"RESOLVED FINDINGS", d.Findings.Resolved}} {
		if len(sec.findings) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)\n", sec.title, len(sec.findings))
		for _, f := range sec.findings {
			fmt.Fprintf(w, "  %s %s %s\n", strings.ToUpper(f.Severity.String()), f.CheckID, f.Message)
		}
	}
	if failed := failedExpectations(d); len(failed) > 0 {
		fmt.Fprintf(w, "\nEXPECTATIONS THE PROPOSED STATE FAILS (%d)\n", len(failed))
		for _, e := range failed {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	return nil
}

func verdictWord(allowed bool) string {
	if allowed {
		return "ALLOWED"
	}
	return "DENIED"
}

// failedExpectations lists the expectations that pass on the base and
// fail on the proposed state, or cannot be checked on it.
func failedExpectations(d *diff.PolicyDiff) []string {
	var out []string
	for i, e := range d.Expectations {
		if e.Error != "" {
			out = append(out, fmt.Sprintf("%d. %s -> %s %d/%s: %s", i+1, e.From, e.To, e.Port, e.Protocol, e.Error))
		} else if e.Base && !e.Proposed {
			out = append(out, fmt.Sprintf("%d. %s -> %s %d/%s expected %s", i+1, e.From, e.To, e.Port, e.Protocol, allowedWord(e.Allowed)))
		}
	}
	return out
}

// mdWriter keeps a markdown document within a byte budget: a line is
// written only if it fits with room left for the trailers still to come.
type mdWriter struct {
	buf     bytes.Buffer
	limit   int
	reserve int
}

func (m *mdWriter) fits(s string) bool { return m.buf.Len()+len(s)+m.reserve <= m.limit }

func (m *mdWriter) add(s string) bool {
	if !m.fits(s) {
		return false
	}
	m.buf.WriteString(s)
	return true
}

// force writes a trailer the reserve kept room for.
func (m *mdWriter) force(s string) { m.buf.WriteString(s) }

// trailerRoom is what a section's closing lines may take.
const trailerRoom = 200

// PrintDiffMarkdown writes the diff for a pull-request comment: a summary
// table, likely breakage, the opened paths riskiest first, the closed ones,
// the findings, and the engine's reasons in a collapsed section. It stays
// within budget bytes (MarkdownBudget when 0): rows that do not fit are
// counted in a "N more not shown" line.
func PrintDiffMarkdown(w io.Writer, d *diff.PolicyDiff, budget int) error {
	if budget <= 0 {
		budget = MarkdownBudget
	}
	// The tables leave a tenth of the budget to the reasons.
	const sections = 6 // five tables, then the reasons' closing lines
	m := &mdWriter{limit: budget - budget/10, reserve: sections * trailerRoom}
	s := d.Summary
	m.add("## kubectl netaudit diff\n\n")
	m.add(fmt.Sprintf("%s.\n\n", mdEscape(diffSourcesLine(d))))
	m.add("| opened | to/from outside | across namespaces | within a namespace | closed | likely breakage | new findings | resolved findings |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	m.add(fmt.Sprintf("| %d | %d | %d | %d | %d | %d | %d | %d |\n\n", s.Opened, s.OpenedWorld, s.OpenedCrossNamespace, s.OpenedNamespace, s.Closed, s.Breakage, s.NewFindings, s.ResolvedFindings))
	m.add(fmt.Sprintf("**Policies:** %s.\n\n", mdEscape(policySummary(d, 10, false))))
	if s.Empty() {
		m.add("No change: the proposed state allows exactly what the base allows, and the findings are the same. :white_check_mark:\n")
		_, err := w.Write(m.buf.Bytes())
		return err
	}

	row := func(c diff.Change) string {
		from, to := changeEnds(c, 5, false)
		return fmt.Sprintf("| %s | `%s` | %s | `%s` | %s |\n", mdEscape(riskText(c)), mdEscape(to), mdEscape(from), c.Ports, mdEscape(policiesText(c)))
	}
	const head = "| risk | destination | source | ports | policies |\n|---|---|---|---|---|\n"
	table := func(title string, keep func(*diff.Change) bool) {
		m.reserve -= trailerRoom
		var rows []*diff.Change
		for i := range d.Changes {
			if keep(&d.Changes[i]) {
				rows = append(rows, &d.Changes[i])
			}
		}
		if len(rows) == 0 {
			return
		}
		if !m.add(fmt.Sprintf("### %s (%d)\n\n%s", title, len(rows), head)) {
			m.force(fmt.Sprintf("### %s (%d)\n\n_%d not shown: the comment is full; see `-o json`._\n\n", title, len(rows), len(rows)))
			return
		}
		shown := 0
		for _, c := range rows {
			if !m.add(row(*c)) {
				break
			}
			shown++
		}
		if shown < len(rows) {
			m.force(fmt.Sprintf("\n_%d more not shown; see `-o json` for every change._\n", len(rows)-shown))
		}
		m.force("\n")
	}
	table(":warning: Likely breakage", func(c *diff.Change) bool { return c.Risk == diff.RiskBreakage })
	table("Opened", func(c *diff.Change) bool { return c.Effect == diff.Opened })
	findings := func(title string, fs []audit.Finding) {
		m.reserve -= trailerRoom
		if len(fs) == 0 {
			return
		}
		if !m.add(fmt.Sprintf("### %s (%d)\n\n| severity | check | finding | fix |\n|---|---|---|---|\n", title, len(fs))) {
			m.force(fmt.Sprintf("### %s (%d)\n\n_%d not shown: the comment is full; see `-o json`._\n\n", title, len(fs), len(fs)))
			return
		}
		shown := 0
		for _, f := range fs {
			if !m.add(fmt.Sprintf("| %s | `%s` %s | %s | %s |\n", f.Severity, f.CheckID, f.Check, mdEscape(f.Message), mdEscape(f.Fix))) {
				break
			}
			shown++
		}
		if shown < len(fs) {
			m.force(fmt.Sprintf("\n_%d more not shown; see `-o json`._\n", len(fs)-shown))
		}
		m.force("\n")
	}
	findings("New findings", d.Findings.New)
	table("Closed", func(c *diff.Change) bool { return c.Effect == diff.Closed && c.Risk != diff.RiskBreakage })
	findings("Resolved findings", d.Findings.Resolved)

	// The reasons, collapsed: the riskiest changes first, as far as the
	// budget goes. The reserve keeps room for the closing lines.
	m.limit = budget
	if len(d.Changes) > 0 && m.add("<details><summary>Why: the engine's verdicts before and after, for the first source and port of each change</summary>\n\n") {
		shown := 0
		for i := range d.Changes {
			c := &d.Changes[i]
			from, to := changeEnds(*c, 1, false)
			text := fmt.Sprintf("**%s** `%s` -> `%s` on %s\n```\nbefore: %s\n%safter: %s\n%s```\n\n",
				c.Effect, mdEscape(from), mdEscape(to), c.Ports, verdictWord(c.Before.Allowed), explainLines(c.Before), verdictWord(c.After.Allowed), explainLines(c.After))
			if !m.add(text) {
				break
			}
			shown++
		}
		if shown < len(d.Changes) {
			m.force(fmt.Sprintf("_%d more not shown; `kubectl netaudit explain` gives any of them._\n\n", len(d.Changes)-shown))
		}
		m.force("</details>\n")
	}
	_, err := w.Write(m.buf.Bytes())
	return err
}

// WriteDiffSARIF writes the diff's new findings as SARIF, with the checks
// that ran as rules; snap is the proposed state, where they are found.
func WriteDiffSARIF(w io.Writer, d *diff.PolicyDiff, checks []audit.Check, snap *inventory.Snapshot, toolVersion string) error {
	r := &AuditReport{Findings: d.Findings.New}
	for _, c := range checks {
		r.Checks = append(r.Checks, CheckInfo{ID: c.ID, Name: c.Name, Severity: c.Severity, Summary: c.Summary})
	}
	return WriteSARIF(w, r, snap, toolVersion)
}
