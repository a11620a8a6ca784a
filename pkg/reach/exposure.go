package reach

import "sort"

// Exposure is what the workload matrix says about who may reach a
// namespace, computed on pod classes instead of pairs of workloads: the
// matrix of 10,000 bare pods (each its own workload) has millions of edges,
// its classes number in the thousands. The audit's coverage and isolation
// checks read this, not the matrix.
type Exposure struct {
	// ClassFromOutside has one entry per class of Query.Classes: some
	// address that is not a pod of the snapshot may reach the class's pods
	// on some port (Matrix.External's Ingress of a node holding one of
	// them is not empty). Undefined verdicts do not count, as in Matrix.
	ClassFromOutside []bool
	// FromNamespaces maps a namespace to the other namespaces, sorted, with
	// a pod that may reach one of its pods on some port (Matrix has an edge
	// from a node of one to a node of the other). Namespaces reached from
	// no other one are absent. Like ClassFromOutside it judges what
	// policies allow: node-local traffic between a hostNetwork pod and a
	// pod on its node, which no policy changes, is left out.
	FromNamespaces map[string][]string
}

// Exposure computes the model's Exposure. Its cost grows with the class
// pairs that ingress allows at all (the square of the classes at worst),
// never with workloads or pods: a class pair is evaluated only while one of
// the namespace pairs it stands for is not yet known to be reached.
func (m *Model) Exposure() *Exposure {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	ci := m.classIndex()
	ev := m.sharedEval(ci)
	out := &Exposure{ClassFromOutside: make([]bool, len(ci.classes)), FromNamespaces: map[string][]string{}}
	for c := range ci.classes {
		out.ClassFromOutside[c] = ev.reachedFromOutside(c)
	}

	// The distinct namespaces of each class's pods, as indexes into names.
	var names []string
	nsIndex := map[string]int{}
	classNS := make([][]int, len(ci.classes))
	for i := range m.pods {
		ns := m.pods[i].ns
		n, ok := nsIndex[ns]
		if !ok {
			n = len(names)
			nsIndex[ns] = n
			names = append(names, ns)
		}
		c := ci.podClass[i]
		if j := sort.SearchInts(classNS[c], n); j == len(classNS[c]) || classNS[c][j] != n {
			classNS[c] = append(classNS[c], 0)
			copy(classNS[c][j+1:], classNS[c][j:])
			classNS[c][j] = n
		}
	}
	// from[b] has bit a set when a pod of namespace a reaches one of b.
	from := make([]bitset, len(names))
	for b := range from {
		from[b] = newBitset(len(names))
	}
	unknown := func(s, d int) bool {
		for _, a := range classNS[s] {
			for _, b := range classNS[d] {
				if a != b && !from[b].has(a) {
					return true
				}
			}
		}
		return false
	}
	// The classes that may send to a class, as far as its ingress says:
	// those its ingress row allows something from (shared by the classes
	// of one ingress profile), or all of them when it is not isolated.
	all := make([]int, len(ci.classes))
	for c := range all {
		all[c] = c
	}
	sources := map[int][]int{}
	for d := range ci.classes {
		srcs := all
		if p := ev.profile[ingress][d]; p >= 0 {
			var ok bool
			if srcs, ok = sources[p]; !ok {
				srcs = ev.rows[ingress][p].allowing()
				sources[p] = srcs
			}
		}
		for _, s := range srcs {
			// Pods of two namespaces are distinct pods, so the class pair's
			// ports are those of an edge between their workloads.
			if !unknown(s, d) || ev.pair(s, d) == noPortsID {
				continue
			}
			for _, a := range classNS[s] {
				for _, b := range classNS[d] {
					if a != b {
						from[b].set(a)
					}
				}
			}
		}
	}
	for b, set := range from {
		var list []string
		for a := range names {
			if set.has(a) {
				list = append(list, names[a])
			}
		}
		if len(list) > 0 {
			sort.Strings(list)
			out.FromNamespaces[names[b]] = list
		}
	}
	return out
}

// reachedFromOutside says whether some address range may reach pods of
// class c on some port: what ExternalAccess.Ingress of a node holding the
// class lists is not empty (see external and cidrPorts).
func (ev *matrixEval) reachedFromOutside(c int) bool {
	p := ev.profile[ingress][c]
	for f := range ev.ci.addrs.families {
		for _, a := range ev.ci.addrs.families[f].class {
			if p < 0 || ev.ext[ingress][p][a] != noPortsID {
				return true
			}
		}
	}
	return false
}

// sharedEval returns the rows of every isolation profile, computed once
// for Exposure and Redundancy, which only read them (the audit asks both:
// at 100,000 pods the rows are seconds of work and hundreds of MiB). The
// caller holds m.evalMu.
func (m *Model) sharedEval(ci *classIndex) *matrixEval {
	if m.eval == nil {
		m.eval = newMatrixEval(m, ci)
	}
	return m.eval
}
