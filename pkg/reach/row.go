package reach

import "slices"

// row is a profile's port-set ids toward or from every class (see
// matrixEval.rows). Most rows hold one value nearly everywhere (nothing
// for the classes a default deny leaves out, everything for an allow-all):
// those keep that value and the entries that differ, so that the rows of
// thousands of profiles over thousands of classes take memory by what they
// allow, not by the square of the classes. Other rows stay dense.
type row struct {
	dense []uint32
	// n entries, each def but those at idx (ascending), which hold val.
	n   int
	def uint32
	idx []int32
	val []uint32
}

// compactRow keeps a dense row as a row, sparse when at most a quarter of
// its entries differ from nothing or everything, whichever is commoner.
func compactRow(ids []uint32) row {
	none, all := 0, 0
	for _, id := range ids {
		switch id {
		case noPortsID:
			none++
		case allPortsID:
			all++
		}
	}
	def, same := noPortsID, none
	if all > none {
		def, same = allPortsID, all
	}
	if rest := len(ids) - same; rest*4 > len(ids) {
		return row{dense: ids, n: len(ids)}
	}
	r := row{n: len(ids), def: def, idx: make([]int32, 0, len(ids)-same), val: make([]uint32, 0, len(ids)-same)}
	for i, id := range ids {
		if id != def {
			r.idx = append(r.idx, int32(i))
			r.val = append(r.val, id)
		}
	}
	return r
}

// at returns entry i.
func (r *row) at(i int) uint32 {
	if r.dense != nil {
		return r.dense[i]
	}
	if j, ok := slices.BinarySearch(r.idx, int32(i)); ok {
		return r.val[j]
	}
	return r.def
}

// allowing lists, ascending, the entries that allow something.
func (r *row) allowing() []int {
	if r.dense != nil || r.def != noPortsID {
		out := make([]int, 0, r.n)
		for i := 0; i < r.n; i++ {
			if r.at(i) != noPortsID {
				out = append(out, i)
			}
		}
		return out
	}
	out := make([]int, len(r.idx))
	for k, i := range r.idx {
		out[k] = int(i)
	}
	return out
}

// allowsAll says whether every entry but skip allows every port.
func (r *row) allowsAll(skip int) bool {
	if r.dense != nil {
		return allIDs(r.dense, skip)
	}
	if r.n == 0 || r.n == 1 && skip == 0 {
		return true
	}
	if r.def != allPortsID {
		// Some entry other than skip holds def unless the exceptions
		// cover every one of them.
		return len(r.idx) >= r.n-1 && allIDs(r.expand(), skip)
	}
	for _, i := range r.idx {
		if int(i) != skip {
			return false // an exception differs from everything
		}
	}
	return true
}

// equals says whether every entry but skip equals ids's.
func (r *row) equals(ids []uint32, skip int) bool {
	if r.dense != nil {
		return equalIDs(r.dense, ids, skip)
	}
	if len(ids) != r.n {
		return false
	}
	return equalIDs(r.expand(), ids, skip)
}

// expand returns the row's entries as a dense slice.
func (r *row) expand() []uint32 {
	if r.dense != nil {
		return r.dense
	}
	out := make([]uint32, r.n)
	for i := range out {
		out[i] = r.def
	}
	for k, i := range r.idx {
		out[i] = r.val[k]
	}
	return out
}
