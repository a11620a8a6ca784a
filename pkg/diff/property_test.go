package diff

import (
	"flag"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

var (
	flagPairs = flag.Int("pairs", 1000, "random snapshot pairs the diff property test checks")
	flagSeed  = flag.Uint64("seed", 1, "seed of the first pair; pair i uses seed+i")
)

// TestPropertyDiff checks, on random pairs of snapshots (three in four a
// policy change of the first, the rest unrelated snapshots), at workload and
// pod level:
//   - diff(A, A) is empty;
//   - what diff(A, B) opens is exactly what diff(B, A) closes, and the
//     other way round;
//   - A's matrix with the opened ports added and the closed ones removed is
//     B's matrix exactly, pair by pair and, for outside addresses, range by
//     range;
//   - each change's verdicts show it: denied before and allowed after for
//     an opened path, the reverse for a closed one.
func TestPropertyDiff(t *testing.T) {
	n := *flagPairs
	if testing.Short() && n > 200 {
		n = 200
	}
	var changes, next atomic.Int64
	var mu sync.Mutex
	failures := map[uint64]error{}
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				seed := *flagSeed + uint64(i)
				count, err := checkPair(pairOf(seed))
				changes.Add(int64(count))
				if err != nil {
					mu.Lock()
					failures[seed] = err
					mu.Unlock()
					next.Store(int64(n))
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		seed := slices.Min(slices.Collect(maps.Keys(failures)))
		a, b := pairOf(seed)
		t.Fatalf("seed %d: %v\nreproduce with: go test ./pkg/diff -run TestPropertyDiff -seed %d -pairs 1\n--- A\n%s--- B\n%s",
			seed, failures[seed], seed, reachtest.DumpSnapshot(a), reachtest.DumpSnapshot(b))
	}
	if changes.Load() == 0 {
		t.Fatalf("%d pairs gave no change at all: the generator does not exercise the diff", n)
	}
	t.Logf("%d snapshot pairs (seeds %d..%d), %d changes checked", n, *flagSeed, *flagSeed+uint64(n)-1, changes.Load())
}

func pairOf(seed uint64) (*inventory.Snapshot, *inventory.Snapshot) {
	c := reachtest.Seeded(seed)
	a := reachtest.Snapshot(c)
	if c.IntN(4) == 0 {
		return a, reachtest.Snapshot(c)
	}
	return a, reachtest.Mutate(c, a)
}

func stateOf(snap *inventory.Snapshot) (State, error) {
	m, err := reach.Build(snap, reach.DefaultOptions())
	return State{Snap: snap, Model: m}, err
}

func checkPair(sa, sb *inventory.Snapshot) (int, error) {
	a, err := stateOf(sa)
	if err != nil {
		return 0, err
	}
	b, err := stateOf(sb)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, level := range []reach.Level{reach.ByWorkload, reach.ByPod} {
		// Findings do not depend on the level: compare them once.
		opts := Options{Level: level, Audit: audit.DefaultConfig(), NoFindings: level == reach.ByPod}
		same, err := Compute(a, a, opts)
		if err != nil {
			return 0, err
		}
		if len(same.Changes) > 0 || !same.Summary.Empty() || len(same.Policies) > 0 {
			return 0, fmt.Errorf("%s: diff(A, A) is not empty: %+v", level, same.Summary)
		}
		ab, err := Compute(a, b, opts)
		if err != nil {
			return 0, err
		}
		ba, err := Compute(b, a, opts)
		if err != nil {
			return 0, err
		}
		if err := sameDelta(level, ab.Changes, Opened, ba.Changes, Closed); err != nil {
			return 0, fmt.Errorf("%s: opened(A,B) != closed(B,A): %v", level, err)
		}
		if err := sameDelta(level, ab.Changes, Closed, ba.Changes, Opened); err != nil {
			return 0, fmt.Errorf("%s: closed(A,B) != opened(B,A): %v", level, err)
		}
		if len(ab.Findings.New) != len(ba.Findings.Resolved) || len(ab.Findings.Resolved) != len(ba.Findings.New) {
			return 0, fmt.Errorf("%s: findings new/resolved %d/%d, reversed %d/%d", level,
				len(ab.Findings.New), len(ab.Findings.Resolved), len(ba.Findings.New), len(ba.Findings.Resolved))
		}
		if err := applies(a.Model.Matrix(level), ab.Changes, b.Model.Matrix(level)); err != nil {
			return 0, fmt.Errorf("%s: A + diff(A,B) != B: %v", level, err)
		}
		for _, ch := range ab.Changes {
			wantAfter := ch.Effect == Opened
			if ch.Before.Allowed == wantAfter || ch.After.Allowed != wantAfter {
				return 0, fmt.Errorf("%s: %s %s -> %s %v: verdicts before %v, after %v", level, ch.Effect, ch.From, ch.To, ch.Ports, ch.Before.Allowed, ch.After.Allowed)
			}
		}
		total += len(ab.Changes)
	}
	return total, nil
}

// delta is a set of changes of one effect, keyed for comparison.
type delta struct {
	pairs map[[2]string]reach.PortSet
	// ext[node + direction] lists the ranges and ports.
	ext map[string][]reach.CIDRPorts
}

func deltaOf(changes []Change, eff Effect) delta {
	d := delta{pairs: map[[2]string]reach.PortSet{}, ext: map[string][]reach.CIDRPorts{}}
	for _, c := range changes {
		if c.Effect != eff {
			continue
		}
		for _, from := range c.From {
			switch {
			case from == Outside:
				d.ext[c.To+" ingress"] = append(d.ext[c.To+" ingress"], reach.CIDRPorts{CIDRs: c.CIDRs, Ports: c.Ports})
			case c.To == Outside:
				d.ext[from+" egress"] = append(d.ext[from+" egress"], reach.CIDRPorts{CIDRs: c.CIDRs, Ports: c.Ports})
			default:
				k := [2]string{from, c.To}
				d.pairs[k] = d.pairs[k].Union(c.Ports)
			}
		}
	}
	return d
}

func sameDelta(level reach.Level, x []Change, ex Effect, y []Change, ey Effect) error {
	dx, dy := deltaOf(x, ex), deltaOf(y, ey)
	if len(dx.pairs) != len(dy.pairs) {
		return fmt.Errorf("%d pairs vs %d", len(dx.pairs), len(dy.pairs))
	}
	for k, p := range dx.pairs {
		if !p.Equal(dy.pairs[k]) {
			return fmt.Errorf("%s -> %s: %v vs %v", k[0], k[1], p, dy.pairs[k])
		}
	}
	keys := map[string]bool{}
	for k := range dx.ext {
		keys[k] = true
	}
	for k := range dy.ext {
		keys[k] = true
	}
	for k := range keys {
		for _, a := range probeAddrs(dx.ext[k], dy.ext[k]) {
			if px, py := portsAt(dx.ext[k], a), portsAt(dy.ext[k], a); !px.Equal(py) {
				return fmt.Errorf("%s at %s: %v vs %v", k, a, px, py)
			}
		}
	}
	return nil
}

// applies checks that A's matrix changed by the diff is B's matrix.
func applies(ma *reach.Matrix, changes []Change, mb *reach.Matrix) error {
	pairs := func(m *reach.Matrix) map[[2]string]reach.PortSet {
		out := map[[2]string]reach.PortSet{}
		for _, e := range m.Edges {
			out[[2]string{NodeID(m.Level, m.Nodes[e.From]), NodeID(m.Level, m.Nodes[e.To])}] = e.Ports
		}
		return out
	}
	got, want := pairs(ma), pairs(mb)
	opened, closed := deltaOf(changes, Opened), deltaOf(changes, Closed)
	for k, p := range opened.pairs {
		got[k] = got[k].Union(p)
	}
	for k, p := range closed.pairs {
		got[k] = got[k].Subtract(p)
	}
	for k, p := range got {
		if !p.Equal(want[k]) {
			return fmt.Errorf("%s -> %s: got %v, want %v", k[0], k[1], p, want[k])
		}
	}
	for k, p := range want {
		if !p.Equal(got[k]) {
			return fmt.Errorf("%s -> %s: got %v, want %v", k[0], k[1], got[k], p)
		}
	}
	ext := func(m *reach.Matrix) map[string][]reach.CIDRPorts {
		out := map[string][]reach.CIDRPorts{}
		for i, n := range m.Nodes {
			id := NodeID(m.Level, n)
			out[id+" ingress"] = m.External[i].Ingress
			out[id+" egress"] = m.External[i].Egress
		}
		return out
	}
	ea, eb := ext(ma), ext(mb)
	keys := map[string]bool{}
	for _, m := range []map[string][]reach.CIDRPorts{ea, eb, opened.ext, closed.ext} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		for _, a := range probeAddrs(ea[k], eb[k], opened.ext[k], closed.ext[k]) {
			got := portsAt(ea[k], a).Union(portsAt(opened.ext[k], a)).Subtract(portsAt(closed.ext[k], a))
			if want := portsAt(eb[k], a); !got.Equal(want) {
				return fmt.Errorf("%s at %s: got %v, want %v", k, a, got, want)
			}
		}
	}
	return nil
}

// probeAddrs returns each range's first and last address and the ones
// around them, and each family's first: between two of them every list
// gives constant ports, so checking these checks every address.
func probeAddrs(lists ...[]reach.CIDRPorts) []netip.Addr {
	out := []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	for _, l := range lists {
		for _, e := range l {
			for _, p := range e.CIDRs {
				first, last := p.Addr(), lastAddr(p)
				out = append(out, first, last)
				if a := first.Prev(); a.IsValid() {
					out = append(out, a)
				}
				if a := last.Next(); a.IsValid() {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// portsAt scans the list, independently of the code under test.
func portsAt(list []reach.CIDRPorts, a netip.Addr) reach.PortSet {
	var out reach.PortSet
	for _, e := range list {
		for _, p := range e.CIDRs {
			if p.Contains(a) {
				out = out.Union(e.Ports)
			}
		}
	}
	return out
}
