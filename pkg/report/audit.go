package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// AuditReport is the document `kubectl netaudit -o json|yaml` writes.
type AuditReport struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Source     inventory.Source `json:"source"`
	Options    AuditOptions     `json:"options"`
	Summary    AuditSummary     `json:"summary"`
	Coverage   audit.Coverage   `json:"coverage"`
	Findings   []audit.Finding  `json:"findings"`
	// Changes groups the findings into the edits the audit calls for, in
	// order of the most severe finding each holds.
	Changes []ChangeGroup `json:"changes"`
	Checks  []CheckInfo   `json:"checks"`
	// Assumptions are what the verdicts assumed and left out; the
	// warnings on stderr say the same, but -q silences those.
	Assumptions []inventory.Assumption `json:"assumptions"`
	// OutsidePolicies count the policies of kinds outside the model
	// (Cilium, Calico, Antrea, MultiNetworkPolicy) per kind and namespace.
	OutsidePolicies []inventory.OutsidePolicies `json:"outsidePolicies,omitempty"`
	Warnings        []string                    `json:"warnings,omitempty"`
}

// AuditOptions records the choices the verdicts depend on.
type AuditOptions struct {
	IPBlockMatchesPods bool   `json:"ipBlockMatchesPods"`
	WideIPv4Prefix     int    `json:"wideIPv4Prefix"`
	WideIPv6Prefix     int    `json:"wideIPv6Prefix"`
	FailOn             string `json:"failOn"`
}

// AuditSummary counts the findings.
type AuditSummary struct {
	Namespaces int `json:"namespaces"`
	Pods       int `json:"pods"`
	Policies   int `json:"policies"`
	Findings   int `json:"findings"`
	High       int `json:"high"`
	Medium     int `json:"medium"`
	Low        int `json:"low"`
	Info       int `json:"info"`
	// Accepted counts findings the --ignore baseline accepted; they are
	// not listed.
	Accepted int `json:"accepted"`
}

// ChangeGroup is one kind of edit and the objects it concerns.
type ChangeGroup struct {
	Change   audit.Change   `json:"change"`
	Severity audit.Severity `json:"severity"`
	Objects  []string       `json:"objects"`
}

// CheckInfo describes a check that ran.
type CheckInfo struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Severity audit.Severity `json:"severity"`
	Summary  string         `json:"summary"`
}

// NewAuditReport assembles the report from an audit result.
func NewAuditReport(snap *inventory.Snapshot, res *audit.Result, accepted int, opts AuditOptions) *AuditReport {
	r := &AuditReport{
		APIVersion: APIVersion,
		Kind:       "AuditReport",
		Source:     snap.Source,
		Options:    opts,
		Coverage:   res.Coverage,
		Findings:   res.Findings,
		Changes:    []ChangeGroup{},
		Checks:     []CheckInfo{},
		Warnings:   snap.Warnings,

		Assumptions:     assumptionsOf(snap),
		OutsidePolicies: snap.OutsidePolicies,
	}
	r.Summary = AuditSummary{Namespaces: len(res.Coverage.Namespaces), Pods: res.Coverage.Cluster.Pods, Findings: len(res.Findings), Accepted: accepted}
	for _, ns := range res.Coverage.Namespaces {
		r.Summary.Policies += ns.Policies
	}
	for _, f := range res.Findings {
		switch f.Severity {
		case audit.High:
			r.Summary.High++
		case audit.Medium:
			r.Summary.Medium++
		case audit.Low:
			r.Summary.Low++
		default:
			r.Summary.Info++
		}
	}
	for _, c := range res.Checks {
		r.Checks = append(r.Checks, CheckInfo{ID: c.ID, Name: c.Name, Severity: c.Severity, Summary: c.Summary})
	}
	groups := map[audit.Change]*ChangeGroup{}
	for _, f := range res.Findings { // sorted by severity already
		g := groups[f.Change]
		if g == nil {
			g = &ChangeGroup{Change: f.Change, Severity: f.Severity}
			groups[f.Change] = g
		}
		obj := f.Objects[0].String()
		if !contains(g.Objects, obj) {
			g.Objects = append(g.Objects, obj)
		}
	}
	for _, g := range groups {
		r.Changes = append(r.Changes, *g)
	}
	sort.SliceStable(r.Changes, func(i, j int) bool {
		if r.Changes[i].Severity != r.Changes[j].Severity {
			return r.Changes[i].Severity > r.Changes[j].Severity
		}
		return r.Changes[i].Change < r.Changes[j].Change
	})
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sourceLine(s inventory.Source) string {
	scope := "all namespaces"
	if s.Namespace != "" {
		scope = "namespace " + s.Namespace
	}
	if s.Kind == inventory.SourceFiles {
		return fmt.Sprintf("manifests %s, %s", strings.Join(s.Files, ", "), scope)
	}
	return fmt.Sprintf("context %q (%s), %s", s.Context, s.Server, scope)
}

// count renders "1 pod", "2 pods", "3 policies".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func percent(n, of int) string {
	if of == 0 {
		return "-"
	}
	return strconv.Itoa(n*100/of) + "%"
}

// PrintAuditTable writes the summary, the coverage per namespace, the
// findings grouped by severity, and the change list.
func PrintAuditTable(w io.Writer, r *AuditReport, wide, noHeaders bool) error {
	c := r.Coverage.Cluster
	fmt.Fprintf(w, "Audit of %s\n", sourceLine(r.Source))
	printAssumptions(w, "", r.Assumptions)
	fmt.Fprintf(w, "%s, %s, %s. %s: %d high, %d medium, %d low, %d info",
		count(r.Summary.Namespaces, "namespace"), count(r.Summary.Pods, "pod"), count(r.Summary.Policies, "policy"),
		count(r.Summary.Findings, "finding"), r.Summary.High, r.Summary.Medium, r.Summary.Low, r.Summary.Info)
	if r.Summary.Accepted > 0 {
		fmt.Fprintf(w, " (%d more accepted by the baseline)", r.Summary.Accepted)
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintf(w, "Coverage: %d/%d pods ingress-isolated (%s), %d/%d egress-isolated (%s); %d of %d namespace pairs can reach each other; %d of %d workloads reachable from outside the cluster.\n\n",
		c.IngressIsolated, c.Pods, percent(c.IngressIsolated, c.Pods), c.EgressIsolated, c.Pods, percent(c.EgressIsolated, c.Pods),
		c.ReachableNamespacePairs, c.NamespacePairs, c.WorkloadsReachableFromOutside, c.Workloads)

	t := &Table{NoHeaders: noHeaders, Headers: []string{"NAMESPACE", "PODS", "POLICIES", "INGRESS-ISOLATED", "EGRESS-ISOLATED", "REACHABLE-FROM"}}
	// The column appears only when the Admin or Baseline tier protects
	// some namespace, so NetworkPolicy-only reports keep their shape.
	tiers := tierProtected(r.Coverage.Namespaces)
	if tiers {
		t.Headers = append(t.Headers, "PROTECTED-BY")
	}
	for _, ns := range r.Coverage.Namespaces {
		from := truncate(ns.ReachableFrom, 3, wide)
		if ns.ReachableFromOutside {
			from = strings.TrimPrefix(from+", outside", ", ")
		}
		if from == "" {
			from = "-"
		}
		row := []string{ns.Name, strconv.Itoa(ns.Pods), strconv.Itoa(ns.Policies),
			fmt.Sprintf("%d/%d", ns.IngressIsolated, ns.Pods), fmt.Sprintf("%d/%d", ns.EgressIsolated, ns.Pods), from}
		if tiers {
			max := 2
			if wide {
				max = len(ns.ProtectedBy)
			}
			row = append(row, protectionText(ns.ProtectedBy, max))
		}
		t.Rows = append(t.Rows, row)
	}
	if err := t.Render(w); err != nil {
		return err
	}

	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "\nNo findings.")
		return nil
	}
	for _, sev := range []audit.Severity{audit.High, audit.Medium, audit.Low, audit.Info} {
		var rows []audit.Finding
		for _, f := range r.Findings {
			if f.Severity == sev {
				rows = append(rows, f)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)\n", strings.ToUpper(sev.String()), len(rows))
		for _, f := range rows {
			fmt.Fprintf(w, "  %s %s\n", f.CheckID, f.Message)
			if wide {
				for _, o := range f.Objects {
					fmt.Fprintf(w, "        object: %s\n", o)
				}
				for _, d := range f.Details {
					fmt.Fprintf(w, "        %s\n", d)
				}
			}
			fmt.Fprintf(w, "        fix: %s\n", f.Fix)
		}
	}
	fmt.Fprintln(w, "\nChanges the audit calls for:")
	for i, g := range r.Changes {
		fmt.Fprintf(w, "  %d. %s (%s): %s\n", i+1, g.Change, g.Severity, truncate(g.Objects, 5, wide))
	}
	return nil
}

func truncate(items []string, max int, wide bool) string {
	if wide || len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

func tierProtected(namespaces []audit.NamespaceCoverage) bool {
	for _, ns := range namespaces {
		if len(ns.ProtectedBy) > 0 {
			return true
		}
	}
	return false
}

// protectionText groups a namespace's ProtectedBy entries ("Baseline tier:
// cnp/base") by tier: "Admin: cnp/a, cnp/b; Baseline: cnp/base", naming at
// most max policies; "-" for none.
func protectionText(protectedBy []string, max int) string {
	if len(protectedBy) == 0 {
		return "-"
	}
	var b strings.Builder
	last := ""
	for i, p := range protectedBy {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(protectedBy)-max)
			break
		}
		tier, ref, ok := strings.Cut(p, " tier: ")
		if !ok {
			tier, ref = "", p
		}
		switch {
		case i == 0:
		case tier == last:
			b.WriteString(", ")
		default:
			b.WriteString("; ")
		}
		if i == 0 || tier != last {
			if tier != "" {
				b.WriteString(tier + ": ")
			}
			last = tier
		}
		b.WriteString(ref)
	}
	return b.String()
}

// PrintAuditMarkdown writes the report for a pull-request comment.
func PrintAuditMarkdown(w io.Writer, r *AuditReport) error {
	c := r.Coverage.Cluster
	fmt.Fprintf(w, "## kubectl netaudit\n\n")
	fmt.Fprintf(w, "Audit of %s.\n\n", mdEscape(sourceLine(r.Source)))
	if len(r.Assumptions) > 0 {
		fmt.Fprintf(w, "**What the verdicts assume and leave out:**\n\n")
		for _, a := range r.Assumptions {
			fmt.Fprintf(w, "- %s\n", mdEscape(assumptionLine(a)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "| findings | high | medium | low | info | accepted by baseline |\n|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %d |\n\n", r.Summary.Findings, r.Summary.High, r.Summary.Medium, r.Summary.Low, r.Summary.Info, r.Summary.Accepted)
	fmt.Fprintf(w, "**Coverage:** %d/%d pods ingress-isolated, %d/%d egress-isolated; %d of %d namespace pairs can reach each other; %d of %d workloads reachable from outside the cluster.\n\n",
		c.IngressIsolated, c.Pods, c.EgressIsolated, c.Pods, c.ReachableNamespacePairs, c.NamespacePairs, c.WorkloadsReachableFromOutside, c.Workloads)
	if tierProtected(r.Coverage.Namespaces) {
		var items []string
		for _, ns := range r.Coverage.Namespaces {
			if len(ns.ProtectedBy) > 0 {
				items = append(items, fmt.Sprintf("`%s` (%s)", ns.Name, mdEscape(protectionText(ns.ProtectedBy, len(ns.ProtectedBy)))))
			}
		}
		fmt.Fprintf(w, "**Protected by the Admin and Baseline tiers:** %s.\n\n", strings.Join(items, ", "))
	}
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "No findings. :white_check_mark:")
		return nil
	}
	fmt.Fprintf(w, "| severity | check | finding | fix |\n|---|---|---|---|\n")
	for _, f := range r.Findings {
		fmt.Fprintf(w, "| %s | `%s` %s | %s | %s |\n", f.Severity, f.CheckID, f.Check, mdEscape(f.Message), mdEscape(f.Fix))
	}
	fmt.Fprintf(w, "\n### Changes the audit calls for\n\n")
	for i, g := range r.Changes {
		objs := make([]string, len(g.Objects))
		for j, o := range g.Objects {
			objs[j] = "`" + o + "`"
		}
		fmt.Fprintf(w, "%d. **%s** (%s): %s\n", i+1, g.Change, g.Severity, strings.Join(objs, ", "))
	}
	return nil
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
