package reach

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRowMatchesDense: a compact row answers every question as the dense
// row it was made from, whether it was kept sparse or dense.
func TestRowMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sparse, dense := 0, 0
	for n := 0; n < 2000; n++ {
		size := r.IntN(40)
		ids := make([]uint32, size)
		// Mostly one value, with a few others, or anything.
		common := []uint32{noPortsID, allPortsID}[r.IntN(2)]
		others := r.IntN(size + 1)
		for i := range ids {
			ids[i] = common
			if r.IntN(size+1) < others {
				ids[i] = uint32(r.IntN(4))
			}
		}
		row := compactRow(slices.Clone(ids))
		if row.dense != nil {
			dense++
		} else {
			sparse++
		}
		var allowing []int
		for i, id := range ids {
			if got := row.at(i); got != id {
				t.Fatalf("%v: at(%d) = %d, want %d", ids, i, got, id)
			}
			if id != noPortsID {
				allowing = append(allowing, i)
			}
		}
		if got := row.allowing(); !slices.Equal(got, allowing) {
			t.Fatalf("%v: allowing() = %v, want %v", ids, got, allowing)
		}
		for skip := -1; skip <= size; skip++ {
			if got, want := row.allowsAll(skip), allIDs(ids, skip); got != want {
				t.Fatalf("%v: allowsAll(%d) = %v, want %v", ids, skip, got, want)
			}
			other := slices.Clone(ids)
			if size > 0 && r.IntN(2) == 0 {
				other[r.IntN(size)] = uint32(r.IntN(4))
			}
			if got, want := row.equals(other, skip), equalIDs(ids, other, skip); got != want {
				t.Fatalf("%v: equals(%v, %d) = %v, want %v", ids, other, skip, got, want)
			}
		}
	}
	if sparse == 0 || dense == 0 {
		t.Fatalf("%d sparse and %d dense rows: the test should make both", sparse, dense)
	}
}
