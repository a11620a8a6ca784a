package audit

import (
	"fmt"
	"strings"
	"testing"
)

// The checks whose severity depends on the rule state the rule in their
// summary, which `kubectl netaudit checks`, SARIF and the README show; the
// summary must say what openSeverity does.
func TestOpenRuleSeverityIsStated(t *testing.T) {
	summaries := map[string]string{}
	for _, c := range Checks() {
		summaries[c.ID] = c.Summary
	}
	for _, id := range []string{"NA010", "NA011"} {
		for _, tt := range []struct {
			dir, ports string
			allPorts   bool
		}{{"ingress", "every port", true}, {"ingress", "some ports", false}, {"egress", "every port", true}, {"egress", "some ports", false}} {
			sev := openSeverity(tt.dir, tt.allPorts)
			// "high for ingress on every port", "medium for ... or egress on every port", ...
			stated := false
			for _, clause := range strings.Split(strings.SplitN(summaries[id], "Severity: ", 2)[1], ", ") {
				if strings.HasPrefix(clause, sev.String()+" for ") && strings.Contains(clause, fmt.Sprintf("%s on %s", tt.dir, tt.ports)) {
					stated = true
				}
			}
			if !stated {
				t.Errorf("%s summary %q does not say %s for %s on %s", id, summaries[id], sev, tt.dir, tt.ports)
			}
		}
	}
	if !strings.HasSuffix(summaries["NA012"], "Severity: medium for ingress, low for egress.") {
		t.Errorf("NA012 summary %q does not state its severity rule", summaries["NA012"])
	}
}
