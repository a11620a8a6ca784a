package audit

import (
	"fmt"
	"net/netip"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA010", Name: "rule-open-to-world", Severity: High,
	Summary: "A rule allows traffic from or to 0.0.0.0/0, ::/0 or another very wide ipBlock. Severity: high for ingress on every port, medium for ingress on some ports or egress on every port, low for egress on some ports.",
	Run:     wideIPBlocks,
})

var _ = register(Check{
	ID: "NA011", Name: "rule-any-peer", Severity: High,
	Summary: "A rule has no from/to peers: it allows every source or destination, in and outside the cluster. Severity: high for ingress on every port, medium for ingress on some ports or egress on every port, low for egress on some ports.",
	Run:     anyPeerRules,
})

var _ = register(Check{
	ID: "NA012", Name: "rule-all-namespaces", Severity: Medium,
	Summary: "A peer has namespaceSelector: {}: it matches pods in every namespace, including ones created later. Severity: medium for ingress, low for egress.",
	Run:     allNamespacesPeers,
})

var _ = register(Check{
	ID: "NA013", Name: "rule-all-ports", Severity: Low,
	Summary: "A rule restricts peers but not ports: every port and protocol is allowed.",
	Run:     allPortsRules,
})

var _ = register(Check{
	ID: "NA020", Name: "allow-all-cancels-deny", Severity: High,
	Summary: "A policy allows all traffic to pods that a default-deny policy in the same namespace isolates: the deny no longer denies.",
	Run:     allowAllCancelsDeny,
})

// activeRules yields the rules that count of NetworkPolicies that select
// pods (rules of directions missing from policyTypes are ignored by the
// API).
func activeRules(in *Input, fn func(pol *reach.Policy, r ruleView, exposed string)) {
	for _, pol := range in.facts.policies {
		if pol.ClusterScoped() {
			continue
		}
		pods := in.facts.selected[pol.Ref]
		if len(pods) == 0 {
			continue // NA030 reports it; a rule of an unused policy exposes nothing
		}
		for _, r := range rulesOf(pol, false) {
			fn(pol, r, plural(len(pods), "pod", "pods")+" ("+podNames(pods, 3)+")")
		}
	}
}

// openRules is activeRules for the checks that judge how open a rule is
// (NA010-NA013): a named port entry that resolves on none of the pods it
// applies to matches nothing (NA033 reports it), so it is left out of the
// rule's ports, and a rule whose every port entry is such a name allows
// nothing today and is not called open.
func openRules(in *Input, fn func(pol *reach.Policy, r ruleView, exposed string)) {
	activeRules(in, func(pol *reach.Policy, r ruleView, exposed string) {
		if len(r.Ports) == 0 {
			fn(pol, r, exposed)
			return
		}
		live := make([]reach.Port, 0, len(r.Ports))
		for pi, p := range r.Ports {
			if p.Name != "" {
				if _, dead := unresolved(in, pol.Ref, r, pi); dead {
					continue
				}
			}
			live = append(live, p)
		}
		switch {
		case len(live) == 0:
			return
		case len(live) < len(r.Ports):
			rule := *r.Rule
			rule.Ports = live
			r.Rule = &rule
		}
		fn(pol, r, exposed)
	})
}

// openSeverity: ingress from the world matters more than egress to it, and
// all ports more than some.
func openSeverity(dir string, allPorts bool) Severity {
	switch {
	case dir == "ingress" && allPorts:
		return High
	case dir == "ingress" || allPorts:
		return Medium
	}
	return Low
}

func direction(r ruleView) (verb, prep string) {
	if r.dir == "ingress" {
		return "admits", "from"
	}
	return "lets", "to"
}

func anyPeerRules(in *Input) []Finding {
	var out []Finding
	openRules(in, func(pol *reach.Policy, r ruleView, exposed string) {
		if len(r.Peers) > 0 || (r.dir == "egress" && onlyDNSPorts(r.Ports)) {
			return // egress to any resolver on 53 is the standard DNS allowance
		}
		var msg string
		if r.dir == "ingress" {
			msg = fmt.Sprintf("%s %s has no from peers: it admits every pod and every address outside the cluster to %s on %s",
				pol.Ref, r.label(), exposed, portsText(r.Ports))
		} else {
			msg = fmt.Sprintf("%s %s has no to peers: it lets %s send to every pod and every address outside the cluster on %s",
				pol.Ref, r.label(), exposed, portsText(r.Ports))
		}
		out = append(out, Finding{
			Severity: openSeverity(r.dir, len(r.Ports) == 0),
			Message:  msg,
			Objects:  []Object{objectOfPolicy(pol.Ref, r.field())},
			Fix:      "list the peers that need this traffic (podSelector, namespaceSelector or ipBlock)",
			Change:   ChangeTighten,
		})
	})
	return out
}

// wideLimit returns the prefix length at or below which an address block
// counts as (nearly) the whole internet.
func wideLimit(in *Input, prefix netip.Prefix) int {
	if prefix.Addr().Is6() && !prefix.Addr().Is4In6() {
		return in.Config.WideIPv6Prefix
	}
	return in.Config.WideIPv4Prefix
}

// worldText names a wide block: "the whole internet" for /0.
func worldText(prefix netip.Prefix, limit int) string {
	if prefix.Bits() == 0 {
		return "the whole internet"
	}
	return fmt.Sprintf("%s (a /%d, wider than /%d)", prefix.Masked(), prefix.Bits(), limit)
}

// wideIPBlocks reads the address blocks as the engine does (legacy
// leading zeros included), so a block the matrix shows as the internet is
// reported as such.
func wideIPBlocks(in *Input) []Finding {
	var out []Finding
	openRules(in, func(pol *reach.Policy, r ruleView, exposed string) {
		for _, p := range r.Peers {
			if p.Kind != reach.PeerAddresses {
				continue
			}
			limit := wideLimit(in, p.CIDR)
			if p.CIDR.Bits() > limit {
				continue
			}
			world := worldText(p.CIDR, limit)
			except := ""
			if len(p.Except) > 0 {
				except = fmt.Sprintf(" except %d ranges", len(p.Except))
			}
			verb, prep := direction(r)
			subject := exposed
			msg := fmt.Sprintf("%s %s %s %s%s to %s on %s", pol.Ref, r.label(), verb, world, except, subject, portsText(r.Ports))
			if r.dir == "egress" {
				msg = fmt.Sprintf("%s %s %s %s send %s %s%s on %s", pol.Ref, r.label(), verb, subject, prep, world, except, portsText(r.Ports))
			}
			out = append(out, Finding{
				Severity: openSeverity(r.dir, len(r.Ports) == 0),
				Message:  msg,
				Objects:  []Object{objectOfPolicy(pol.Ref, p.Field+".ipBlock")},
				Fix:      "narrow the ipBlock to the addresses that need this traffic",
				Change:   ChangeTighten,
			})
		}
	})
	return out
}

func allNamespacesPeers(in *Input) []Finding {
	var out []Finding
	openRules(in, func(pol *reach.Policy, r ruleView, exposed string) {
		for _, p := range r.Peers {
			if p.Kind == reach.PeerAddresses || p.NamespaceSelector == nil || !p.NamespaceSelector.Empty() {
				continue
			}
			which := "every pod in every namespace"
			if !selectsEverything(p.PodSelector) {
				which = "pods matching " + selectorText(p.PodSelector) + " in every namespace"
			}
			msg := fmt.Sprintf("%s %s admits %s to %s on %s", pol.Ref, r.label(), which, exposed, portsText(r.Ports))
			if r.dir == "egress" {
				msg = fmt.Sprintf("%s %s lets %s send to %s on %s", pol.Ref, r.label(), exposed, which, portsText(r.Ports))
			}
			sev := Medium
			if r.dir == "egress" {
				sev = Low
			}
			out = append(out, Finding{
				Severity: sev,
				Message:  msg,
				Objects:  []Object{objectOfPolicy(pol.Ref, p.Field+".namespaceSelector")},
				Fix:      "select the namespaces that need this traffic by label (e.g. kubernetes.io/metadata.name)",
				Change:   ChangeTighten,
			})
		}
	})
	return out
}

func allPortsRules(in *Input) []Finding {
	var out []Finding
	openRules(in, func(pol *reach.Policy, r ruleView, exposed string) {
		if len(r.Peers) == 0 || len(r.Ports) > 0 {
			return // no peers at all is NA011's
		}
		msg := fmt.Sprintf("%s %s allows every port and protocol to %s from its peers", pol.Ref, r.label(), exposed)
		if r.dir == "egress" {
			msg = fmt.Sprintf("%s %s lets %s use every port and protocol toward its peers", pol.Ref, r.label(), exposed)
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  msg,
			Objects:  []Object{objectOfPolicy(pol.Ref, r.field())},
			Fix:      "list the ports the peers need",
			Change:   ChangeTighten,
		})
	})
	return out
}

// isDenyAll: podSelector {} with the direction enforced and no rules in it.
func isDenyAll(pol *reach.Policy, d reach.Dir) bool {
	return selectsEverything(pol.PodSelector) && pol.Isolates[d] && len(pol.Rules[d]) == 0
}

// allowsAll: a rule with no peers and no ports, in an enforced direction.
func allowsAll(pol *reach.Policy, d reach.Dir) (int, bool) {
	for _, r := range pol.Rules[d] {
		if len(r.Peers) == 0 && len(r.Ports) == 0 {
			return r.Index, true
		}
	}
	return 0, false
}

func allowAllCancelsDeny(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		for _, d := range []reach.Dir{reach.Ingress, reach.Egress} {
			dir := d.String()
			var deny *reach.Policy
			for _, pol := range in.facts.policiesByNS[ns] {
				if isDenyAll(pol, d) {
					deny = pol
					break
				}
			}
			if deny == nil {
				continue
			}
			for _, pol := range in.facts.policiesByNS[ns] {
				idx, ok := allowsAll(pol, d)
				pods := in.facts.selected[pol.Ref]
				if !ok || len(pods) == 0 {
					continue
				}
				out = append(out, Finding{
					Severity: High,
					Message: fmt.Sprintf("%s %s rule %d allows all %s for %s that %s means to deny: the deny no longer denies for them",
						pol.Ref, dir, idx+1, dir, plural(len(pods), "pod", "pods")+" ("+podNames(pods, 3)+")", deny.Ref),
					Objects: []Object{objectOfPolicy(pol.Ref, fmt.Sprintf("spec.%s[%d]", dir, idx)), objectOfPolicy(deny.Ref, "")},
					Fix:     "replace the allow-all rule with the peers and ports the pods need",
					Change:  ChangeRestoreDeny,
				})
			}
		}
	}
	return out
}

// onlyDNSPorts: every entry is port 53 over UDP or TCP.
func onlyDNSPorts(ports []reach.Port) bool {
	if len(ports) == 0 {
		return false
	}
	for _, p := range ports {
		if p.Name != "" || p.Range != (reach.PortRange{From: 53, To: 53}) || p.Protocol == reach.SCTP {
			return false
		}
	}
	return true
}
