package audit

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA041", Name: "duplicate-policy", Severity: Low,
	Summary: "Two policies in a namespace have the same effective spec: one of them is dead weight.",
	Run:     duplicatePolicies,
})

// specKey renders what a NetworkPolicy says as the model compiled it
// (policyTypes and protocols defaulted, as the API server does), so that a
// manifest and its live copy compare equal.
func specKey(pol *reach.Policy) string {
	var b strings.Builder
	sel := func(s labels.Selector) {
		if s == nil {
			b.WriteString("<nil>")
		} else {
			b.WriteString("{" + s.String() + "}")
		}
	}
	sel(pol.PodSelector)
	fmt.Fprintf(&b, "|%v", pol.Isolates)
	for d := range pol.Rules {
		for _, rules := range [][]reach.Rule{pol.Rules[d], pol.Inactive[d]} {
			for _, r := range rules {
				fmt.Fprintf(&b, "|%d:%d:%s[", d, r.Index, r.Action)
				for _, p := range r.Peers {
					b.WriteString(string(p.Kind))
					sel(p.NamespaceSelector)
					sel(p.PodSelector)
					if p.Kind == reach.PeerAddresses {
						fmt.Fprintf(&b, "%s-%v", p.CIDR, p.Except)
					}
					b.WriteByte(';')
				}
				b.WriteString("][")
				for _, p := range r.Ports {
					fmt.Fprintf(&b, "%s/%s/%s;", p.Protocol, p.Name, p.Range)
				}
				b.WriteString("]")
			}
		}
	}
	return b.String()
}

func duplicatePolicies(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		seen := map[string]*reach.Policy{}
		for _, pol := range in.facts.policiesByNS[ns] {
			key := specKey(pol)
			first, ok := seen[key]
			if !ok {
				seen[key] = pol
				continue
			}
			out = append(out, Finding{
				Severity: Low,
				Message:  fmt.Sprintf("%s has the same spec as %s: removing it changes nothing", pol.Ref, first.Ref),
				Objects:  []Object{objectOfPolicy(pol.Ref, ""), objectOfPolicy(first.Ref, "")},
				Fix:      "delete the duplicate",
				Change:   ChangeRemoveRedundant,
			})
		}
	}
	return out
}

var _ = register(Check{
	ID: "NA040", Name: "redundant-policy", Severity: Low,
	Summary: "Removing a policy changes no pod's allowances (computed with the engine, cluster-wide tiers applied; a verdict that depends on a pod's IP counts as one): other policies already do its work. Policies selecting every pod of their namespace are exempt: they also cover pods created later. A policy that changes nothing because its rules allow nothing is reported as blocking the traffic it was meant to allow, never as one to delete.",
	Run:     redundantPolicies,
})

var _ = register(Check{
	ID: "NA042", Name: "redundant-rule", Severity: Low,
	Summary: "Removing a rule changes no pod's allowances, as for NA040: other rules already allow what it allows.",
	Run:     redundantRules,
})

// duplicated reports policies that have an exact copy in their namespace;
// NA041 covers them, and each copy alone is trivially redundant.
func duplicated(in *Input) map[reach.PolicyRef]bool {
	out := map[reach.PolicyRef]bool{}
	for _, ns := range in.facts.namespaces {
		first := map[string]reach.PolicyRef{}
		for _, pol := range in.facts.policiesByNS[ns] {
			key := specKey(pol)
			if f, ok := first[key]; ok {
				out[f], out[pol.Ref] = true, true
			} else {
				first[key] = pol.Ref
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
	pol := in.facts.policy(ref)
	if pol == nil {
		return false
	}
	scoped := in.Snap.Source.Namespace != ""
	for _, r := range rulesOf(pol, true) {
		for pi, p := range r.Peers {
			if scoped && (p.NamespaceSelector != nil || p.Kind == reach.PeerAddresses) {
				return false
			}
			// A peer waiting for the workloads of empty namespaces is
			// not redundant, only early.
			if p.NamespaceSelector != nil && emptyNamespaces(in, matchPeer(in, pol, r, pi).names) {
				return false
			}
		}
	}
	return true
}

// selectsAll: podSelector {} also applies to pods created later, which the
// snapshot cannot show; such a policy (a default-deny above all) is never
// called redundant.
func selectsAll(in *Input, ref reach.PolicyRef) bool {
	pol := in.facts.policy(ref)
	return pol != nil && selectsEverything(pol.PodSelector)
}

func redundantPolicies(in *Input) []Finding {
	dup := duplicated(in)
	var out []Finding
	for _, ref := range in.facts.redundancy.Policies {
		if dup[ref] || !judgeable(in, ref) || selectsAll(in, ref) {
			continue
		}
		if dead := deadRules(in, ref); len(dead) > 0 {
			// Its rules allow nothing, so nothing is lost by deleting it
			// today; but the traffic they were written for is blocked,
			// which is the problem to report, not the policy's existence.
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s changes no pod's allowances because %s nothing: the traffic %s meant to allow is blocked",
					ref, plural(len(dead), "of its rules allows", "of its rules allow"), map[bool]string{true: "it was", false: "they were"}[len(dead) == 1]),
				Objects: []Object{objectOfPolicy(ref, dead[0])},
				Fix:     "fix the rules' peers or port names (see NA031, NA032, NA033) so they match the pods they were written for; do not delete the policy for being redundant",
				Change:  ChangeReview,
				Details: []string{"allowing nothing: " + strings.Join(dead, ", ")},
			})
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s is redundant: removing it changes no pod's ingress or egress allowances, other policies already do its work", ref),
			Objects:  []Object{objectOfPolicy(ref, "")},
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
		if dup[r.Policy] || !judgeable(in, r.Policy) || hasUnresolvedPort(in, r) {
			continue
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  fmt.Sprintf("%s %s rule %d is redundant: removing it changes no pod's allowances", r.Policy, r.Direction, r.Rule+1),
			Objects:  []Object{objectOfPolicy(r.Policy, fmt.Sprintf("spec.%s[%d]", r.Direction, r.Rule))},
			Fix:      "delete the rule",
			Change:   ChangeRemoveRedundant,
		})
	}
	return out
}

// hasUnresolvedPort: a named port entry of the rule resolves on none of the
// pods it applies to. Such a rule allows nothing, so it is trivially
// redundant, but NA033 reports the likely intent (a port name to fix),
// which deleting the rule would lose.
func hasUnresolvedPort(in *Input, rr reach.RuleRef) bool {
	pol := in.facts.policy(rr.Policy)
	if pol == nil {
		return false
	}
	for _, r := range rulesOf(pol, false) {
		if r.dir != rr.Direction || r.Index != rr.Rule {
			continue
		}
		for pi, p := range r.Ports {
			if p.Name == "" {
				continue
			}
			if _, ok := unresolved(in, pol.Ref, r, pi); ok {
				return true
			}
		}
	}
	return false
}

// deadRules returns the fields of a policy's rules that allow nothing at
// all: every peer is a selector that matches no pod, or every port entry is
// a name that resolves on none of the pods the rule applies to.
func deadRules(in *Input, ref reach.PolicyRef) []string {
	pol := in.facts.policy(ref)
	if pol == nil {
		return nil
	}
	var out []string
	for _, r := range rulesOf(pol, false) {
		deadPeers := len(r.Peers) > 0
		for pi, p := range r.Peers {
			if p.Kind != reach.PeerPods && p.Kind != reach.PeerNamespaces || matchPeer(in, pol, r, pi).pods > 0 {
				deadPeers = false
				break
			}
		}
		deadPorts := len(r.Ports) > 0
		for pi, p := range r.Ports {
			if _, ok := unresolved(in, pol.Ref, r, pi); p.Name == "" || !ok {
				deadPorts = false
				break
			}
		}
		if deadPeers || deadPorts {
			out = append(out, r.field())
		}
	}
	return out
}
