package audit

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

func truncateList(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// portsText renders a rule's ports as the model reads them: "all ports", or
// "8080/TCP, http/TCP, 53/UDP, 1000-2000/TCP".
func portsText(ports []reach.Port) string {
	if len(ports) == 0 {
		return "all ports"
	}
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		out = append(out, p.Text)
	}
	return strings.Join(out, ", ")
}

// selectorText renders a selector as kubectl does, "{}" for one that
// selects everything and "" for none.
func selectorText(s labels.Selector) string {
	if s == nil {
		return ""
	}
	if s.Empty() {
		return "{}"
	}
	return s.String()
}

// selectsEverything: a nil or empty selector.
func selectsEverything(s labels.Selector) bool { return s == nil || s.Empty() }

// ruleView is one rule of a compiled policy with the words findings use.
type ruleView struct {
	*reach.Rule
	dir string // "ingress" or "egress"
}

func (r ruleView) field() string { return r.Field }

// label is "ingress rule 1" (1-based, as people count).
func (r ruleView) label() string { return fmt.Sprintf("%s rule %d", r.dir, r.Index+1) }

// rulesOf returns a policy's rules in spec order, ingress first; with
// inactive, also those the API ignores (a direction missing from
// policyTypes).
func rulesOf(pol *reach.Policy, inactive bool) []ruleView {
	var out []ruleView
	for _, d := range []reach.Dir{reach.Ingress, reach.Egress} {
		rules := append([]reach.Rule(nil), pol.Rules[d]...)
		if inactive {
			rules = append(rules, pol.Inactive[d]...)
		}
		for i := range rules {
			out = append(out, ruleView{Rule: &rules[i], dir: d.String()})
		}
	}
	return out
}
