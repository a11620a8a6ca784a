package reach

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// SelectedPods returns the snapshot's pods a policy applies to, sorted by
// name: pods of its namespace matching spec.podSelector, never hostNetwork
// pods. It returns nil for a policy the model does not hold.
//
// For the cluster-wide kinds it returns the pods of every namespace the
// subject selects, sorted by namespace then name.
func (m *Model) SelectedPods(ref PolicyRef) []*corev1.Pod {
	if ref.Kind != KindNetworkPolicy && ref.Kind != "" {
		for _, pi := range m.tiered {
			pol := &m.policies[pi]
			if pol.ref != ref {
				continue
			}
			out := []*corev1.Pod{}
			for i := range m.pods {
				if m.selects(pol, &m.pods[i]) {
					out = append(out, m.pods[i].pod)
				}
			}
			sort.Slice(out, func(i, j int) bool {
				if out[i].Namespace != out[j].Namespace {
					return out[i].Namespace < out[j].Namespace
				}
				return out[i].Name < out[j].Name
			})
			return out
		}
		return nil
	}
	for _, pi := range m.byNamespace[ref.Namespace] {
		pol := &m.policies[pi]
		if pol.ref != ref {
			continue
		}
		var out []*corev1.Pod
		for _, i := range m.podsByNS[ref.Namespace] {
			if m.selects(pol, &m.pods[i]) {
				out = append(out, m.pods[i].pod)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	return nil
}

// RuleRef names one rule of a policy.
type RuleRef struct {
	Policy PolicyRef `json:"policy"`
	// Direction is "ingress" or "egress"; Rule the 0-based index in it.
	Direction string `json:"direction"`
	Rule      int    `json:"rule"`
}

// Redundancy lists what can go without changing anything.
type Redundancy struct {
	// Policies whose removal changes no pod's ingress or egress allowances.
	// Policies that select no pod are left out (they are unused, not
	// redundant).
	Policies []PolicyRef
	// Rules whose removal changes nothing, in policies that stay. A policy
	// reported whole does not have its rules reported too.
	Rules []RuleRef
}

// Redundancy finds redundant policies and rules with the engine, on
// equivalence classes: a policy is redundant when, for every class it
// selects and every direction it isolates, the ports allowed toward every
// class and every address range are the same without it, and so are the
// ports whose verdict is undefined (one that depends on a pod's IP, or
// that cluster-wide policies of equal priority leave open), including
// whether the class stays isolated at all; the tiers selecting the class
// are applied as Verdict applies them. Comparing each side on its own is
// stricter than comparing verdicts: a policy whose effect another
// namespace's policies happen to mask is still reported as needed, so
// nothing reported here can change a verdict when removed. Node-local
// traffic, which no policy changes, is left out.
//
// Removing two redundant policies together can matter (two copies of one
// policy are each redundant); the audit reports exact copies separately.
func (m *Model) Redundancy() Redundancy {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	ci := m.classIndex()
	ev := m.sharedEval(ci)
	// classesOf[d][pi]: the classes policy pi isolates in direction d, ascending.
	var classesOf [2][][]int
	for d := range classesOf {
		classesOf[d] = make([][]int, len(m.policies))
	}
	for c := range ci.classes {
		for d, pols := range ci.classes[c].selectedBy {
			for _, pi := range pols {
				classesOf[d][pi] = append(classesOf[d][pi], c)
			}
		}
	}
	var out Redundancy
	for pi := range m.policies {
		pol := &m.policies[pi]
		if len(classesOf[ingress][pi]) == 0 && len(classesOf[egress][pi]) == 0 {
			continue // selects no pod: unused, not redundant
		}
		whole := true
		for d := range classesOf {
			whole = whole && ev.sameWithout(Dir(d), classesOf[d][pi], pi, -1)
		}
		if whole {
			out.Policies = append(out.Policies, pol.ref)
			continue
		}
		for d := range pol.rules {
			for ri := range pol.rules[d] {
				if ev.sameWithout(Dir(d), classesOf[d][pi], pi, ri) {
					name := "ingress"
					if Dir(d) == egress {
						name = "egress"
					}
					out.Rules = append(out.Rules, RuleRef{Policy: pol.ref, Direction: name, Rule: pol.rules[d][ri].index})
				}
			}
		}
	}
	return out
}

// sameWithout says whether the allowances in direction d of every class in
// classes stay the same without policy skip (or only without its rule
// skipRule, when >= 0): the ports allowed for sure and the ports whose
// verdict is undefined (a verdict that depends on a pod's IP is one), far
// end by far end. Classes sharing an isolation profile share their rows,
// so each profile's rows are computed once.
func (ev *matrixEval) sameWithout(d Dir, classes []int, skip, skipRule int) bool {
	var profiles []int
	byProfile := map[int][]int{}
	for _, c := range classes {
		p := ev.profile[d][c]
		if _, ok := byProfile[p]; !ok {
			profiles = append(profiles, p)
		}
		byProfile[p] = append(byProfile[p], c)
	}
	for _, p := range profiles {
		members := byProfile[p]
		without := ev.rowsWithout(d, members[0], skip, skipRule)
		for _, c := range members {
			if !ev.sameRows(d, c, without) {
				return false
			}
		}
	}
	return true
}

// rowsWithout computes class c's rows in direction d without policy skip
// (or its rule skipRule), cluster-wide tiers included, as the class's
// profile was computed.
func (ev *matrixEval) rowsWithout(d Dir, c, skip, skipRule int) profileRows {
	cl := &ev.ci.classes[c]
	subjectNamed := -1
	if d == ingress {
		subjectNamed = cl.named
	}
	pols, except := cl.selectedBy[d], noRule
	if skipRule >= 0 {
		except = ruleID{skip, skipRule}
	} else {
		var rest []int
		for _, pi := range pols {
			if pi != skip {
				rest = append(rest, pi)
			}
		}
		pols = rest
	}
	if groups := ev.m.tierGroupsOf(cl.tiers, d); !groups.empty() {
		return ev.tierRowsExcept(d, pols, groups, subjectNamed, except)
	}
	if len(pols) == 0 {
		return profileRows{open: true}
	}
	row := ev.classRowExcept(d, pols, subjectNamed, except)
	return profileRows{
		rows:  row,
		ext:   ev.addrRowExcept(d, pols, subjectNamed, except),
		undef: ev.classRowMaybeExcept(d, pols, subjectNamed, row, except),
	}
}

// sameRows says whether class c's rows in direction d equal the given ones
// (or, when open, allow everything).
func (ev *matrixEval) sameRows(d Dir, c int, without profileRows) bool {
	cl := &ev.ci.classes[c]
	p := ev.profile[d][c]
	withRows, withAddrs := ev.rows[d][p], ev.ext[d][p]
	withUndef, withExtUndef := ev.undef[d][p], ev.extUndef[d][p]
	// A pod's traffic to itself is always allowed, so a class of one pod
	// never sees its own entry.
	self := -1
	if cl.pods == 1 {
		self = c
	}
	if without.open {
		// The class would no longer be isolated: everything is allowed,
		// nothing undefined.
		return allIDs(withRows, self) && allIDs(withAddrs, -1) &&
			equalUndef(withUndef, nil, self) && equalUndef(withExtUndef, nil, -1)
	}
	return equalIDs(withRows, without.rows, self) && equalIDs(withAddrs, without.ext, -1) &&
		equalUndef(withUndef, without.undef, self) && equalUndef(withExtUndef, without.extUndef, -1)
}

// allIDs and equalIDs compare rows of port-set IDs, skipping index skip.
func allIDs(ids []uint32, skip int) bool {
	for i, id := range ids {
		if id != allPortsID && i != skip {
			return false
		}
	}
	return true
}

func equalIDs(a, b []uint32, skip int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && i != skip {
			return false
		}
	}
	return true
}

// equalUndef compares sparse rows of undefined ports (a missing entry is
// no port), skipping index skip.
func equalUndef(a, b map[int]uint32, skip int) bool {
	for i, id := range a {
		if i != skip && id != noPortsID && b[i] != id {
			return false
		}
	}
	for i, id := range b {
		if i != skip && id != noPortsID && a[i] != id {
			return false
		}
	}
	return true
}
