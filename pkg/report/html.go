package report

import (
	"bufio"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// The report's page inlines everything it needs: its own script and style,
// and the vendored graph library (hack/vendor-cytoscape.sh, versions in
// web/vendor/VERSIONS, MIT licences embedded beside each script). It loads
// nothing over the network, and its Content-Security-Policy forbids it to.
//
//go:embed web/report.js web/report.css web/vendor
var web embed.FS

// vendored are the vendored scripts in load order: fcose needs cose-base,
// which needs layout-base.
var vendored = []string{"cytoscape", "layout-base", "cose-base", "cytoscape-fcose"}

// HTMLSection is one source of an HTML report: the only one, or one
// context of several.
type HTMLSection struct {
	// Context names the context when several run.
	Context string
	// Error is set when the context could not be read.
	Error *ContextError
	// Audit holds the audit's summary, findings and changes; nil for the matrix.
	Audit *AuditReport
	// Matrix holds the matrix's summary line; nil for the audit.
	Matrix *ReachabilityMatrix
	// Text is shown as is, before the map (the diff's table).
	Text string
	Map  *NetworkMap
}

// HTMLPage is the whole file.
type HTMLPage struct {
	// Title says what the page shows ("Audit", "Reachability matrix").
	Title       string
	ToolVersion string
	Sections    []HTMLSection
}

// WriteHTML writes the page: one file that opens offline.
func WriteHTML(w io.Writer, page HTMLPage) error {
	vendor, err := vendorScripts()
	if err != nil {
		return err
	}
	own, err := web.ReadFile("web/report.js")
	if err != nil {
		return err
	}
	css, err := web.ReadFile("web/report.css")
	if err != nil {
		return err
	}
	view := htmlView{Page: page, CSS: template.CSS(css), Vendor: template.JS(vendor), Script: template.JS(own)}
	for i := range page.Sections {
		s := htmlSectionView{HTMLSection: page.Sections[i]}
		if s.Map != nil {
			data, err := mapJSON(s.Map)
			if err != nil {
				return err
			}
			s.MapJSON = template.JS(data)
		}
		if s.Audit != nil {
			s.Lines = auditSummaryLines(s.Audit)
			s.Groups = severityGroups(s.Audit.Findings)
		}
		view.Sections = append(view.Sections, s)
	}
	bw := bufio.NewWriter(w)
	if err := pageTemplate.Execute(bw, view); err != nil {
		return err
	}
	return bw.Flush()
}

// mapJSON encodes the map so that it cannot end the script element it is
// embedded in: encoding/json escapes <, > and & (and U+2028, U+2029) as
// \u sequences, so no name from the cluster can write "</script" or "<!--".
func mapJSON(m *NetworkMap) ([]byte, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if strings.Contains(strings.ToLower(string(data)), "</script") || strings.Contains(string(data), "<!--") {
		return nil, fmt.Errorf("map data would end its script element") // unreachable with encoding/json's escaping
	}
	return data, nil
}

func vendorScripts() (string, error) {
	var b strings.Builder
	for _, name := range vendored {
		lic, err := web.ReadFile("web/vendor/" + name + ".LICENSE")
		if err != nil {
			return "", err
		}
		js, err := web.ReadFile("web/vendor/" + name + ".js")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "/*! %s, vendored from npm (see its version in the netaudit sources, pkg/report/web/vendor/VERSIONS)\n%s*/\n", name, lic)
		b.Write(js)
		b.WriteString("\n")
	}
	return b.String(), nil
}

type htmlView struct {
	Page     HTMLPage
	CSS      template.CSS
	Vendor   template.JS
	Script   template.JS
	Sections []htmlSectionView
}

type htmlSectionView struct {
	HTMLSection
	MapJSON template.JS
	Lines   []string
	Groups  []severityGroup
}

type severityGroup struct {
	Severity string
	Findings []audit.Finding
}

// auditSummaryLines are the table output's first lines.
func auditSummaryLines(r *AuditReport) []string {
	c := r.Coverage.Cluster
	first := fmt.Sprintf("%s, %s, %s. %s: %d high, %d medium, %d low, %d info",
		count(r.Summary.Namespaces, "namespace"), count(r.Summary.Pods, "pod"), count(r.Summary.Policies, "policy"),
		count(r.Summary.Findings, "finding"), r.Summary.High, r.Summary.Medium, r.Summary.Low, r.Summary.Info)
	if r.Summary.Accepted > 0 {
		first += fmt.Sprintf(" (%d more accepted by the baseline)", r.Summary.Accepted)
	}
	return []string{
		"Audit of " + sourceLine(r.Source),
		first + ".",
		fmt.Sprintf("Coverage: %d/%d pods ingress-isolated (%s), %d/%d egress-isolated (%s); %d of %d namespace pairs can reach each other; %d of %d workloads reachable from outside the cluster.",
			c.IngressIsolated, c.Pods, percent(c.IngressIsolated, c.Pods), c.EgressIsolated, c.Pods, percent(c.EgressIsolated, c.Pods),
			c.ReachableNamespacePairs, c.NamespacePairs, c.WorkloadsReachableFromOutside, c.Workloads),
	}
}

func severityGroups(fs []audit.Finding) []severityGroup {
	var out []severityGroup
	for _, sev := range []audit.Severity{audit.High, audit.Medium, audit.Low, audit.Info} {
		g := severityGroup{Severity: sev.String()}
		for _, f := range fs {
			if f.Severity == sev {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"add1":  func(i int) int { return i + 1 },
	"reachableFrom": func(ns audit.NamespaceCoverage) string {
		from := strings.Join(ns.ReachableFrom, ", ")
		if ns.ReachableFromOutside {
			from = strings.TrimPrefix(from+", outside", ", ")
		}
		if from == "" {
			return "-"
		}
		return from
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="kubectl-netaudit {{.Page.ToolVersion}}">
<title>kubectl netaudit: {{.Page.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
<h1>kubectl netaudit: {{.Page.Title}}</h1>
</header>
{{range $i, $s := .Sections}}
<section class="report" id="section-{{$i}}">
{{- if $s.Context}}
<h2>Context {{$s.Context}}</h2>
{{- end}}
{{- if $s.Error}}
<p class="error">Error: {{$s.Error.Message}}</p>
{{- if $s.Error.Hint}}<p>Hint: {{$s.Error.Hint}}</p>{{end}}
{{- else}}
{{- with $s.Audit}}
<div class="summary">
{{- range $s.Lines}}
<p>{{.}}</p>
{{- end}}
</div>
<table class="coverage">
<thead><tr><th>Namespace</th><th>Pods</th><th>Policies</th><th>Ingress-isolated</th><th>Egress-isolated</th><th>Reachable from</th></tr></thead>
<tbody>
{{- range .Coverage.Namespaces}}
<tr{{if and (gt .Pods 0) (eq .IngressIsolated 0) (eq .EgressIsolated 0)}} class="unprotected"{{end}}><td>{{.Name}}</td><td class="num">{{.Pods}}</td><td class="num">{{.Policies}}</td><td class="num">{{.IngressIsolated}}/{{.Pods}}</td><td class="num">{{.EgressIsolated}}/{{.Pods}}</td><td>{{reachableFrom .}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- with $s.Matrix}}
<div class="summary"><p>{{len .Nodes}} {{.Level}}s, {{.Stats.Pods}} pods in {{.Stats.Classes}} classes: {{.Stats.ClassPairs}} class pairs evaluated for {{.Stats.PodPairs}} pod pairs; {{len .Pairs}} pairs may talk.</p></div>
{{- end}}
{{- with $s.Text}}
<pre class="text">{{.}}</pre>
{{- end}}
{{- with $s.Map}}
<h3>Network map</h3>
<div class="map">
<div class="controls">
<select class="ns-filter" aria-label="namespace"><option value="">all namespaces</option></select>
<input class="search" type="search" placeholder="search a {{.Level}}" aria-label="search">
<button class="view-toggle" type="button"></button>
<span class="legend"><span><i style="background:#2e7d32"></i>{{.Level}}</span><span><i style="background:#c62828"></i>high</span><span><i style="background:#ef6c00"></i>medium</span><span><i style="background:#f9a825"></i>low</span><span><i style="background:#1565c0"></i>info finding</span><span>dashed red border: unprotected namespace</span></span>
<span class="note">{{if .Collapsed}}Collapsed: {{.CollapseReason}}.{{else}}Arrows are allowed paths; hover for ports, click for why.{{end}}{{if .OmittedEdges}} {{.OmittedEdges}} {{.Level}} pairs are not embedded (see kubectl netaudit matrix).{{end}}</span>
</div>
<div class="graph"></div>
<aside class="panel"><p class="hint">Click an edge to see why it is allowed, a node for its findings.</p></aside>
</div>
<script type="application/json" class="map-data">{{$s.MapJSON}}</script>
{{- end}}
{{- with $s.Audit}}
<h3>Findings</h3>
{{- if not .Findings}}
<p>No findings.</p>
{{- end}}
{{- range $s.Groups}}
<h4>{{upper .Severity}} ({{len .Findings}})</h4>
<ul class="findings-list">
{{- range .Findings}}
<li><span class="sev {{.Severity}}">{{.Severity}}</span> <b>{{.CheckID}}</b> {{.Message}}
<div class="fix">fix: {{.Fix}}</div>
<div class="objects">{{range .Objects}}<code>{{.}}</code> {{end}}</div>
{{- if .Details}}<details><summary>details</summary><ul>{{range .Details}}<li>{{.}}</li>{{end}}</ul></details>{{end}}
</li>
{{- end}}
</ul>
{{- end}}
{{- if .Changes}}
<h3>Changes the audit calls for</h3>
<ol class="changes">
{{- range .Changes}}
<li><b>{{.Change}}</b> ({{.Severity}}): {{range $j, $o := .Objects}}{{if $j}}, {{end}}<code>{{$o}}</code>{{end}}</li>
{{- end}}
</ol>
{{- end}}
{{- end}}
{{- end}}
</section>
{{end}}
<footer>Written by kubectl-netaudit {{.Page.ToolVersion}}. The map is drawn with cytoscape.js and its fcose layout (MIT; licences inline in this file).</footer>
<script>{{.Vendor}}</script>
<script>{{.Script}}</script>
</body>
</html>
`))

// AuditHTMLSection is the audit's part of a page: its report and the map of
// every workload, with the findings marked.
func AuditHTMLSection(snap *inventory.Snapshot, model *reach.Model, rep *AuditReport) HTMLSection {
	doc := NewReachabilityMatrix(snap, model.Matrix(reach.ByWorkload), MatrixFilter{})
	return HTMLSection{Audit: rep, Map: NewNetworkMap(snap, model, doc, &MapFacts{Findings: rep.Findings, Coverage: &rep.Coverage})}
}

// MatrixHTMLSection is the matrix's part of a page: the map of the matrix
// as filtered.
func MatrixHTMLSection(snap *inventory.Snapshot, model *reach.Model, doc *ReachabilityMatrix) HTMLSection {
	doc = doc.Held() // the page embeds every pair
	return HTMLSection{Matrix: doc, Map: NewNetworkMap(snap, model, doc, nil)}
}
