package reach

import (
	"strconv"
	"strings"
)

// The tiered combine. Per direction (SEMANTICS.md, "Tiers"):
//
//  1. the Admin tier, policies by ascending priority, rules in order: the
//     first rule that matches decides. Allow: allowed, lower tiers are not
//     consulted for this direction. Deny: denied. Pass: the rest of the
//     Admin tier is skipped.
//  2. NetworkPolicy, if the pod is isolated in this direction: its union
//     decides, finally.
//  3. the Baseline tier, as the Admin tier; Pass falls through.
//  4. nothing decided: allowed.
//
// Policies of one tier with equal priority may be applied in any order
// ("the implementation can apply any of the matching policies"). A peer
// outside the model (domainNames, nodes without Node objects) may or may
// not match. The walk never picks one of such outcomes: it follows every
// one of them and reports the set of outcomes it reached.

// match is a three-valued answer: does a rule apply?
type match uint8

const (
	matchNo match = iota
	matchYes
	matchMaybe
)

// outcomes is a set of verdicts one direction can reach.
type outcomes uint8

const (
	canAllow outcomes = 1 << iota
	canDeny
)

// TierStep is one step of the chain that decided a direction.
type TierStep struct {
	Tier Tier `json:"tier"`
	// Policy and Rule name the rule that matched ("spec.egress[1]"); they are
	// empty for a step that matched no rule of its tier.
	Policy   *PolicyRef `json:"policy,omitempty"`
	Priority *int32     `json:"priority,omitempty"`
	Rule     string     `json:"rule,omitempty"`
	Action   Action     `json:"action,omitempty"`
	Peer     string     `json:"peer,omitempty"`
	Port     string     `json:"port,omitempty"`
	// Result says what the step did: "allowed", "denied", "pass",
	// "no match", "isolates", "not isolated", "undefined: ...".
	Result string `json:"result"`
}

// String renders a step the way explain prints it.
func (s TierStep) String() string {
	var b strings.Builder
	b.Grow(64 + len(s.Rule) + len(s.Result))
	b.WriteString(s.Tier.String())
	b.WriteString(" tier: ")
	if s.Policy != nil {
		b.WriteString(s.Policy.String())
		if s.Priority != nil {
			b.WriteString(" priority ")
			b.WriteString(strconv.Itoa(int(*s.Priority)))
		}
		if s.Rule != "" {
			b.WriteString(" ")
			b.WriteString(s.Rule)
		}
		if s.Action != "" {
			b.WriteString(" ")
			b.WriteString(string(s.Action))
		}
		b.WriteString(": ")
	}
	b.WriteString(s.Result)
	return b.String()
}

// tierGroups holds a subject's cluster-wide policies for one direction:
// per tier (0 Admin, 1 Baseline), groups of equal priority in order.
type tierGroups [2][][]int

func (m *Model) tierGroupsOf(pols []int, d Dir) tierGroups {
	var g tierGroups
	for _, pi := range pols { // m.tiered order: tier, priority, ref
		pol := &m.policies[pi]
		if len(pol.rules[d]) == 0 {
			continue
		}
		t := 0
		if pol.tier == TierBaseline {
			t = 1
		}
		n := len(g[t])
		if n > 0 && m.policies[g[t][n-1][0]].priority == pol.priority {
			g[t][n-1] = append(g[t][n-1], pi)
		} else {
			g[t] = append(g[t], []int{pi})
		}
	}
	return g
}

func (g tierGroups) empty() bool { return len(g[0]) == 0 && len(g[1]) == 0 }

// tierWalk decides one direction for one probe.
type tierWalk struct {
	m      *Model
	dir    Dir
	groups tierGroups
	// ruleMatch says whether a rule applies to the probe (peer and port);
	// when it is nil, probe does, and the walk keeps its trace.
	ruleMatch func(pol *policy, r *rule) match
	probe     tierProbe
	// npIsolated and npAllows give the NetworkPolicy tier's answer.
	npIsolated bool
	npAllows   bool
	// npMaybe: the NetworkPolicy tier may allow or deny (a rule matches a
	// pod without an IP only maybe).
	npMaybe bool
	// trace is the chain so far (with a probe): room for the usual few
	// steps in the walk itself, more in extra.
	trace [4]TierStep
	steps int
	extra []TierStep
}

// tierProbe is Verdict's probe: the far end, the end whose named ports
// count, and the port.
type tierProbe struct {
	other, dst party
	port       int32
	proto      Protocol
}

func (w *tierWalk) match(pol *policy, r *rule) match {
	if w.ruleMatch != nil {
		return w.ruleMatch(pol, r)
	}
	p := &w.probe
	if _, ok := r.matchingPorts(p.dst, p.port, p.proto); !ok {
		return matchNo
	}
	return w.m.ruleMatchParty(pol, r, p.other)
}

func (w *tierWalk) tracing() bool { return w.ruleMatch == nil }

func (w *tierWalk) step(s TierStep) {
	if !w.tracing() {
		return
	}
	if w.steps < len(w.trace) {
		w.trace[w.steps] = s
	} else {
		w.extra = append(w.extra, s)
	}
	w.steps++
}

// chain returns the trace as a slice of its own.
func (w *tierWalk) chain() []TierStep {
	out := make([]TierStep, w.steps)
	copy(out, w.trace[:min(w.steps, len(w.trace))])
	copy(out[min(w.steps, len(w.trace)):], w.extra)
	return out
}

func (w *tierWalk) ruleStep(pol *policy, r *rule, result string) TierStep {
	ref := pol.ref
	prio := pol.priority
	s := TierStep{Tier: pol.tier, Policy: &ref, Rule: r.field, Action: r.action, Result: result}
	if pol.ref.Kind != KindBaselineAdminNetworkPolicy {
		s.Priority = &prio
	}
	if w.tracing() {
		p := &w.probe
		s.Peer, _ = w.m.matchingPeers(pol, r, p.other)
		s.Port, _ = r.matchingPorts(p.dst, p.port, p.proto)
	}
	return s
}

// run returns the outcomes of the whole chain.
func (w *tierWalk) run() outcomes { return w.tier(0, 0) }

// tier evaluates from group g of stage t: 0 Admin, 1 NetworkPolicy,
// 2 Baseline, 3 the end.
func (w *tierWalk) tier(t, g int) outcomes {
	switch t {
	case 1:
		if w.npIsolated {
			if w.npAllows {
				w.step(TierStep{Tier: TierNetworkPolicy, Result: "isolated; allowed by a NetworkPolicy rule"})
				return canAllow
			}
			if w.npMaybe {
				w.step(TierStep{Tier: TierNetworkPolicy, Result: "isolated; a NetworkPolicy rule may allow it: depends on a pod's IP"})
				return canAllow | canDeny
			}
			w.step(TierStep{Tier: TierNetworkPolicy, Result: "isolated; no NetworkPolicy rule allows it: denied"})
			return canDeny
		}
		if len(w.groups[1]) > 0 {
			w.step(TierStep{Tier: TierNetworkPolicy, Result: "not isolated: passes to the Baseline tier"})
		}
		return w.tier(2, 0)
	case 3:
		w.step(TierStep{Tier: TierBaseline, Result: "no rule decided: allowed"})
		return canAllow
	}
	groups := w.groups[t/2]
	for ; g < len(groups); g++ {
		effects, rules := w.group(groups[g])
		if effects == 0 {
			continue
		}
		if effects == effContinue {
			continue
		}
		if effectCount(effects) > 1 {
			// Equal priorities disagree, or a peer outside the model may
			// match: follow every outcome.
			var names []string
			for _, pr := range rules {
				names = append(names, pr.pol.ref.String()+" "+pr.r.field+" "+string(pr.r.action))
			}
			w.step(TierStep{Tier: w.tierOf(t), Result: "undefined: any of " + strings.Join(names, ", ") + " may decide"})
			var out outcomes
			for _, e := range []effect{effAllow, effDeny, effPass, effContinue} {
				if effects&e == 0 {
					continue
				}
				out |= w.apply(t, g, e, nil)
			}
			return out
		}
		return w.apply(t, g, effects, rules)
	}
	return w.tier(t+1, 0)
}

func (w *tierWalk) tierOf(t int) Tier {
	if t == 0 {
		return TierAdmin
	}
	return TierBaseline
}

func effectCount(e effect) int {
	n := 0
	for ; e != 0; e &= e - 1 {
		n++
	}
	return n
}

// apply follows one effect of group g of stage t.
func (w *tierWalk) apply(t, g int, e effect, rules []polRule) outcomes {
	var decisive *polRule
	for i := range rules {
		if rules[i].eff == e {
			decisive = &rules[i]
			break
		}
	}
	if decisive != nil && w.tracing() {
		result := "pass to the next tier"
		switch e {
		case effAllow:
			result = "allowed"
		case effDeny:
			result = "denied"
		}
		w.step(w.ruleStep(decisive.pol, decisive.r, result))
	}
	switch e {
	case effAllow:
		return canAllow
	case effDeny:
		return canDeny
	case effPass:
		return w.tier(t+1, 0)
	}
	return w.tier(t, g+1)
}

// effect is what a group of equal-priority policies can do with a probe.
type effect uint8

const (
	effAllow effect = 1 << iota
	effDeny
	effPass
	effContinue
)

type polRule struct {
	pol *policy
	r   *rule
	eff effect
}

func actionEffect(a Action) effect {
	switch a {
	case ActionAllow:
		return effAllow
	case ActionDeny:
		return effDeny
	}
	return effPass
}

// group returns the effects a group of equal-priority policies can have on
// the probe: any policy that can match may be the one applied, so each of
// their possible actions is possible; the group lets the probe through
// only if every policy can let it through. rules lists the rules that can
// decide.
func (w *tierWalk) group(pols []int) (effect, []polRule) {
	var effects effect
	all := true
	var rules []polRule
	for _, pi := range pols {
		pol := &w.m.policies[pi]
		through := true
		rs := pol.rules[w.dir]
		for ri := range rs {
			r := &rs[ri]
			mk := w.match(pol, r)
			if mk == matchNo {
				continue
			}
			e := actionEffect(r.action)
			effects |= e
			rules = append(rules, polRule{pol, r, e})
			if mk == matchYes {
				through = false
				break
			}
		}
		if !through {
			all = false
		}
	}
	if len(rules) == 0 {
		return 0, nil
	}
	if all {
		effects |= effContinue
	}
	return effects, rules
}

// tierDirection evaluates one side when cluster-wide policies select the
// subject. np is the NetworkPolicy tier's own answer.
func (m *Model) tierDirection(d Dir, groups tierGroups, other, dst party, port int32, proto Protocol, np Direction) Direction {
	out := np
	w := tierWalk{m: m, groups: groups, dir: d, npIsolated: np.Isolated, npAllows: np.Allowed, npMaybe: np.Undefined,
		probe: tierProbe{other: other, dst: dst, port: port, proto: proto}}
	res := w.run()
	steps := w.chain()
	out.Tiers = steps
	switch res {
	case canAllow:
		out.Allowed, out.Undefined = true, false
	case canDeny:
		out.Allowed, out.Undefined = false, false
	default:
		out.Allowed, out.Undefined = false, true
	}
	// NetworkPolicy's rules count only if the walk reached its tier.
	reachedNP := false
	for _, s := range steps {
		if s.Tier == TierNetworkPolicy {
			reachedNP = true
		}
	}
	if !reachedNP {
		out.AllowedBy = nil
	}
	out.Reason = tierReason(steps, res)
	return out
}

func tierReason(steps []TierStep, res outcomes) string {
	if res == canAllow|canDeny {
		return ReasonUndefined
	}
	if len(steps) == 0 {
		return ReasonAllowed
	}
	last := steps[len(steps)-1]
	return last.String()
}

// ruleMatchParty says whether one of the rule's peers matches the far end.
func (m *Model) ruleMatchParty(pol *policy, r *rule, other party) match {
	if len(r.peers) == 0 {
		return matchYes
	}
	best := matchNo
	for i := range r.peers {
		switch m.peerMatch(pol, &r.peers[i], other) {
		case matchYes:
			return matchYes
		case matchMaybe:
			best = matchMaybe
		}
	}
	return best
}

// tierSubjects returns the cluster-wide policies selecting the pod, in
// m.tiered order.
func (m *Model) tierSubjects(p *podInfo) []int {
	var out []int
	for _, pi := range m.tiered {
		if m.selects(&m.policies[pi], p) {
			out = append(out, pi)
		}
	}
	return out
}

// tierSubjectsByNamespace is tierSubjects for many pods: the namespace
// half of each policy's subject is matched once per namespace.
func (m *Model) tierSubjectsByNamespace() func(p *podInfo) []int {
	byNS := map[string][]int{}
	return func(p *podInfo) []int {
		if len(m.tiered) == 0 || p.hostNetwork {
			return nil
		}
		cands, ok := byNS[p.ns]
		if !ok {
			set := m.namespaceLabels(p.ns)
			for _, pi := range m.tiered {
				if sel := m.policies[pi].nsSel; sel == nil || sel.Matches(set) {
					cands = append(cands, pi)
				}
			}
			byNS[p.ns] = cands
		}
		var out []int
		for _, pi := range cands {
			if m.selects(&m.policies[pi], p) {
				out = append(out, pi)
			}
		}
		return out
	}
}
