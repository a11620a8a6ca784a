package report

import (
	"fmt"
	"io"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// assumptionsOf copies what the verdicts assumed and left out into a
// document: never nil, so JSON always holds an "assumptions" list.
func assumptionsOf(snap *inventory.Snapshot) []inventory.Assumption {
	return append([]inventory.Assumption{}, snap.Assumptions...)
}

// assumptionLine renders one assumption for people: "Assumed: ..." or
// "Left out: ...".
func assumptionLine(a inventory.Assumption) string {
	if a.LeftOut {
		return "Left out: " + a.Text
	}
	return "Assumed: " + a.Text
}

// printAssumptions writes one line per assumption, each with a prefix.
func printAssumptions(w io.Writer, prefix string, as []inventory.Assumption) {
	for _, a := range as {
		fmt.Fprintf(w, "%s%s\n", prefix, assumptionLine(a))
	}
}

// printAssumptionsAfter writes the lines after a blank one, as the closing
// lines of a table, explanation or list.
func printAssumptionsAfter(w io.Writer, as []inventory.Assumption) {
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w)
	printAssumptions(w, "", as)
}
