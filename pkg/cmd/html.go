package cmd

import (
	"io"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// htmlFormat is -o html: one self-contained page; several contexts make one
// section each (or one file each with --output-dir).
func htmlFormat(title string, section func(out *outcome) report.HTMLSection) format {
	return format{
		name: "html",
		ext:  "html",
		print: func(w io.Writer, out *outcome) error {
			return report.WriteHTML(w, report.HTMLPage{Title: title, ToolVersion: versionString(), Sections: []report.HTMLSection{section(out)}})
		},
		many: func(w io.Writer, _ *command, runs []contextRun) error {
			page := report.HTMLPage{Title: title, ToolVersion: versionString()}
			for _, r := range runs {
				s := report.HTMLSection{Context: r.name}
				if r.err != nil {
					s.Error = contextError(r.err)
				} else {
					s = section(r.out)
					s.Context = r.name
				}
				page.Sections = append(page.Sections, s)
			}
			return report.WriteHTML(w, page)
		},
	}
}

// auditHTML is the audit's page: its report and the map of every workload,
// with the findings marked.
func auditHTML(out *outcome) report.HTMLSection {
	rep := out.doc.(*report.AuditReport)
	doc := report.NewReachabilityMatrix(out.snap, out.model.Matrix(reach.ByWorkload), report.MatrixFilter{})
	return report.HTMLSection{Audit: rep, Map: report.NewNetworkMap(out.snap, out.model, doc,
		&report.MapFacts{Findings: rep.Findings, Coverage: &rep.Coverage})}
}

// matrixHTML is the matrix's page: the map of the matrix as filtered.
func matrixHTML(out *outcome) report.HTMLSection {
	doc := out.doc.(*report.ReachabilityMatrix)
	return report.HTMLSection{Matrix: doc, Map: report.NewNetworkMap(out.snap, out.model, doc, nil)}
}
