package reach

import "slices"

// EarlierRule is a rule of a policy that decides probes before another
// rule is reached.
type EarlierRule struct {
	Policy PolicyRef
	Rule   Rule
}

// TierRuleShadowed says whether an Admin or Baseline rule is shadowed: it
// matches some probe (a pod its policy selects, a far end its peers
// match, a port of its ports), yet every such probe is decided before the
// walk reaches it, by the rules before it in its policy or by a rule of a
// policy of its tier with a lower priority number that selects the same
// pod (Accept, Deny and Pass all decide). Only rules that certainly match
// count as deciding: a peer outside the model may match or not, and
// policies of equal priority may be applied in any order, so neither
// shadows. Higher tiers are left aside: a Baseline rule that the Admin
// tier or NetworkPolicies always pre-empt is not reported here.
//
// by lists the earlier rules that decide some of its probes, in walk
// order. A rule that matches no probe at all, a NetworkPolicy rule and a
// rule the model does not hold are not shadowed.
func (q *Query) TierRuleShadowed(ref PolicyRef, d Dir, index int) (by []EarlierRule, shadowed bool) {
	pi, r, active := q.findRule(ref, d, index)
	if r == nil || !active || q.m.policies[pi].ref.Kind == KindNetworkPolicy {
		return nil, false
	}
	m, ci := q.m, q.ci
	pol := &m.policies[pi]
	type earlierRule struct {
		pi int
		r  *rule
	}
	used := map[*rule]bool{}
	var usedOrder []earlierRule
	reached := false
	var earlier []earlierRule
	// decided reports whether the earlier rules decide every probe of r
	// toward one far end; match gives what a rule does with that end.
	decided := func(match func(*rule) match, named int) bool {
		if match(r) == matchNo {
			return true
		}
		ports := ci.rulePortSet(m, r, named)
		if ports.IsEmpty() {
			return true
		}
		reached = true
		var covered PortSet
		for _, e := range earlier {
			if match(e.r) != matchYes {
				continue
			}
			ep := ci.rulePortSet(m, e.r, named)
			if ep.Intersect(ports).IsEmpty() {
				continue
			}
			covered = covered.Union(ep)
			if !used[e.r] {
				used[e.r] = true
				usedOrder = append(usedOrder, e)
			}
		}
		return ports.Subtract(covered).IsEmpty()
	}
	for s := range ci.classes {
		subj := &ci.classes[s]
		selected := false
		earlier = earlier[:0]
		for _, qi := range subj.tiers { // walk order: tier, priority, ref
			other := &m.policies[qi]
			if qi == pi {
				selected = true
			} else if other.tier == pol.tier && other.priority < pol.priority {
				for k := range other.rules[d] {
					earlier = append(earlier, earlierRule{qi, &other.rules[d][k]})
				}
			}
		}
		if !selected {
			continue
		}
		for k := range pol.rules[d] {
			if &pol.rules[d][k] == r {
				break
			}
			earlier = append(earlier, earlierRule{pi, &pol.rules[d][k]})
		}
		for f := range ci.classes {
			far := &ci.classes[f]
			if f == s && far.pods == 1 {
				continue // the one probe is a pod and itself, always allowed
			}
			named := subj.named
			if d == egress {
				named = far.named
			}
			if !decided(func(x *rule) match { return classMatch(x, far) }, named) {
				return nil, false
			}
		}
		named := subj.named
		if d == egress {
			named = -1 // names resolve to nothing on an address
		}
		for _, in := range ci.addrs.blocks {
			if !decided(func(x *rule) match { return addrMatch(x, in) }, named) {
				return nil, false
			}
		}
	}
	if !reached {
		return nil, false
	}
	// Walk order: the tiered order of policies, spec order within one.
	order := map[int]int{}
	for i, qi := range m.tiered {
		order[qi] = i
	}
	slices.SortFunc(usedOrder, func(a, b earlierRule) int {
		if order[a.pi] != order[b.pi] {
			return order[a.pi] - order[b.pi]
		}
		return a.r.index - b.r.index
	})
	for _, e := range usedOrder {
		by = append(by, EarlierRule{Policy: m.policies[e.pi].ref, Rule: e.r.view(m, d)})
	}
	return by, true
}

// rulePortSet is a rule's ports with named ports resolved by a vector of
// classIndex.named (-1: resolved on an address, so not at all).
func (ci *classIndex) rulePortSet(m *Model, r *rule, named int) PortSet {
	if len(r.ports) == 0 {
		return allPorts
	}
	set := r.static
	if named >= 0 && len(r.named) > 0 {
		numbers := ci.named[named]
		for _, pm := range r.named {
			if n := numbers[m.namedIndex[namedRef{pm.name, pm.proto}]]; n != 0 {
				set = set.Union(PortsOf(pm.proto, PortRange{n, n}))
			}
		}
	}
	return set
}
