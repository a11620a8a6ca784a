package reach

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Protocol is a transport protocol a NetworkPolicy port can name.
type Protocol string

// The protocols NetworkPolicy knows. They are distinct: a rule for TCP 53
// says nothing about UDP 53.
const (
	TCP  Protocol = "TCP"
	UDP  Protocol = "UDP"
	SCTP Protocol = "SCTP"
)

// protocols lists the protocols in the order every output uses.
var protocols = []Protocol{TCP, UDP, SCTP}

// ParseProtocol accepts a protocol name in any case.
func ParseProtocol(s string) (Protocol, error) {
	p := Protocol(strings.ToUpper(s))
	if p.index() < 0 {
		return "", fmt.Errorf("unsupported protocol %q: want TCP, UDP or SCTP", s)
	}
	return p, nil
}

func (p Protocol) index() int {
	switch p {
	case TCP:
		return 0
	case UDP:
		return 1
	case SCTP:
		return 2
	}
	return -1
}

// MinPort and MaxPort bound every port a policy or a probe can name.
const (
	MinPort = 1
	MaxPort = 65535
)

// PortRange is an inclusive range of ports within MinPort..MaxPort.
type PortRange struct {
	From, To int32
}

// String renders "80" or "80-90".
func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(int(r.From))
	}
	return strconv.Itoa(int(r.From)) + "-" + strconv.Itoa(int(r.To))
}

// PortSet is a set of (protocol, port) pairs. The zero value is empty.
// A PortSet is immutable: every operation returns a new set, so sets can be
// shared freely between edges and goroutines.
//
// Internally every (protocol, port) is folded onto one line,
// protocolIndex<<16 | port, so one sorted list of disjoint intervals holds
// all three protocols and the set algebra is written once. Port 0 never
// belongs to a set, so intervals of two protocols can never touch and merge.
type PortSet struct {
	iv []interval
}

type interval struct{ lo, hi uint32 }

func fold(protoIndex int, port int32) uint32 { return uint32(protoIndex)<<16 | uint32(port) }

// AllPorts is every port of every protocol, what a rule without ports allows.
func AllPorts() PortSet { return allPorts }

var allPorts = PortSet{iv: []interval{
	{fold(0, MinPort), fold(0, MaxPort)},
	{fold(1, MinPort), fold(1, MaxPort)},
	{fold(2, MinPort), fold(2, MaxPort)},
}}

// PortsOf returns the given ranges of one protocol. Ranges are clipped to
// MinPort..MaxPort; empty or inverted ranges contribute nothing, as does an
// unknown protocol.
func PortsOf(proto Protocol, ranges ...PortRange) PortSet {
	pi := proto.index()
	if pi < 0 {
		return PortSet{}
	}
	var iv []interval
	for _, r := range ranges {
		from, to := max(r.From, MinPort), min(r.To, MaxPort)
		if from > to {
			continue
		}
		iv = append(iv, interval{fold(pi, from), fold(pi, to)})
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i].lo < iv[j].lo })
	return PortSet{iv: coalesce(iv)}
}

// AllPortsOf returns every port of one protocol.
func AllPortsOf(proto Protocol) PortSet {
	return PortsOf(proto, PortRange{MinPort, MaxPort})
}

// IsEmpty reports whether the set holds no port at all.
func (s PortSet) IsEmpty() bool { return len(s.iv) == 0 }

// IsAll reports whether the set holds every port of all three protocols.
func (s PortSet) IsAll() bool { return s.Equal(allPorts) }

// Contains reports whether port of proto is in the set.
func (s PortSet) Contains(proto Protocol, port int32) bool {
	pi := proto.index()
	if pi < 0 || port < MinPort || port > MaxPort {
		return false
	}
	v := fold(pi, port)
	i := sort.Search(len(s.iv), func(i int) bool { return s.iv[i].hi >= v })
	return i < len(s.iv) && s.iv[i].lo <= v
}

// Equal reports whether both sets hold exactly the same ports.
func (s PortSet) Equal(o PortSet) bool {
	if len(s.iv) != len(o.iv) {
		return false
	}
	for i := range s.iv {
		if s.iv[i] != o.iv[i] {
			return false
		}
	}
	return true
}

// Union returns the ports in either set.
func (s PortSet) Union(o PortSet) PortSet {
	switch {
	case len(o.iv) == 0:
		return s
	case len(s.iv) == 0:
		return o
	}
	merged := make([]interval, 0, len(s.iv)+len(o.iv))
	i, j := 0, 0
	for i < len(s.iv) || j < len(o.iv) {
		if j == len(o.iv) || (i < len(s.iv) && s.iv[i].lo <= o.iv[j].lo) {
			merged = append(merged, s.iv[i])
			i++
		} else {
			merged = append(merged, o.iv[j])
			j++
		}
	}
	return PortSet{iv: coalesce(merged)}
}

// Intersect returns the ports in both sets.
func (s PortSet) Intersect(o PortSet) PortSet {
	var out []interval
	i, j := 0, 0
	for i < len(s.iv) && j < len(o.iv) {
		lo, hi := max(s.iv[i].lo, o.iv[j].lo), min(s.iv[i].hi, o.iv[j].hi)
		if lo <= hi {
			out = append(out, interval{lo, hi})
		}
		if s.iv[i].hi < o.iv[j].hi {
			i++
		} else {
			j++
		}
	}
	return PortSet{iv: out}
}

// Subtract returns the ports in s that are not in o.
func (s PortSet) Subtract(o PortSet) PortSet {
	return s.Intersect(o.complement())
}

// complement is taken within the valid ports of the three protocols.
func (s PortSet) complement() PortSet {
	var out []interval
	j := 0
	for _, u := range allPorts.iv {
		next := u.lo
		for ; j < len(s.iv) && s.iv[j].lo <= u.hi; j++ {
			if s.iv[j].lo > next {
				out = append(out, interval{next, s.iv[j].lo - 1})
			}
			next = s.iv[j].hi + 1
		}
		if next <= u.hi {
			out = append(out, interval{next, u.hi})
		}
	}
	return PortSet{iv: out}
}

// Protocols lists the protocols with at least one port in the set.
func (s PortSet) Protocols() []Protocol {
	var out []Protocol
	for pi, p := range protocols {
		if len(s.ranges(pi)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Ranges returns the sorted, disjoint, non-adjacent ranges of one protocol.
func (s PortSet) Ranges(proto Protocol) []PortRange {
	pi := proto.index()
	if pi < 0 {
		return nil
	}
	var out []PortRange
	for _, v := range s.ranges(pi) {
		out = append(out, PortRange{int32(v.lo & 0xffff), int32(v.hi & 0xffff)})
	}
	return out
}

func (s PortSet) ranges(pi int) []interval {
	lo := sort.Search(len(s.iv), func(i int) bool { return int(s.iv[i].lo>>16) >= pi })
	hi := sort.Search(len(s.iv), func(i int) bool { return int(s.iv[i].lo>>16) > pi })
	return s.iv[lo:hi]
}

// String renders "all", "none", or per protocol "TCP:80,443-445 UDP:53".
func (s PortSet) String() string {
	switch {
	case s.IsEmpty():
		return "none"
	case s.IsAll():
		return "all"
	}
	var b strings.Builder
	for _, p := range s.Protocols() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(p))
		b.WriteByte(':')
		for i, r := range s.Ranges(p) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(r.String())
		}
	}
	return b.String()
}

// MarshalJSON writes an object of protocol to ranges in the fixed order
// TCP, UDP, SCTP, e.g. {"TCP":["80","443-445"],"UDP":["53"]}; every port is
// {"TCP":["1-65535"],"UDP":["1-65535"],"SCTP":["1-65535"]} and an empty set
// {}. One shape always (no "all" string), so scripts read it one way;
// ranges are strings so "443-445" and "80" share one shape.
func (s PortSet) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range s.Protocols() {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:[", p)
		for j, r := range s.Ranges(p) {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", r.String())
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes, and "all", which it wrote
// before, for every port.
func (s *PortSet) UnmarshalJSON(data []byte) error {
	var all string
	if err := json.Unmarshal(data, &all); err == nil {
		if all != "all" {
			return fmt.Errorf("port set: want \"all\" or an object, got %q", all)
		}
		*s = allPorts
		return nil
	}
	var byProto map[string][]string
	if err := json.Unmarshal(data, &byProto); err != nil {
		return fmt.Errorf("port set: %w", err)
	}
	var out PortSet
	for name, ranges := range byProto {
		proto, err := ParseProtocol(name)
		if err != nil {
			return fmt.Errorf("port set: %w", err)
		}
		for _, text := range ranges {
			r, err := ParsePortRange(text)
			if err != nil {
				return fmt.Errorf("port set: %s: %w", name, err)
			}
			out = out.Union(PortsOf(proto, r))
		}
	}
	*s = out
	return nil
}

// ParsePortSet reads what String writes: "all", "none", or
// "TCP:80,443-445 UDP:53".
func ParsePortSet(text string) (PortSet, error) {
	switch text {
	case "all":
		return allPorts, nil
	case "none":
		return PortSet{}, nil
	}
	var out PortSet
	for _, field := range strings.Fields(text) {
		name, list, ok := strings.Cut(field, ":")
		if !ok {
			return PortSet{}, fmt.Errorf("port set %q: %q lacks a protocol, as in TCP:80", text, field)
		}
		proto, err := ParseProtocol(name)
		if err != nil {
			return PortSet{}, fmt.Errorf("port set %q: %w", text, err)
		}
		for _, item := range strings.Split(list, ",") {
			r, err := ParsePortRange(item)
			if err != nil {
				return PortSet{}, fmt.Errorf("port set %q: %w", text, err)
			}
			out = out.Union(PortsOf(proto, r))
		}
	}
	return out, nil
}

// ParsePortRange reads "80" or "80-90".
func ParsePortRange(text string) (PortRange, error) {
	fromText, toText, isRange := strings.Cut(text, "-")
	from, err := parsePort(fromText)
	if err != nil {
		return PortRange{}, err
	}
	to := from
	if isRange {
		if to, err = parsePort(toText); err != nil {
			return PortRange{}, err
		}
	}
	if to < from {
		return PortRange{}, fmt.Errorf("port range %q: end before start", text)
	}
	return PortRange{from, to}, nil
}

func parsePort(text string) (int32, error) {
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil || n < MinPort || n > MaxPort {
		return 0, fmt.Errorf("port %q: want a number from %d to %d", text, MinPort, MaxPort)
	}
	return int32(n), nil
}

// coalesce merges overlapping and adjacent intervals of a list sorted by lo.
// It may reuse the list's storage.
func coalesce(iv []interval) []interval {
	if len(iv) == 0 {
		return nil
	}
	out := iv[:1]
	for _, v := range iv[1:] {
		last := &out[len(out)-1]
		if v.lo <= last.hi+1 {
			last.hi = max(last.hi, v.hi)
			continue
		}
		out = append(out, v)
	}
	return out
}

// key identifies the set's contents, for interning.
func (s PortSet) key() string {
	b := make([]byte, 0, 8*len(s.iv))
	for _, v := range s.iv {
		b = append(b, byte(v.lo>>24), byte(v.lo>>16), byte(v.lo>>8), byte(v.lo),
			byte(v.hi>>24), byte(v.hi>>16), byte(v.hi>>8), byte(v.hi))
	}
	return string(b)
}

// portSetTable interns port sets so that the matrix, which combines the same
// few sets millions of times, works on small integers and memoises each
// union and intersection once.
type portSetTable struct {
	sets   []PortSet
	ids    map[string]uint32
	unions map[uint64]uint32
	inters map[uint64]uint32
}

const (
	noPortsID  uint32 = 0
	allPortsID uint32 = 1
)

func newPortSetTable() *portSetTable {
	t := &portSetTable{ids: map[string]uint32{}, unions: map[uint64]uint32{}, inters: map[uint64]uint32{}}
	t.intern(PortSet{})
	t.intern(allPorts)
	return t
}

func (t *portSetTable) intern(s PortSet) uint32 {
	k := s.key()
	if id, ok := t.ids[k]; ok {
		return id
	}
	id := uint32(len(t.sets))
	t.sets = append(t.sets, s)
	t.ids[k] = id
	return id
}

func pairKey(a, b uint32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func (t *portSetTable) union(a, b uint32) uint32 {
	switch {
	case a == b || b == noPortsID || a == allPortsID:
		return a
	case a == noPortsID || b == allPortsID:
		return b
	}
	k := pairKey(a, b)
	if id, ok := t.unions[k]; ok {
		return id
	}
	id := t.intern(t.sets[a].Union(t.sets[b]))
	t.unions[k] = id
	return id
}

func (t *portSetTable) intersect(a, b uint32) uint32 {
	switch {
	case a == b || b == allPortsID || a == noPortsID:
		return a
	case a == allPortsID || b == noPortsID:
		return b
	}
	k := pairKey(a, b)
	if id, ok := t.inters[k]; ok {
		return id
	}
	id := t.intern(t.sets[a].Intersect(t.sets[b]))
	t.inters[k] = id
	return id
}
