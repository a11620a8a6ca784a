package audit

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA041", Name: "duplicate-policy", Severity: Low,
	Summary: "Two policies in a namespace have the same effective spec: one of them is dead weight.",
	Run:     duplicatePolicies,
})

// normalisedSpec is a policy's spec with the API server's defaults applied
// (policyTypes, protocol), so a manifest and its live copy compare equal.
func normalisedSpec(np *networkingv1.NetworkPolicy) string {
	spec := np.Spec.DeepCopy()
	spec.PolicyTypes = nil
	for _, t := range reach.EffectiveTypeNames(np) {
		spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyType(t))
	}
	fix := func(ports []networkingv1.NetworkPolicyPort) {
		for i := range ports {
			if ports[i].Protocol == nil {
				tcp := corev1.ProtocolTCP
				ports[i].Protocol = &tcp
			}
		}
	}
	for i := range spec.Ingress {
		fix(spec.Ingress[i].Ports)
	}
	for i := range spec.Egress {
		fix(spec.Egress[i].Ports)
	}
	b, _ := json.Marshal(spec)
	return string(b)
}

func duplicatePolicies(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		seen := map[string]*networkingv1.NetworkPolicy{}
		for _, np := range in.facts.policiesByNS[ns] {
			key := normalisedSpec(np)
			first, ok := seen[key]
			if !ok {
				seen[key] = np
				continue
			}
			out = append(out, Finding{
				Severity: Low,
				Message:  fmt.Sprintf("%s/%s has the same spec as %s/%s: removing it changes nothing", np.Namespace, np.Name, first.Namespace, first.Name),
				Objects:  []Object{objectOfPolicy(np, ""), objectOfPolicy(first, "")},
				Fix:      "delete the duplicate",
				Change:   ChangeRemoveRedundant,
			})
		}
	}
	return out
}

var _ = register(Check{
	ID: "NA040", Name: "redundant-policy", Severity: Low,
	Summary: "Removing a policy changes no pod's allowances (computed with the engine): other policies already do its work. Policies selecting every pod of their namespace are exempt: they also cover pods created later.",
	Run:     redundantPolicies,
})

var _ = register(Check{
	ID: "NA042", Name: "redundant-rule", Severity: Low,
	Summary: "Removing a rule changes no pod's allowances: other rules already allow what it allows.",
	Run:     redundantRules,
})

// duplicated reports policies that have an exact copy in their namespace;
// NA041 covers them, and each copy alone is trivially redundant.
func duplicated(in *Input) map[reach.PolicyRef]bool {
	out := map[reach.PolicyRef]bool{}
	for _, ns := range in.facts.namespaces {
		first := map[string]reach.PolicyRef{}
		for _, np := range in.facts.policiesByNS[ns] {
			key := normalisedSpec(np)
			if f, ok := first[key]; ok {
				out[f], out[refOf(np)] = true, true
			} else {
				first[key] = refOf(np)
			}
		}
	}
	return out
}

// judgeable says whether redundancy can be judged for a policy: with -n,
// pods of other namespaces were not read, so a policy whose peers reach
// beyond its namespace (or match addresses, which pods elsewhere may hold)
// could look redundant only for lack of them.
func judgeable(in *Input, ref reach.PolicyRef) bool {
	if !in.facts.inScope(ref.Namespace) {
		return false
	}
	scoped := in.Snap.Source.Namespace != ""
	for _, np := range in.facts.policiesByNS[ref.Namespace] {
		if np.Name != ref.Name {
			continue
		}
		for _, r := range rulesOf(np) {
			for _, p := range r.peers {
				if scoped && (p.NamespaceSelector != nil || p.IPBlock != nil) {
					return false
				}
				// A peer waiting for the workloads of empty namespaces is
				// not redundant, only early.
				if p.NamespaceSelector != nil && emptyNamespaces(in, p) {
					return false
				}
			}
		}
	}
	return true
}

// selectsAll: podSelector {} also applies to pods created later, which the
// snapshot cannot show; such a policy (a default-deny above all) is never
// called redundant.
func selectsAll(in *Input, ref reach.PolicyRef) bool {
	for _, np := range in.facts.policiesByNS[ref.Namespace] {
		if np.Name == ref.Name {
			return len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0
		}
	}
	return false
}

func redundantPolicies(in *Input) []Finding {
	dup := duplicated(in)
	var out []Finding
	for _, ref := range in.facts.redundancy.Policies {
		if dup[ref] || !judgeable(in, ref) || selectsAll(in, ref) {
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s is redundant: removing it changes no pod's ingress or egress allowances, other policies already do its work", ref),
			Objects:  []Object{{Kind: "NetworkPolicy", Namespace: ref.Namespace, Name: ref.Name}},
			Fix:      "delete it, or merge what it means to say into the policies that cover it",
			Change:   ChangeRemoveRedundant,
		})
	}
	return out
}

func redundantRules(in *Input) []Finding {
	dup := duplicated(in)
	var out []Finding
	for _, r := range in.facts.redundancy.Rules {
		if dup[r.Policy] || !judgeable(in, r.Policy) {
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s %s rule %d is redundant: removing it changes no pod's allowances", r.Policy, r.Direction, r.Rule+1),
			Objects:  []Object{{Kind: "NetworkPolicy", Namespace: r.Policy.Namespace, Name: r.Policy.Name, Field: fmt.Sprintf("spec.%s[%d]", r.Direction, r.Rule)}},
			Fix:      "delete the rule",
			Change:   ChangeRemoveRedundant,
		})
	}
	return out
}
