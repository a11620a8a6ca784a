package audit

import (
	"fmt"
	"sort"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

var _ = register(Check{
	ID: "NA070", Name: "policies-outside-model", Severity: High,
	Summary: "Policies of a network plugin's own kinds (Cilium, Calico, Antrea, MultiNetworkPolicy) apply to a namespace: they decide traffic too, but the verdicts leave them out. One finding per namespace they touch; cluster-wide kinds touch every namespace.",
	Run:     outsidePolicies,
})

// outsidePolicies raises one finding per namespace that policies outside
// the model may apply to, so that a gate on high findings cannot pass on
// verdicts that ignore them.
func outsidePolicies(in *Input) []Finding {
	if len(in.Snap.OutsidePolicies) == 0 {
		return nil
	}
	namespaces := append([]string(nil), in.facts.namespaces...)
	for _, p := range in.Snap.OutsidePolicies {
		// A namespace the snapshot lacks (manifests that do not define it)
		// is touched all the same.
		if !p.ClusterScoped() && !in.facts.inScope(p.Namespace) && !contains(namespaces, p.Namespace) &&
			(in.Snap.Source.Namespace == "" || p.Namespace == in.Snap.Source.Namespace) {
			namespaces = append(namespaces, p.Namespace)
		}
	}
	sort.Strings(namespaces)
	var out []Finding
	for _, ns := range namespaces {
		counts := in.Snap.OutsidePoliciesIn(ns)
		if len(counts) == 0 {
			continue
		}
		total := 0
		for _, c := range counts {
			total += c.Count
		}
		out = append(out, Finding{
			Severity: High,
			Message: fmt.Sprintf("namespace %s is subject to %s that netaudit does not model (%s): its verdicts, coverage and findings leave them out",
				ns, plural(total, "policy", "policies"), inventory.DescribeOutside(counts)),
			Objects: []Object{{Kind: "Namespace", Name: ns}},
			Fix:     "review what these policies allow and deny with the network plugin's own tools (cilium, calicoctl, antctl); then accept this finding with --write-baseline/--ignore",
			Change:  ChangeReview,
			Details: []string{"policies: " + inventory.DescribeOutside(counts)},
		})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
