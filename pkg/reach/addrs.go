package reach

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"sort"
	"strings"

	netutils "k8s.io/utils/net"
)

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	From, To netip.Addr
}

// CIDRs returns the fewest prefixes that together cover exactly the range.
// It returns nil for an invalid range (mixed families or To before From).
func (r AddrRange) CIDRs() []netip.Prefix {
	if !r.From.IsValid() || !r.To.IsValid() || r.From.BitLen() != r.To.BitLen() || r.To.Less(r.From) {
		return nil
	}
	width := r.From.BitLen()
	lo, hi := toU128(r.From), toU128(r.To)
	var out []netip.Prefix
	for {
		// The largest block starting at lo is bounded by lo's alignment and
		// must not run past hi.
		k := min(lo.trailingZeros(), width)
		for k > 0 && hi.less(lo.or(hostMask(k))) {
			k--
		}
		out = append(out, netip.PrefixFrom(lo.addr(width), width-k))
		end := lo.or(hostMask(k))
		if end == hi {
			return out
		}
		lo = end.addOne()
	}
}

// String renders "from-to".
func (r AddrRange) String() string { return r.From.String() + "-" + r.To.String() }

// u128 is an address as a number, so ranges can be split and walked.
// IPv4 addresses occupy the low 32 bits.
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
}

func (u u128) addr(width int) netip.Addr {
	if width == 32 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(u.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	return netip.AddrFrom16(b)
}

func (u u128) less(v u128) bool { return u.hi < v.hi || (u.hi == v.hi && u.lo < v.lo) }

func (u u128) or(v u128) u128 { return u128{u.hi | v.hi, u.lo | v.lo} }

func (u u128) addOne() u128 {
	lo, carry := bits.Add64(u.lo, 1, 0)
	return u128{u.hi + carry, lo}
}

func (u u128) trailingZeros() int {
	if u.lo != 0 {
		return bits.TrailingZeros64(u.lo)
	}
	return 64 + bits.TrailingZeros64(u.hi) // 128 for zero
}

// hostMask has the low k bits set, 0 <= k <= 128.
func hostMask(k int) u128 {
	switch {
	case k >= 128:
		return u128{^uint64(0), ^uint64(0)}
	case k > 64:
		return u128{^uint64(0) >> (128 - k), ^uint64(0)}
	case k == 0:
		return u128{}
	}
	return u128{0, ^uint64(0) >> (64 - k)}
}

func familyMax(width int) u128 { return hostMask(width) }

// prefixRange returns the first and last address of a (masked) prefix.
func prefixRange(p netip.Prefix) (first, last u128) {
	first = toU128(p.Addr())
	return first, first.or(hostMask(p.Addr().BitLen() - p.Bits()))
}

// parseCIDR reads an ipBlock CIDR and masks it: the API accepts
// non-canonical forms such as 10.0.0.5/0, which mean 0.0.0.0/0 (one CNI broke
// on them). Objects stored before strict validation may also carry leading
// zeros, which the API server reads as decimal; parse those as it does.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err == nil {
		return p.Masked(), nil
	}
	_, n, sloppyErr := netutils.ParseCIDRSloppy(s)
	if sloppyErr != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
	}
	addr, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(addr.Unmap(), ones).Masked(), nil
}

// parseIP reads a pod IP the way the API server does (see parseCIDR).
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err == nil {
		return a.Unmap(), nil
	}
	ip := netutils.ParseIPSloppy(s)
	if ip == nil {
		return netip.Addr{}, fmt.Errorf("invalid IP %q", s)
	}
	a, _ = netip.AddrFromSlice(ip)
	return a.Unmap(), nil
}

// ipBlock is a compiled ipBlock peer: cidr minus the except carve-outs.
type ipBlock struct {
	cidr   netip.Prefix
	except []netip.Prefix // sorted, deduplicated
	// written is the cidr as the policy spelled it, when that differs from
	// the canonical form, so explanations show both.
	written string
}

func (b *ipBlock) contains(a netip.Addr) bool {
	if !b.cidr.Contains(a) {
		return false
	}
	for _, e := range b.except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

// String renders "10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16".
func (b *ipBlock) String() string {
	var s strings.Builder
	s.WriteString(b.cidr.String())
	if b.written != "" {
		fmt.Fprintf(&s, " (written %s)", b.written)
	}
	for i, e := range b.except {
		if i == 0 {
			s.WriteString(" except ")
		} else {
			s.WriteString(", ")
		}
		s.WriteString(e.String())
	}
	return s.String()
}

// key identifies the addresses the block contains, ignoring its spelling.
func (b *ipBlock) key() string {
	var s strings.Builder
	s.WriteString(b.cidr.String())
	for _, e := range b.except {
		s.WriteByte(' ')
		s.WriteString(e.String())
	}
	return s.String()
}

func sortPrefixes(ps []netip.Prefix) []netip.Prefix {
	sort.Slice(ps, func(i, j int) bool {
		if c := ps[i].Addr().Compare(ps[j].Addr()); c != 0 {
			return c < 0
		}
		return ps[i].Bits() < ps[j].Bits()
	})
	out := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// addrPartition cuts both address families into segments inside which every
// address is contained by exactly the same ipBlocks. Segments with the same
// set of blocks share an address class; no policy can tell two addresses of
// one class apart, so the matrix evaluates classes, not addresses.
type addrPartition struct {
	families [2]addrSegments // IPv4, IPv6
	// blocks[c] is the set of ipBlock indexes containing address class c.
	blocks []bitset
}

type addrSegments struct {
	width  int
	starts []u128 // sorted; starts[0] is the family's first address
	class  []int  // address class of each segment
}

func newAddrPartition(blocks []ipBlock) *addrPartition {
	p := &addrPartition{}
	classOf := map[string]int{}
	for f, width := range [2]int{32, 128} {
		cuts := map[u128]bool{{}: true}
		cut := func(pr netip.Prefix) {
			if pr.Addr().BitLen() != width {
				return
			}
			first, last := prefixRange(pr)
			cuts[first] = true
			if last != familyMax(width) {
				cuts[last.addOne()] = true
			}
		}
		for i := range blocks {
			cut(blocks[i].cidr)
			for _, e := range blocks[i].except {
				cut(e)
			}
		}
		seg := addrSegments{width: width}
		for c := range cuts {
			seg.starts = append(seg.starts, c)
		}
		sort.Slice(seg.starts, func(i, j int) bool { return seg.starts[i].less(seg.starts[j]) })
		for _, start := range seg.starts {
			// Membership is constant over a segment, so its first address
			// speaks for all of it.
			a := start.addr(width)
			in := newBitset(len(blocks))
			for i := range blocks {
				if blocks[i].contains(a) {
					in.set(i)
				}
			}
			k := in.key()
			c, ok := classOf[k]
			if !ok {
				c = len(p.blocks)
				classOf[k] = c
				p.blocks = append(p.blocks, in)
			}
			seg.class = append(seg.class, c)
		}
		p.families[f] = seg
	}
	return p
}

func familyIndex(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// classOf returns the address class of a.
func (p *addrPartition) classOf(a netip.Addr) int {
	seg := &p.families[familyIndex(a)]
	v := toU128(a)
	i := sort.Search(len(seg.starts), func(i int) bool { return v.less(seg.starts[i]) }) - 1
	return seg.class[i]
}

// segment returns the range and class of segment i of a family.
func (s *addrSegments) segment(i int) (AddrRange, int) {
	last := familyMax(s.width)
	if i+1 < len(s.starts) {
		next := s.starts[i+1]
		// next is never zero, so subtracting one cannot wrap.
		if next.lo == 0 {
			last = u128{next.hi - 1, ^uint64(0)}
		} else {
			last = u128{next.hi, next.lo - 1}
		}
	}
	return AddrRange{s.starts[i].addr(s.width), last.addr(s.width)}, s.class[i]
}
