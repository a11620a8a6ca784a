package cmd

import (
	"io"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
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

func auditHTML(out *outcome) report.HTMLSection {
	return report.AuditHTMLSection(out.snap, out.model, out.doc.(*report.AuditReport))
}

func matrixHTML(out *outcome) report.HTMLSection {
	return report.MatrixHTMLSection(out.snap, out.model, out.doc.(*report.ReachabilityMatrix))
}

func diffHTML(out *outcome) report.HTMLSection {
	return report.DiffHTMLSection(out.doc.(*diff.PolicyDiff))
}
