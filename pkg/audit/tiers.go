package audit

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Checks of the cluster-wide tiers (ClusterNetworkPolicy, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy), on the compiled model and the engine.

var _ = register(Check{
	ID: "NA080", Name: "tier-priority-conflict", Severity: High,
	Summary: "Two Admin or Baseline policies with the same priority have overlapping rules with different actions: the API leaves the outcome to the implementation.",
	Run:     tierPriorityConflicts,
})

var _ = register(Check{
	ID: "NA081", Name: "admin-overrides-namespace", Severity: Medium,
	Summary: "An Admin tier Accept rule allows traffic that the NetworkPolicies of the pods' namespace deny.",
	Run:     adminOverridesNamespace,
})

var _ = register(Check{
	ID: "NA082", Name: "tier-rule-shadowed", Severity: Low,
	Summary: "An Admin or Baseline rule never decides anything: earlier rules of its policy, or of policies of its tier with a lower priority number, decide all it matches.",
	Run:     shadowedTierRules,
})

var _ = register(Check{
	ID: "NA083", Name: "tier-rule-open-to-world", Severity: High,
	Summary: "An Admin or Baseline Accept or Pass rule applies to 0.0.0.0/0, ::/0 or another very wide networks peer.",
	Run:     wideTierRules,
})

var _ = register(Check{
	ID: "NA084", Name: "peer-outside-model", Severity: Medium,
	Summary: "A peer cannot be judged from the cluster's objects (domainNames; nodes without Node objects): verdicts involving it are reported as undefined.",
	Run:     peersOutsideModel,
})

// tierRules yields the rules of the cluster-wide policies.
func tierRules(in *Input, fn func(pol *reach.Policy, r ruleView)) {
	for _, pol := range in.facts.policies {
		if !pol.ClusterScoped() {
			continue
		}
		for _, r := range rulesOf(pol, false) {
			fn(pol, r)
		}
	}
}

func tierPolicyText(pol *reach.Policy) string {
	return fmt.Sprintf("%s (%s tier, priority %d)", pol.Ref, pol.Tier, pol.Priority)
}

func wideTierRules(in *Input) []Finding {
	var out []Finding
	tierRules(in, func(pol *reach.Policy, r ruleView) {
		if r.Action == reach.ActionDeny {
			return
		}
		for _, p := range r.Peers {
			if p.Kind != reach.PeerAddresses {
				continue
			}
			limit := wideLimit(in, p.CIDR)
			if p.CIDR.Bits() > limit {
				continue
			}
			prep := "from"
			if r.dir == "egress" {
				prep = "to"
			}
			sev := openSeverity(r.dir, len(r.Ports) == 0)
			out = append(out, Finding{
				Severity: sev,
				Message: fmt.Sprintf("%s %s %s %s traffic %s %s on %s, for every pod it selects",
					tierPolicyText(pol), r.label(), actionVerb(r.Action), r.dir, prep, worldText(p.CIDR, limit), portsText(r.Ports)),
				Objects: []Object{objectOfPolicy(pol.Ref, p.Field)},
				Fix:     "narrow the networks peer to the addresses that need this traffic",
				Change:  ChangeTighten,
			})
		}
	})
	return out
}

func actionVerb(a reach.Action) string {
	if a == reach.ActionPass {
		return "passes"
	}
	return "accepts"
}

func peersOutsideModel(in *Input) []Finding {
	var out []Finding
	tierRules(in, func(pol *reach.Policy, r ruleView) {
		for _, p := range r.Peers {
			if p.Outside == "" {
				continue
			}
			out = append(out, Finding{
				Severity: Medium,
				Message: fmt.Sprintf("%s %s peer %s cannot be judged from the cluster's objects: %s; verdicts it may decide are undefined",
					pol.Ref, r.label(), p.Text, p.Outside),
				Objects: []Object{objectOfPolicy(pol.Ref, p.Field)},
				Fix:     "check what this peer matches with the network plugin; for nodes peers, audit with Node objects (live, or nodes in the manifests)",
				Change:  ChangeReview,
			})
		}
	})
	return out
}

// peerSet is what a rule's peers match: pods by "ns/name" and address
// blocks; any is set for a rule without peers.
type peerSet struct {
	any     bool
	pods    map[string]bool
	blocks  []reach.Peer
	outside bool
}

func rulePeers(in *Input, pol *reach.Policy, r ruleView) peerSet {
	s := peerSet{any: len(r.Peers) == 0, pods: map[string]bool{}}
	for i, p := range r.Peers {
		switch {
		case p.Outside != "":
			s.outside = true
		case p.Kind == reach.PeerAddresses:
			s.blocks = append(s.blocks, p)
		}
		if p.Kind == reach.PeerAddresses && !p.SeesPods && !in.Model.Options().IPBlockMatchesPods {
			continue
		}
		for _, pod := range in.facts.query.PeerPods(pol.Ref, r.Dir, r.Index, i) {
			s.pods[podKey(pod)] = true
		}
	}
	return s
}

// blockWithin: every address of b is in some block of of, leaving aside
// excepts of b (which only shrink it) and requiring none in the cover.
func blockWithin(b reach.Peer, of []reach.Peer) bool {
	for _, o := range of {
		if len(o.Except) == 0 && o.CIDR.Bits() <= b.CIDR.Bits() && o.CIDR.Contains(b.CIDR.Addr()) {
			return true
		}
	}
	return false
}

// covers: everything peers a matches, peers of b match too.
func (b peerSet) covers(a peerSet) bool {
	if b.any {
		return true
	}
	if a.any || a.outside {
		return false
	}
	for k := range a.pods {
		if !b.pods[k] {
			return false
		}
	}
	for _, blk := range a.blocks {
		if !blockWithin(blk, b.blocks) {
			return false
		}
	}
	return true
}

// overlaps: some pod or address both match (conservatively true for
// peers outside the model).
func (b peerSet) overlaps(a peerSet) bool {
	if a.any || b.any || a.outside || b.outside {
		return true
	}
	for k := range a.pods {
		if b.pods[k] {
			return true
		}
	}
	for _, x := range a.blocks {
		for _, y := range b.blocks {
			if x.CIDR.Overlaps(y.CIDR) {
				return true
			}
		}
	}
	return false
}

// portsCover: every port of a is a port of b (named ports only by the same
// name, or all ports).
func portsCover(b, a []reach.Port) bool {
	if len(b) == 0 {
		return true
	}
	if len(a) == 0 {
		return false
	}
	for _, pa := range a {
		ok := false
		for _, pb := range b {
			if pb.Protocol != pa.Protocol {
				continue
			}
			if pb.Name == "" && pa.Name == "" && pb.Range.From <= pa.Range.From && pa.Range.To <= pb.Range.To ||
				pb.Name != "" && pb.Name == pa.Name ||
				pb.Name == "" && pb.Range == (reach.PortRange{From: reach.MinPort, To: reach.MaxPort}) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// portsOverlap: some port may be in both (named ports conservatively
// overlap anything of their protocol).
func portsOverlap(a, b []reach.Port) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, pa := range a {
		for _, pb := range b {
			if pa.Protocol != pb.Protocol {
				continue
			}
			if pa.Name != "" || pb.Name != "" || pa.Range.From <= pb.Range.To && pb.Range.From <= pa.Range.To {
				return true
			}
		}
	}
	return false
}

// shadowedTierRules reports rules that never decide anything: every probe
// they match (subject pod, peer, port) is decided before the walk reaches
// them, by earlier rules of their policy or by rules of policies of their
// tier with a lower priority number. The engine answers on its equivalence
// classes; rules that may match (peers outside the model, equal
// priorities) never shadow, so no rule that can apply is reported.
func shadowedTierRules(in *Input) []Finding {
	var out []Finding
	for _, pol := range in.facts.policies {
		if !pol.ClusterScoped() {
			continue
		}
		for _, d := range []reach.Dir{reach.Ingress, reach.Egress} {
			for i := range pol.Rules[d] {
				r := ruleView{Rule: &pol.Rules[d][i], dir: d.String()}
				by, shadowed := in.facts.query.TierRuleShadowed(pol.Ref, d, r.Index)
				if !shadowed {
					continue
				}
				objects := []Object{objectOfPolicy(pol.Ref, r.Field)}
				var names []string
				for _, e := range by {
					ev := ruleView{Rule: &e.Rule, dir: d.String()}
					name := ev.label()
					if e.Policy != pol.Ref {
						name = e.Policy.String() + " " + name
					}
					names = append(names, fmt.Sprintf("%s (%s)", name, e.Rule.Action))
					objects = append(objects, objectOfPolicy(e.Policy, e.Rule.Field))
				}
				verb := "comes first and decides"
				if len(by) > 1 {
					verb = "come first and decide"
				}
				out = append(out, Finding{
					Severity: Low,
					Message: fmt.Sprintf("%s %s (%s) never applies: %s %s everything it matches",
						tierPolicyText(pol), r.label(), r.Action, strings.Join(names, ", "), verb),
					Objects: objects,
					Fix:     "delete the rule, or move it (or its policy, by priority) before the rules that shadow it if it should win",
					Change:  ChangeRemoveRedundant,
				})
			}
		}
	}
	return out
}

// tierPriorityConflicts reports pairs of policies of one tier with equal
// priority that select a common pod and have overlapping rules with
// different actions in one direction.
func tierPriorityConflicts(in *Input) []Finding {
	// Policies of each tier and priority that share a subject pod.
	type key struct {
		tier     reach.Tier
		priority int32
	}
	byRef := map[reach.PolicyRef]*reach.Policy{}
	for _, pol := range in.facts.policies {
		byRef[pol.Ref] = pol
	}
	pairs := map[[2]reach.PolicyRef]bool{}
	var order [][2]reach.PolicyRef
	for _, c := range in.facts.classes {
		groups := map[key][]reach.PolicyRef{}
		for _, ref := range c.Tiers {
			pol := byRef[ref]
			if pol == nil {
				continue
			}
			k := key{pol.Tier, pol.Priority}
			for _, other := range groups[k] {
				pair := [2]reach.PolicyRef{other, ref}
				if !pairs[pair] {
					pairs[pair] = true
					order = append(order, pair)
				}
			}
			groups[k] = append(groups[k], ref)
		}
	}
	var out []Finding
	for _, pair := range order {
		a, b := byRef[pair[0]], byRef[pair[1]]
		found := false
		for _, d := range []reach.Dir{reach.Ingress, reach.Egress} {
			for i := range a.Rules[d] {
				ra := ruleView{Rule: &a.Rules[d][i], dir: d.String()}
				for j := range b.Rules[d] {
					rb := ruleView{Rule: &b.Rules[d][j], dir: d.String()}
					if ra.Action == rb.Action || !portsOverlap(ra.Ports, rb.Ports) ||
						!rulePeers(in, a, ra).overlaps(rulePeers(in, b, rb)) {
						continue
					}
					out = append(out, Finding{
						Severity: High,
						Message: fmt.Sprintf("%s and %s have the same priority (%d) in the %s tier, select common pods, and their %s (%s) and %s (%s) overlap: which one wins is up to the network plugin",
							a.Ref, b.Ref, a.Priority, a.Tier, ra.label(), ra.Action, rb.label(), rb.Action),
						Objects: []Object{objectOfPolicy(a.Ref, ra.Field), objectOfPolicy(b.Ref, rb.Field)},
						Fix:     "give the two policies different priorities (the one that should win gets the lower number)",
						Change:  ChangeReview,
					})
					found = true
					break
				}
				if found {
					break
				}
			}
			if found {
				break
			}
		}
	}
	return out
}

// adminOverridesNamespace reports Admin Accept rules that allow traffic
// the NetworkPolicies isolating the pods would deny. The NetworkPolicy
// tier's answer comes from the engine on the same snapshot without the
// cluster-wide policies, for one pod of each class concerned.
func adminOverridesNamespace(in *Input) []Finding {
	var rules []struct {
		pol *reach.Policy
		r   ruleView
	}
	tierRules(in, func(pol *reach.Policy, r ruleView) {
		if pol.Tier == reach.TierAdmin && r.Action == reach.ActionAllow {
			rules = append(rules, struct {
				pol *reach.Policy
				r   ruleView
			}{pol, r})
		}
	})
	if len(rules) == 0 {
		return nil
	}
	npOnly := *in.Snap
	npOnly.ClusterNetworkPolicies, npOnly.AdminNetworkPolicies, npOnly.BaselineAdminNetworkPolicies = nil, nil, nil
	model, err := reach.Build(&npOnly, in.Model.Options())
	if err != nil {
		return nil // the full model built, so this cannot fail
	}
	var out []Finding
	for _, x := range rules {
		pol, r := x.pol, x.r
		d := r.Dir
		// Subject pods isolated by NetworkPolicy in this direction, one
		// per class.
		var subjects []*corev1.Pod
		for _, c := range in.facts.classes {
			if len(c.IsolatedBy[d]) == 0 || len(c.Pods) == 0 || !selectsClass(pol.Ref, c) {
				continue
			}
			subjects = append(subjects, c.Pods[0])
		}
		if len(subjects) == 0 {
			continue
		}
		// One pod per class the rule's peers match, in snapshot order.
		var peers []*corev1.Pod
		seen := map[int]bool{}
		for i := range r.Peers {
			for _, p := range in.facts.query.PeerPods(pol.Ref, d, r.Index, i) {
				if c := in.facts.query.ClassOf(p.Namespace, p.Name); !seen[c] {
					seen[c] = true
					peers = append(peers, p)
				}
			}
		}
		port, proto := probePort(r.Ports)
		var example string
		var opened int
	search:
		for _, s := range subjects {
			for _, p := range peers {
				if p == s || port == 0 {
					continue
				}
				src, dst := p, s
				if d == reach.Egress {
					src, dst = s, p
				}
				full := in.Model.Verdict(reach.PodEndpoint(src), reach.PodEndpoint(dst), port, proto)
				np := model.Verdict(reach.PodEndpoint(src), reach.PodEndpoint(dst), port, proto)
				side := np.Ingress
				if d == reach.Egress {
					side = np.Egress
				}
				if full.Allowed && !side.Allowed {
					opened++
					example = fmt.Sprintf("%s to %s on %d/%s", podKey(src), podKey(dst), port, proto)
					break search
				}
			}
		}
		if opened == 0 {
			continue
		}
		out = append(out, Finding{
			Severity: Medium,
			Message: fmt.Sprintf("%s %s accepts %s traffic that the NetworkPolicies of the pods' namespace deny (e.g. %s): the Admin tier overrides them",
				tierPolicyText(pol), r.label(), r.dir, example),
			Objects: []Object{objectOfPolicy(pol.Ref, r.Field)},
			Fix:     "narrow the Accept rule, or use Pass to let the namespace's NetworkPolicies decide",
			Change:  ChangeReview,
		})
	}
	return out
}

func selectsClass(ref reach.PolicyRef, c reach.PodClass) bool {
	for _, t := range c.Tiers {
		if t == ref {
			return true
		}
	}
	return false
}

// probePort picks a port a rule's port entries allow (80/TCP for all).
func probePort(ports []reach.Port) (int32, reach.Protocol) {
	if len(ports) == 0 {
		return 80, reach.TCP
	}
	for _, p := range ports {
		if p.Name == "" {
			return p.Range.From, p.Protocol
		}
	}
	return 0, ""
}
