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
// so each profile is compared once.
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
		if ev.plain[d][p] {
			if !ev.sparseSame(d, members, skip, skipRule) {
				return false
			}
			continue
		}
		without := ev.rowsWithout(d, members[0], skip, skipRule)
		for _, c := range members {
			if !ev.sameRows(d, c, without) {
				return false
			}
		}
	}
	return true
}

// sparseSame is sameWithout for the members of one plain profile: its rows
// are the union of its policies' rules (classRow, addrRow), so removing
// policy skip (or its rule skipRule) can change them only at the classes and
// address classes the removed rules match. Only those entries are
// recomputed, from the rules that stay, and compared; the profile's other
// entries are equal by construction. A policy that was the profile's only
// one leaves its classes open: every entry must allow everything.
func (ev *matrixEval) sparseSame(d Dir, members []int, skip, skipRule int) bool {
	cl := &ev.ci.classes[members[0]]
	p := ev.profile[d][members[0]]
	withRows, withAddrs := ev.rows[d][p], ev.ext[d][p]
	// self is the one entry a member skips: a class of one pod never sees
	// its own entry (see sameRows). A mismatch anywhere else fails every
	// member, and one at class x fails all but a member x of one pod.
	selfOK := func(x int) bool {
		for _, c := range members {
			if c != x || ev.ci.classes[c].pods != 1 {
				return false
			}
		}
		return true
	}
	pols := cl.selectedBy[d]
	if skipRule < 0 && len(pols) == 1 {
		for _, c := range members {
			if !ev.sameRows(d, c, profileRows{open: true}) {
				return false
			}
		}
		return true
	}
	removed := ev.m.policies[skip].rules[d]
	if skipRule >= 0 {
		removed = removed[skipRule : skipRule+1]
	}
	stays := func(pi, ri int) bool {
		return pi != skip || skipRule >= 0 && ri != skipRule
	}
	subjectNamed := -1
	if d == ingress {
		subjectNamed = cl.named
	}
	// The classes the removed rules match, each once.
	ev.stamp++
	if len(ev.seen) < len(ev.ci.classes) {
		ev.seen = make([]uint32, len(ev.ci.classes))
	}
	// differs records a class whose entries change; only one class, a
	// member of one pod that never sees its own entry, may.
	mismatch := -1
	differs := func(c int) bool {
		if c == mismatch {
			return true
		}
		if mismatch >= 0 || !selfOK(c) {
			return false
		}
		mismatch = c
		return true
	}
	for k := range removed {
		for _, c32 := range ev.classesOf(&removed[k]) {
			c := int(c32)
			if ev.seen[c] == ev.stamp {
				continue
			}
			ev.seen[c] = ev.stamp
			far := &ev.ci.classes[c]
			named := subjectNamed
			if d == egress {
				named = far.named
			}
			id := noPortsID
			for _, pi := range pols {
				pol := &ev.m.policies[pi]
				for ri := range pol.rules[d] {
					if r := &pol.rules[d][ri]; stays(pi, ri) && ruleMatchesClass(r, far) {
						id = ev.tbl.union(id, ev.portsOf(r, named))
					}
				}
			}
			if id != withRows.at(c) && !differs(c) {
				return false
			}
		}
	}
	// Undefined entries (a far end of pods without an IP that a peer holds
	// only maybe) change where a removed rule matches maybe, or where one
	// it matches for sure stops masking what others match maybe: compare
	// them at every class that can have them.
	withUndef := ev.undef[d][p]
	for _, c := range ev.dependsClasses() {
		far := &ev.ci.classes[c]
		named := subjectNamed
		if d == egress {
			named = far.named
		}
		sure, may := PortSet{}, PortSet{}
		for _, pi := range pols {
			pol := &ev.m.policies[pi]
			for ri := range pol.rules[d] {
				r := &pol.rules[d][ri]
				if !stays(pi, ri) {
					continue
				}
				switch classMatch(r, far) {
				case matchYes:
					sure = sure.Union(ev.tbl.sets[ev.portsOf(r, named)])
				case matchMaybe:
					may = may.Union(ev.tbl.sets[ev.portsOf(r, named)])
				}
			}
		}
		if ev.tbl.intern(may.Subtract(sure)) != withUndef[c] && !differs(c) {
			return false
		}
	}
	addrNamed := subjectNamed
	if d == egress {
		addrNamed = -1 // the address is the destination
	}
	for a, in := range ev.ci.addrs.blocks {
		hit := false
		for k := range removed {
			if ruleMatchesAddr(&removed[k], in) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		id := noPortsID
		for _, pi := range pols {
			pol := &ev.m.policies[pi]
			for ri := range pol.rules[d] {
				if r := &pol.rules[d][ri]; stays(pi, ri) && ruleMatchesAddr(r, in) {
					id = ev.tbl.union(id, ev.portsOf(r, addrNamed))
				}
			}
		}
		if id != withAddrs[a] {
			return false
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
		return withRows.allowsAll(self) && allIDs(withAddrs, -1) &&
			equalUndef(withUndef, nil, self) && equalUndef(withExtUndef, nil, -1)
	}
	return withRows.equals(without.rows, self) && equalIDs(withAddrs, without.ext, -1) &&
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
