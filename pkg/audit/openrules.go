package audit

import (
	"fmt"
	"net/netip"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA010", Name: "rule-open-to-world", Severity: High,
	Summary: "A rule allows traffic from or to 0.0.0.0/0, ::/0 or another very wide ipBlock.",
	Run:     wideIPBlocks,
})

var _ = register(Check{
	ID: "NA011", Name: "rule-any-peer", Severity: High,
	Summary: "A rule has no from/to peers: it allows every source or destination, in and outside the cluster.",
	Run:     anyPeerRules,
})

var _ = register(Check{
	ID: "NA012", Name: "rule-all-namespaces", Severity: Medium,
	Summary: "A peer has namespaceSelector: {}: it matches pods in every namespace, including ones created later.",
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

// activeRules yields the rules of policies that select pods, in directions
// the policy's effective types enforce (rules of other directions are ignored
// by the API).
func activeRules(in *Input, fn func(np *networkingv1.NetworkPolicy, r ruleView, exposed string)) {
	for i := range in.Snap.Policies {
		np := &in.Snap.Policies[i]
		pods := in.facts.selected[refOf(np)]
		if len(pods) == 0 {
			continue // NA030 reports it; a rule of an unused policy exposes nothing
		}
		ing, eg := reach.EffectiveTypes(np)
		for _, r := range rulesOf(np) {
			if (r.dir == "ingress" && !ing) || (r.dir == "egress" && !eg) {
				continue
			}
			fn(np, r, plural(len(pods), "pod", "pods")+" ("+podNames(pods, 3)+")")
		}
	}
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
	activeRules(in, func(np *networkingv1.NetworkPolicy, r ruleView, exposed string) {
		if len(r.peers) > 0 || (r.dir == "egress" && onlyDNSPorts(r.ports)) {
			return // egress to any resolver on 53 is the standard DNS allowance
		}
		var msg string
		if r.dir == "ingress" {
			msg = fmt.Sprintf("%s/%s %s has no from peers: it admits every pod and every address outside the cluster to %s on %s",
				np.Namespace, np.Name, r.label(), exposed, portsText(r.ports))
		} else {
			msg = fmt.Sprintf("%s/%s %s has no to peers: it lets %s send to every pod and every address outside the cluster on %s",
				np.Namespace, np.Name, r.label(), exposed, portsText(r.ports))
		}
		out = append(out, Finding{
			Severity: openSeverity(r.dir, len(r.ports) == 0),
			Message:  msg,
			Objects:  []Object{objectOfPolicy(np, r.field())},
			Fix:      "list the peers that need this traffic (podSelector, namespaceSelector or ipBlock)",
			Change:   ChangeTighten,
		})
	})
	return out
}

func wideIPBlocks(in *Input) []Finding {
	var out []Finding
	activeRules(in, func(np *networkingv1.NetworkPolicy, r ruleView, exposed string) {
		for i, p := range r.peers {
			if p.IPBlock == nil {
				continue
			}
			prefix, err := netip.ParsePrefix(p.IPBlock.CIDR)
			if err != nil {
				continue // the engine rejects it before the audit runs
			}
			limit := in.Config.WideIPv4Prefix
			if prefix.Addr().Is6() && !prefix.Addr().Is4In6() {
				limit = in.Config.WideIPv6Prefix
			}
			if prefix.Bits() > limit {
				continue
			}
			world := "the whole internet"
			if prefix.Bits() > 0 {
				world = fmt.Sprintf("%s (a /%d, wider than /%d)", prefix.Masked(), prefix.Bits(), limit)
			}
			except := ""
			if len(p.IPBlock.Except) > 0 {
				except = fmt.Sprintf(" except %d ranges", len(p.IPBlock.Except))
			}
			verb, prep := direction(r)
			subject := exposed
			msg := fmt.Sprintf("%s/%s %s %s %s%s to %s on %s", np.Namespace, np.Name, r.label(), verb, world, except, subject, portsText(r.ports))
			if r.dir == "egress" {
				msg = fmt.Sprintf("%s/%s %s %s %s send %s %s%s on %s", np.Namespace, np.Name, r.label(), verb, subject, prep, world, except, portsText(r.ports))
			}
			out = append(out, Finding{
				Severity: openSeverity(r.dir, len(r.ports) == 0),
				Message:  msg,
				Objects:  []Object{objectOfPolicy(np, r.peerField(i)+".ipBlock")},
				Fix:      "narrow the ipBlock to the addresses that need this traffic",
				Change:   ChangeTighten,
			})
		}
	})
	return out
}

func allNamespacesPeers(in *Input) []Finding {
	var out []Finding
	activeRules(in, func(np *networkingv1.NetworkPolicy, r ruleView, exposed string) {
		for i, p := range r.peers {
			ns := p.NamespaceSelector
			if ns == nil || len(ns.MatchLabels) > 0 || len(ns.MatchExpressions) > 0 {
				continue
			}
			which := "every pod in every namespace"
			if p.PodSelector != nil && (len(p.PodSelector.MatchLabels) > 0 || len(p.PodSelector.MatchExpressions) > 0) {
				which = "pods matching " + selectorText(p.PodSelector) + " in every namespace"
			}
			msg := fmt.Sprintf("%s/%s %s admits %s to %s on %s", np.Namespace, np.Name, r.label(), which, exposed, portsText(r.ports))
			if r.dir == "egress" {
				msg = fmt.Sprintf("%s/%s %s lets %s send to %s on %s", np.Namespace, np.Name, r.label(), exposed, which, portsText(r.ports))
			}
			sev := Medium
			if r.dir == "egress" {
				sev = Low
			}
			out = append(out, Finding{
				Severity: sev,
				Message:  msg,
				Objects:  []Object{objectOfPolicy(np, r.peerField(i)+".namespaceSelector")},
				Fix:      "select the namespaces that need this traffic by label (e.g. kubernetes.io/metadata.name)",
				Change:   ChangeTighten,
			})
		}
	})
	return out
}

func allPortsRules(in *Input) []Finding {
	var out []Finding
	activeRules(in, func(np *networkingv1.NetworkPolicy, r ruleView, exposed string) {
		if len(r.peers) == 0 || len(r.ports) > 0 {
			return // no peers at all is NA011's
		}
		msg := fmt.Sprintf("%s/%s %s allows every port and protocol to %s from its peers", np.Namespace, np.Name, r.label(), exposed)
		if r.dir == "egress" {
			msg = fmt.Sprintf("%s/%s %s lets %s use every port and protocol toward its peers", np.Namespace, np.Name, r.label(), exposed)
		}
		out = append(out, Finding{
			Severity: Low,
			Message:  msg,
			Objects:  []Object{objectOfPolicy(np, r.field())},
			Fix:      "list the ports the peers need",
			Change:   ChangeTighten,
		})
	})
	return out
}

// isDenyAll: podSelector {} with the direction enforced and no rules in it.
func isDenyAll(np *networkingv1.NetworkPolicy, dir string) bool {
	sel := np.Spec.PodSelector
	if len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0 {
		return false
	}
	ing, eg := reach.EffectiveTypes(np)
	if dir == "ingress" {
		return ing && len(np.Spec.Ingress) == 0
	}
	return eg && len(np.Spec.Egress) == 0
}

// allowsAll: a rule with no peers and no ports, in an enforced direction.
func allowsAll(np *networkingv1.NetworkPolicy, dir string) (int, bool) {
	ing, eg := reach.EffectiveTypes(np)
	for _, r := range rulesOf(np) {
		if r.dir == dir && ((dir == "ingress" && ing) || (dir == "egress" && eg)) && len(r.peers) == 0 && len(r.ports) == 0 {
			return r.index, true
		}
	}
	return 0, false
}

func allowAllCancelsDeny(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		for _, dir := range []string{"ingress", "egress"} {
			var deny *networkingv1.NetworkPolicy
			for _, np := range in.facts.policiesByNS[ns] {
				if isDenyAll(np, dir) {
					deny = np
					break
				}
			}
			if deny == nil {
				continue
			}
			for _, np := range in.facts.policiesByNS[ns] {
				idx, ok := allowsAll(np, dir)
				pods := in.facts.selected[refOf(np)]
				if !ok || len(pods) == 0 {
					continue
				}
				out = append(out, Finding{
					Severity: High,
					Message: fmt.Sprintf("%s/%s %s rule %d allows all %s for %s that %s/%s means to deny: the deny no longer denies for them",
						np.Namespace, np.Name, dir, idx+1, dir, plural(len(pods), "pod", "pods")+" ("+podNames(pods, 3)+")", deny.Namespace, deny.Name),
					Objects: []Object{objectOfPolicy(np, fmt.Sprintf("spec.%s[%d]", dir, idx)), objectOfPolicy(deny, "")},
					Fix:     "replace the allow-all rule with the peers and ports the pods need",
					Change:  ChangeRestoreDeny,
				})
			}
		}
	}
	return out
}

// onlyDNSPorts: every entry is port 53 over UDP or TCP.
func onlyDNSPorts(ports []networkingv1.NetworkPolicyPort) bool {
	if len(ports) == 0 {
		return false
	}
	for _, p := range ports {
		if p.Port == nil || p.Port.IntVal != 53 || p.EndPort != nil || (p.Protocol != nil && *p.Protocol == "SCTP") {
			return false
		}
	}
	return true
}
