package reach_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

func TestAddrRangeCIDRs(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     string
	}{
		{"one prefix", "10.0.0.0", "10.0.0.255", "10.0.0.0/24"},
		{"single address", "10.0.0.7", "10.0.0.7", "10.0.0.7/32"},
		{"unaligned both ends", "10.0.0.1", "10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"},
		{"everything v4", "0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"everything v6", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"v4 space minus 10/8", "11.0.0.0", "255.255.255.255", "11.0.0.0/8 12.0.0.0/6 16.0.0.0/4 32.0.0.0/3 64.0.0.0/2 128.0.0.0/1"},
		{"v6 across the 64-bit halves", "::ffff:ffff:ffff:ffff", "0:0:0:1::", "::ffff:ffff:ffff:ffff/128 0:0:0:1::/128"},
		{"mixed families", "10.0.0.0", "::1", ""},
		{"reversed", "10.0.0.9", "10.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reach.AddrRange{From: netip.MustParseAddr(tt.from), To: netip.MustParseAddr(tt.to)}
			var got []string
			for _, p := range r.CIDRs() {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("CIDRs of %s: got %q, want %q", r, strings.Join(got, " "), tt.want)
			}
		})
	}
}

// TestAddrRangeCIDRsRandom checks on random ranges that the prefixes tile
// the range exactly, in order, and that no two neighbours could merge into
// one prefix (the cover is minimal).
func TestAddrRangeCIDRsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	randAddr := func(v6 bool) netip.Addr {
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			// Share a prefix often, so ranges are small as well as huge.
			if r.IntN(2) == 0 {
				copy(b[:14], []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{10, byte(r.IntN(2)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	for i := 0; i < 2000; i++ {
		v6 := i%2 == 1
		a, b := randAddr(v6), randAddr(v6)
		if b.Less(a) {
			a, b = b, a
		}
		rng := reach.AddrRange{From: a, To: b}
		cidrs := rng.CIDRs()
		if err := checkTiling(rng, cidrs); err != nil {
			t.Fatalf("CIDRs of %s: %v (got %v)", rng, err, cidrs)
		}
	}
}

func checkTiling(r reach.AddrRange, cidrs []netip.Prefix) error {
	if len(cidrs) == 0 {
		return fmt.Errorf("no prefixes")
	}
	next := r.From
	for i, p := range cidrs {
		if p.Addr() != next || p != p.Masked() {
			return fmt.Errorf("prefix %d (%s) does not start at %s or is not canonical", i, p, next)
		}
		last := lastAddr(p)
		if i == len(cidrs)-1 {
			if last != r.To {
				return fmt.Errorf("last prefix ends at %s, want %s", last, r.To)
			}
			break
		}
		next = last.Next()
		// Two equal-size neighbours that form an aligned pair could be one.
		if q := cidrs[i+1]; q.Bits() == p.Bits() && p.Bits() > 0 {
			if parent := netip.PrefixFrom(p.Addr(), p.Bits()-1).Masked(); parent.Addr() == p.Addr() {
				return fmt.Errorf("%s and %s could merge into %s", p, q, parent)
			}
		}
	}
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for bit := p.Bits(); bit < len(b)*8; bit++ {
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
