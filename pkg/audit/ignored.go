package audit

import (
	"fmt"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// NA034 is medium: rules the API ignores were written to mean something,
// and an author who wrote egress rules without Egress in policyTypes
// believes the pods' egress is restricted while it is open.
var _ = register(Check{
	ID: "NA034", Name: "ignored-rules", Severity: Medium,
	Summary: "A NetworkPolicy has ingress or egress rules, but its policyTypes lacks that direction: the API ignores them.",
	Run:     ignoredRules,
})

func ignoredRules(in *Input) []Finding {
	var out []Finding
	for _, pol := range in.facts.policies {
		if pol.ClusterScoped() {
			continue
		}
		for _, d := range []reach.Dir{reach.Ingress, reach.Egress} {
			rules := pol.Inactive[d]
			if len(rules) == 0 {
				continue
			}
			dir, typ := "ingress", "Ingress"
			if d == reach.Egress {
				dir, typ = "egress", "Egress"
			}
			var fields []string
			for _, r := range rules {
				fields = append(fields, r.Field)
			}
			pods := len(in.facts.selected[pol.Ref])
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s has %s, but its policyTypes lacks %s: the API ignores them, and this policy does not restrict the %s of the %s",
					pol.Ref, plural(len(rules), dir+" rule", dir+" rules"), typ, dir, plural(pods, "pod it selects", "pods it selects")),
				Objects: []Object{objectOfPolicy(pol.Ref, "spec.policyTypes")},
				Fix: fmt.Sprintf("add %s to spec.policyTypes if the rules are meant to apply (the selected pods then lose all %s the rules do not allow), or delete spec.%s",
					typ, dir, dir),
				Change:  ChangeReview,
				Details: []string{"ignored: " + strings.Join(fields, ", ")},
			})
		}
	}
	return out
}
