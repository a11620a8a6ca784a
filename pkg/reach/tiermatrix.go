package reach

import (
	"slices"
)

// tierRows computes a profile's rows when cluster-wide policies select its
// classes: for each far end, the ports allowed for sure and the ports whose
// verdict is undefined. The port space is cut into atoms at every boundary
// of the ports in play, and each atom is decided by the same walk as a
// single verdict, so the matrix and Verdict cannot disagree.
//
// The walk's answer depends only on the rules that can match the far end
// (their match, their ports, and through their policy the tier and
// priority that group them) and on the NetworkPolicy tier's ports: rules
// that match nothing are skipped, and a group none of whose rules match
// lets the probe through. Far ends and profiles sharing that input share
// the answer, kept in ev.tierMemo, so the atoms are walked once per
// distinct input, not once per (profile, far end).
func (ev *matrixEval) tierRows(d Dir, pols []int, groups tierGroups, subjectNamed int) {
	r := ev.tierRowsExcept(d, pols, groups, subjectNamed, noRule)
	ev.hasUndef = ev.hasUndef || r.undef != nil || r.extUndef != nil
	ev.rows[d] = append(ev.rows[d], compactRow(r.rows))
	ev.ext[d] = append(ev.ext[d], r.ext)
	ev.undef[d] = append(ev.undef[d], r.undef)
	ev.extUndef[d] = append(ev.extUndef[d], r.extUndef)
}

// profileRows are one isolation profile's rows in one direction (see
// matrixEval): the ports allowed for sure toward or from each class and
// address class, and those whose verdict is undefined. open says no
// policy isolates: everything is allowed.
type profileRows struct {
	rows, ext       []uint32
	undef, extUndef map[int]uint32
	open            bool
}

// tierRowsExcept computes tierRows' rows without the NetworkPolicy rule
// except (noRule: with every rule), to see whether it matters.
func (ev *matrixEval) tierRowsExcept(d Dir, pols []int, groups tierGroups, subjectNamed int, except ruleID) profileRows {
	m := ev.m
	isolated := len(pols) > 0
	var npRow, npExt []uint32
	var npMaybe map[int]uint32
	if isolated {
		npRow = ev.classRowExcept(d, pols, subjectNamed, except)
		npExt = ev.addrRowExcept(d, pols, subjectNamed, except)
		npMaybe = ev.classRowMaybeExcept(d, pols, subjectNamed, npRow, except)
	}
	var tierRules []*rule
	for t := range groups {
		for _, g := range groups[t] {
			for _, pi := range g {
				for ri := range m.policies[pi].rules[d] {
					tierRules = append(tierRules, &m.policies[pi].rules[d][ri])
				}
			}
		}
	}

	// What each rule does with the far end at hand, by rule id.
	kinds := make([]match, m.ruleCount)
	ports := make([]uint32, m.ruleCount)
	var cuts []PortSet
	w := &tierWalk{m: m, groups: groups, dir: d, npIsolated: isolated}
	var proto Protocol
	var port int32
	w.ruleMatch = func(pol *policy, r *rule) match {
		i := r.id
		if kinds[i] == matchNo || !ev.tbl.sets[ports[i]].Contains(proto, port) {
			return matchNo
		}
		return kinds[i]
	}
	var key []byte
	// np and npU are the ports the NetworkPolicy tier allows for sure
	// and may allow (a pod without an IP).
	decide := func(matchOf func(r *rule) match, named int, np, npU uint32) tierDecision {
		key = append(key[:0], byte(d))
		if isolated {
			key = appendUint32(appendUint32(append(key, 1), np), npU)
		}
		any := false
		for _, r := range tierRules {
			i := r.id
			kinds[i] = matchOf(r)
			if kinds[i] != matchNo {
				ports[i] = ev.portsOf(r, named)
				key = appendUint32(appendUint32(append(key, byte(kinds[i])), uint32(i)), ports[i])
				any = true
			}
		}
		if !any {
			if isolated {
				return tierDecision{sure: np, undef: npU}
			}
			// Nothing of the tiers applies and no NetworkPolicy isolates:
			// the Baseline tier's end allows all.
			return tierDecision{sure: allPortsID}
		}
		if dec, ok := ev.tierMemo[string(key)]; ok {
			return dec
		}
		npSet, npUSet := ev.tbl.sets[np], ev.tbl.sets[npU]
		cuts = append(cuts[:0], npSet, npUSet)
		for _, r := range tierRules {
			if kinds[r.id] != matchNo {
				cuts = append(cuts, ev.tbl.sets[ports[r.id]])
			}
		}
		var sure, undef PortSet
		for _, a := range portAtoms(cuts) {
			proto, port = a.proto, a.r.From
			w.npAllows = npSet.Contains(proto, port)
			w.npMaybe = npUSet.Contains(proto, port)
			switch w.run() {
			case canAllow:
				sure = sure.Union(PortsOf(proto, a.r))
			case canAllow | canDeny:
				undef = undef.Union(PortsOf(proto, a.r))
			}
		}
		dec := tierDecision{sure: ev.tbl.intern(sure), undef: ev.tbl.intern(undef)}
		ev.tierMemo[string(key)] = dec
		return dec
	}

	classes := ev.ci.classes
	row := make([]uint32, len(classes))
	undefRow := map[int]uint32{}
	for c := range classes {
		cl := &classes[c]
		named := subjectNamed
		if d == egress {
			named = cl.named
		}
		np := noPortsID
		if isolated {
			np = npRow[c]
		}
		npU := noPortsID
		if id, ok := npMaybe[c]; ok {
			npU = id
		}
		dec := decide(func(r *rule) match { return classMatch(r, cl) }, named, np, npU)
		row[c] = dec.sure
		if dec.undef != noPortsID {
			undefRow[c] = dec.undef
		}
	}
	addrBlocks := ev.ci.addrs.blocks
	ext := make([]uint32, len(addrBlocks))
	extUndef := map[int]uint32{}
	named := subjectNamed
	if d == egress {
		named = -1
	}
	for a, in := range addrBlocks {
		np := noPortsID
		if isolated {
			np = npExt[a]
		}
		dec := decide(func(r *rule) match { return addrMatch(r, in) }, named, np, noPortsID)
		ext[a] = dec.sure
		if dec.undef != noPortsID {
			extUndef[a] = dec.undef
		}
	}
	if len(undefRow) == 0 {
		undefRow = nil
	}
	if len(extUndef) == 0 {
		extUndef = nil
	}
	return profileRows{rows: row, ext: ext, undef: undefRow, extUndef: extUndef}
}

// tierDecision is what the tiers make of one far end: the ports allowed
// for sure and the ports whose verdict is undefined.
type tierDecision struct{ sure, undef uint32 }

func appendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// classMatch says whether a rule's peers match a class's pods.
func classMatch(r *rule, cl *podClass) match {
	if len(r.peers) == 0 {
		return matchYes
	}
	best := matchNo
	for k := range r.peers {
		if cl.peers.has(r.peers[k].id) {
			return matchYes
		}
		if cl.maybe.has(r.peers[k].id) {
			best = matchMaybe
		}
	}
	return best
}

// addrMatch says whether a rule's peers match an address class.
func addrMatch(r *rule, in bitset) match {
	if len(r.peers) == 0 {
		return matchYes
	}
	best := matchNo
	for k := range r.peers {
		pr := &r.peers[k]
		switch {
		case pr.never:
		case pr.any:
			return matchYes
		case pr.outside != "":
			best = matchMaybe
		case pr.block >= 0 && in.has(pr.block):
			return matchYes
		}
	}
	return best
}

// portAtom is a range of one protocol's ports that no cut splits.
type portAtom struct {
	proto Protocol
	r     PortRange
}

// portAtoms cuts the whole port space at every boundary of the sets.
func portAtoms(sets []PortSet) []portAtom {
	var out []portAtom
	for pi, proto := range protocols {
		lo, hi := fold(pi, MinPort), fold(pi, MaxPort)
		cuts := []uint32{lo, hi + 1}
		for _, s := range sets {
			for _, iv := range s.iv {
				if iv.lo > lo && iv.lo <= hi {
					cuts = append(cuts, iv.lo)
				}
				if iv.hi+1 > lo && iv.hi < hi {
					cuts = append(cuts, iv.hi+1)
				}
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		for i := 0; i+1 < len(cuts); i++ {
			out = append(out, portAtom{proto, PortRange{int32(cuts[i] & 0xffff), int32((cuts[i+1] - 1) & 0xffff)}})
		}
	}
	return out
}

// pairUndef returns the ports whose verdict from class s to class d is
// undefined: allowed under some outcome of each side, not under all; those
// that depend on a pod's IP (a side undefined while its far end is a class
// of pods without an IP that peers hold only maybe) in dep, the others in
// undef.
func (ev *matrixEval) pairUndef(s, d int) (undef, dep PortSet) {
	outSure, inSure := allPorts, allPorts
	var outU, inU PortSet
	if p := ev.profile[egress][s]; p >= 0 {
		outSure = ev.tbl.sets[ev.rows[egress][p].at(d)]
		if u := ev.undef[egress][p]; u != nil {
			outU = ev.tbl.sets[u[d]]
		}
	}
	if p := ev.profile[ingress][d]; p >= 0 {
		inSure = ev.tbl.sets[ev.rows[ingress][p].at(s)]
		if u := ev.undef[ingress][p]; u != nil {
			inU = ev.tbl.sets[u[s]]
		}
	}
	if outU.IsEmpty() && inU.IsEmpty() {
		return PortSet{}, PortSet{}
	}
	most := outSure.Union(outU).Intersect(inSure.Union(inU))
	undef = most.Subtract(outSure.Intersect(inSure))
	if ev.ci.classes[d].depends {
		dep = dep.Union(outU)
	}
	if ev.ci.classes[s].depends {
		dep = dep.Union(inU)
	}
	dep = dep.Intersect(undef)
	return undef.Subtract(dep), dep
}
