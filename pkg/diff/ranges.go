package diff

import (
	"net/netip"
	"sort"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// DiffRanges compares two lists of address ranges with their ports (as the
// matrix gives them for one node and direction) and returns, grouped by port
// set, the ranges where ports were added and where they were removed.
// Addresses absent from a list have no ports.
func DiffRanges(before, after []reach.CIDRPorts) (opened, closed []reach.CIDRPorts) {
	b, a := flatten(before), flatten(after)
	var openRuns, closeRuns []run
	for _, family := range []int{32, 128} {
		for _, seg := range segments(family, b, a) {
			pb, pa := lookup(b, seg.From), lookup(a, seg.From)
			openRuns = extend(openRuns, seg, pa.Subtract(pb))
			closeRuns = extend(closeRuns, seg, pb.Subtract(pa))
		}
	}
	return group(openRuns), group(closeRuns)
}

// entry is one prefix and its ports; a flattened list is sorted by address
// and its prefixes are disjoint.
type entry struct {
	p     netip.Prefix
	ports reach.PortSet
}

func flatten(list []reach.CIDRPorts) []entry {
	var out []entry
	for _, e := range list {
		for _, p := range e.CIDRs {
			out = append(out, entry{p.Masked(), e.Ports})
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].p.Addr(), out[j].p.Addr()) })
	return out
}

// less orders IPv4 before IPv6, then by address.
func less(x, y netip.Addr) bool {
	if x.BitLen() != y.BitLen() {
		return x.BitLen() < y.BitLen()
	}
	return x.Less(y)
}

// lookup returns the ports of the prefix holding a, or none.
func lookup(list []entry, a netip.Addr) reach.PortSet {
	i := sort.Search(len(list), func(i int) bool { return less(a, list[i].p.Addr()) }) - 1
	if i >= 0 && list[i].p.Contains(a) {
		return list[i].ports
	}
	return reach.PortSet{}
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// segments cuts a family's address space at every prefix boundary of both
// lists: inside a segment both lists give constant ports.
func segments(bits int, lists ...[]entry) []reach.AddrRange {
	first, last := netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255")
	if bits == 128 {
		first, last = netip.IPv6Unspecified(), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	}
	cuts := map[netip.Addr]bool{first: true}
	for _, list := range lists {
		for _, e := range list {
			if e.p.Addr().BitLen() != bits {
				continue
			}
			cuts[e.p.Addr()] = true
			if end := lastAddr(e.p); end != last {
				cuts[end.Next()] = true
			}
		}
	}
	starts := make([]netip.Addr, 0, len(cuts))
	for a := range cuts {
		starts = append(starts, a)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Less(starts[j]) })
	out := make([]reach.AddrRange, len(starts))
	for i, s := range starts {
		end := last
		if i+1 < len(starts) {
			end = starts[i+1].Prev()
		}
		out[i] = reach.AddrRange{From: s, To: end}
	}
	return out
}

// run is a range of addresses with one port set.
type run struct {
	r     reach.AddrRange
	ports reach.PortSet
}

// extend appends a segment, merging it into the previous run when adjacent
// with the same ports; empty port sets are dropped.
func extend(runs []run, seg reach.AddrRange, ports reach.PortSet) []run {
	if ports.IsEmpty() {
		return runs
	}
	if n := len(runs); n > 0 && runs[n-1].ports.Equal(ports) && runs[n-1].r.To.Next() == seg.From && runs[n-1].r.To.BitLen() == seg.From.BitLen() {
		runs[n-1].r.To = seg.To
		return runs
	}
	return append(runs, run{seg, ports})
}

// group turns runs into entries sharing a port set, in address order.
func group(runs []run) []reach.CIDRPorts {
	var out []reach.CIDRPorts
	index := map[string]int{}
	for _, r := range runs {
		k := r.ports.String()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, reach.CIDRPorts{Ports: r.ports})
		}
		out[i].CIDRs = append(out[i].CIDRs, r.r.CIDRs()...)
	}
	return out
}
