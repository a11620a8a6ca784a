package report

import (
	"encoding/json"
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// ReachabilityMatrix is the document `kubectl netaudit matrix -o json` writes.
type ReachabilityMatrix struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Source     inventory.Source `json:"source"`
	// Level is "workload" or "pod".
	Level reach.Level `json:"level"`
	// GroupBy is "namespace" when the nodes are namespaces, each pair
	// summing up the pairs of the level's nodes between two namespaces.
	GroupBy string        `json:"groupBy,omitempty"`
	Options reach.Options `json:"options"`
	Nodes   []MatrixNode  `json:"nodes"`
	// Pairs lists every (source, destination) with the ports allowed,
	// "all" or an object of protocol to port ranges. A pair that allows
	// nothing is absent.
	Pairs []MatrixPair `json:"pairs"`
	// Undefined lists the pairs and ports whose verdict may go either way
	// (cluster-wide policies of equal priority disagree, or a peer outside
	// the model may match); they are not in Pairs.
	Undefined []MatrixPair `json:"undefined,omitempty"`
	// Depends lists the pairs and ports whose verdict depends on the IP of
	// a pod that has none yet (a template or pending pod, and an ipBlock
	// holding part of the pod network); they are in neither Pairs nor
	// Undefined.
	Depends []MatrixPair `json:"depends,omitempty"`
	// External lists, per source, the address ranges outside the snapshot's
	// pods it may send to (egress) and be reached from (ingress).
	External []MatrixExternal `json:"external"`
	Stats    reach.Stats      `json:"stats"`
	// Assumptions are what the verdicts assumed and left out.
	Assumptions []inventory.Assumption `json:"assumptions"`

	// stream, when set, yields the pairs in place of Pairs, computed while
	// they are written (NewReachabilityMatrixStream).
	stream iter.Seq[MatrixPair]
	// grouped is, with GroupBy, the number of the level's nodes grouped.
	grouped int
}

// MatrixNode is a workload or pod of the matrix, or a namespace with
// --group-by namespace.
type MatrixNode struct {
	ID          string   `json:"id"`
	Namespace   string   `json:"namespace"`
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Pods        []string `json:"pods"`
	HostNetwork bool     `json:"hostNetwork,omitempty"`
}

// MatrixPair is traffic allowed from one node to another. The streamed
// writers (matrixstream.go) write these fields by hand, held to
// encoding/json by TestMatrixStreamMatchesEncoders.
type MatrixPair struct {
	From  string        `json:"from"`
	To    string        `json:"to"`
	Ports reach.PortSet `json:"ports"`
	// Count is, with --group-by namespace, the number of pairs of
	// workloads (pods with --pods) from one namespace to the other that
	// allow some traffic; Ports is the union of theirs.
	Count int `json:"count,omitempty"`

	// portsKey is reach.Edge.PortsKey: equal keys, equal ports (0: unknown).
	portsKey uint32
}

// MatrixExternal is one node's traffic with addresses outside the snapshot.
type MatrixExternal struct {
	Node    string            `json:"node"`
	Egress  []reach.CIDRPorts `json:"egress"`
	Ingress []reach.CIDRPorts `json:"ingress"`
	// UndefinedEgress and UndefinedIngress: ranges whose verdict may go
	// either way.
	UndefinedEgress  []reach.CIDRPorts `json:"undefinedEgress,omitempty"`
	UndefinedIngress []reach.CIDRPorts `json:"undefinedIngress,omitempty"`
}

// EachPair yields the pairs in order: Pairs, or for a streamed document the
// pairs as the engine computes them. Stats.ClassPairs of a streamed
// document is set once they have all been read.
func (d *ReachabilityMatrix) EachPair() iter.Seq[MatrixPair] {
	if d.stream != nil {
		return d.stream
	}
	return slices.Values(d.Pairs)
}

// Held returns the document with its pairs in Pairs: d itself, or for a
// streamed document a copy with the pairs collected (all in memory).
func (d *ReachabilityMatrix) Held() *ReachabilityMatrix {
	if d.stream == nil {
		return d
	}
	c := *d
	c.stream = nil
	c.Pairs = slices.Collect(d.stream)
	c.Stats = d.Stats // complete once the pairs were read
	if c.Pairs == nil {
		c.Pairs = []MatrixPair{}
	}
	return &c
}

// MarshalJSON writes the document; a streamed one has its pairs collected
// first (several contexts in one document hold them all).
func (d *ReachabilityMatrix) MarshalJSON() ([]byte, error) {
	type plain ReachabilityMatrix
	return json.Marshal((*plain)(d.Held()))
}

// NodeID names a matrix node the way explain and verify accept it:
// "ns/pod" for a pod, "ns/kind/name" for a workload.
func NodeID(level reach.Level, n reach.Node) string {
	if level == reach.ByPod {
		return n.Namespace + "/" + n.Name
	}
	return inventory.Workload{Namespace: n.Namespace, Kind: n.Kind, Name: n.Name}.String()
}

// MatrixFilter keeps only some pairs: Keep{From,To} say whether a node
// qualifies; Port, when set, keeps pairs and ranges that allow it.
type MatrixFilter struct {
	From, To func(reach.Node) bool
	Port     *PortFilter
}

// PortFilter is one port of one protocol.
type PortFilter struct {
	Port     int32
	Protocol reach.Protocol
}

// NewReachabilityMatrix turns the engine's matrix into the stable document.
func NewReachabilityMatrix(snap *inventory.Snapshot, m *reach.Matrix, f MatrixFilter) *ReachabilityMatrix {
	doc, ids, pass := newMatrixHead(snap, m, f)
	for _, e := range m.Edges {
		if pass(e) {
			doc.Pairs = append(doc.Pairs, MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports, portsKey: e.PortsKey})
		}
	}
	return doc
}

// NewReachabilityMatrixStream is NewReachabilityMatrix with the pairs
// computed while they are written: Pairs stays nil and EachPair yields
// them, so memory grows with the nodes, not with the pairs.
func NewReachabilityMatrixStream(snap *inventory.Snapshot, s *reach.MatrixStream, f MatrixFilter) *ReachabilityMatrix {
	doc, ids, pass := newMatrixHead(snap, &s.Matrix, f)
	doc.Pairs = nil
	doc.stream = func(yield func(MatrixPair) bool) {
		for e := range s.Edges() {
			if pass(e) && !yield(MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports, portsKey: e.PortsKey}) {
				return
			}
		}
		doc.Stats.ClassPairs = s.Stats.ClassPairs
	}
	return doc
}

// newMatrixHead builds the document without its pairs, the node IDs, and
// the filter of edges.
func newMatrixHead(snap *inventory.Snapshot, m *reach.Matrix, f MatrixFilter) (*ReachabilityMatrix, []string, func(reach.Edge) bool) {
	doc := &ReachabilityMatrix{
		APIVersion: APIVersion,
		Kind:       "ReachabilityMatrix",
		Source:     snap.Source,
		Level:      m.Level,
		Options:    m.Options,
		Nodes:      []MatrixNode{},
		Pairs:      []MatrixPair{},
		External:   []MatrixExternal{},
		Stats:      m.Stats,

		Assumptions: assumptionsOf(snap),
	}
	keep := func(fn func(reach.Node) bool, n reach.Node) bool { return fn == nil || fn(n) }
	ids := make([]string, len(m.Nodes))
	keepFrom := make([]bool, len(m.Nodes))
	keepTo := make([]bool, len(m.Nodes))
	for i, n := range m.Nodes {
		ids[i] = NodeID(m.Level, n)
		keepFrom[i], keepTo[i] = keep(f.From, n), keep(f.To, n)
		if keepFrom[i] || keepTo[i] {
			doc.Nodes = append(doc.Nodes, MatrixNode{ID: ids[i], Namespace: n.Namespace, Kind: n.Kind, Name: n.Name, Pods: n.Pods, HostNetwork: n.HostNetwork})
		}
	}
	for i, x := range m.External {
		// --from narrows who sends: egress of matching nodes, ingress from
		// outside only when --from is not given; --to the reverse.
		if ext, ok := f.external(ids[i], x, keepFrom[i] && f.To == nil, keepTo[i] && f.From == nil); ok {
			doc.External = append(doc.External, ext)
		}
	}
	pass := func(e reach.Edge) bool {
		return keepFrom[e.From] && keepTo[e.To] && f.portOK(e.Ports)
	}
	for _, e := range m.Undefined {
		if pass(e) {
			doc.Undefined = append(doc.Undefined, MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports})
		}
	}
	for _, e := range m.Depends {
		if pass(e) {
			doc.Depends = append(doc.Depends, MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports})
		}
	}
	return doc, ids, pass
}

func (f MatrixFilter) portOK(ps reach.PortSet) bool {
	return f.Port == nil || ps.Contains(f.Port.Protocol, f.Port.Port)
}

// external is a node's entry of External with the sides asked for, the
// ranges filtered by the port; false when nothing is left.
func (f MatrixFilter) external(id string, x reach.ExternalAccess, egress, ingress bool) (MatrixExternal, bool) {
	filterCIDRs := func(in []reach.CIDRPorts) []reach.CIDRPorts {
		out := []reach.CIDRPorts{}
		for _, c := range in {
			if f.portOK(c.Ports) {
				out = append(out, c)
			}
		}
		return out
	}
	ext := MatrixExternal{Node: id, Egress: []reach.CIDRPorts{}, Ingress: []reach.CIDRPorts{}}
	if egress {
		ext.Egress = filterCIDRs(x.Egress)
	}
	if ingress {
		ext.Ingress = filterCIDRs(x.Ingress)
	}
	if egress && len(x.UndefinedEgress) > 0 {
		ext.UndefinedEgress = filterCIDRs(x.UndefinedEgress)
	}
	if ingress && len(x.UndefinedIngress) > 0 {
		ext.UndefinedIngress = filterCIDRs(x.UndefinedIngress)
	}
	return ext, len(ext.Egress) > 0 || len(ext.Ingress) > 0 || len(ext.UndefinedEgress) > 0 || len(ext.UndefinedIngress) > 0
}

func cidrList(ps []netip.Prefix, wide bool) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return shorten(strings.Join(s, ","), wide)
}

// shorten keeps table rows readable; -o wide shows everything.
func shorten(s string, wide bool) string {
	const max = 60
	if wide || len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}

// NewNamespaceMatrix is the matrix grouped by namespace (--group-by
// namespace): one node per namespace, and per ordered pair of namespaces the
// union of the ports of the level's pairs between them and how many there
// are (Count), pairs within one namespace included. External access is a
// namespace's pods' together. Filters apply to the level's nodes before
// grouping. Like NewReachabilityMatrixStream, the pairs are computed while
// they are written, and memory grows with the namespaces: edges come sorted
// by source, and sources by namespace, so one namespace's sums are open at
// a time.
func NewNamespaceMatrix(snap *inventory.Snapshot, s *reach.MatrixStream, f MatrixFilter) *ReachabilityMatrix {
	m := &s.Matrix
	doc := &ReachabilityMatrix{
		APIVersion: APIVersion,
		Kind:       "ReachabilityMatrix",
		Source:     snap.Source,
		Level:      m.Level,
		GroupBy:    "namespace",
		Options:    m.Options,
		Nodes:      []MatrixNode{},
		External:   []MatrixExternal{},
		Stats:      m.Stats,
		grouped:    len(m.Nodes),

		Assumptions: assumptionsOf(snap),
	}

	keep := func(fn func(reach.Node) bool, n reach.Node) bool { return fn == nil || fn(n) }
	var names []string // sorted, as the nodes are
	nsOf := make([]int, len(m.Nodes))
	var from, to [][]int // per namespace, the nodes kept as source or destination
	for i, n := range m.Nodes {
		if len(names) == 0 || names[len(names)-1] != n.Namespace {
			names = append(names, n.Namespace)
			from, to = append(from, nil), append(to, nil)
		}
		ns := len(names) - 1
		nsOf[i] = ns
		if keep(f.From, n) {
			from[ns] = append(from[ns], i)
		}
		if keep(f.To, n) {
			to[ns] = append(to[ns], i)
		}
	}
	for ns, name := range names {
		if len(from[ns]) == 0 && len(to[ns]) == 0 {
			continue
		}
		node := MatrixNode{ID: name, Namespace: name, Kind: "Namespace", Name: name, Pods: []string{}}
		seen := map[int]bool{}
		for _, i := range append(from[ns], to[ns]...) {
			if seen[i] {
				continue
			}
			seen[i] = true
			node.Pods = append(node.Pods, m.Nodes[i].Pods...)
			node.HostNetwork = node.HostNetwork || m.Nodes[i].HostNetwork
		}
		slices.Sort(node.Pods)
		doc.Nodes = append(doc.Nodes, node)

		// --from narrows who sends, --to who receives, as for the nodes.
		var x reach.ExternalAccess
		if len(from[ns]) > 0 && f.To == nil {
			x.Egress = s.ExternalOf(from[ns]).Egress
		}
		if len(to[ns]) > 0 && f.From == nil {
			x.Ingress = s.ExternalOf(to[ns]).Ingress
		}
		if ext, ok := f.external(name, x, true, true); ok {
			doc.External = append(doc.External, ext)
		}
	}

	keepFrom := make([]bool, len(m.Nodes))
	keepTo := make([]bool, len(m.Nodes))
	for ns := range names {
		for _, i := range from[ns] {
			keepFrom[i] = true
		}
		for _, i := range to[ns] {
			keepTo[i] = true
		}
	}
	type sum struct {
		ports reach.PortSet
		keys  []uint32 // the edges' PortsKeys already in ports
		count int
	}
	doc.stream = func(yield func(MatrixPair) bool) {
		sums := make([]sum, len(names))
		var touched []int
		src := -1
		flush := func() bool {
			slices.Sort(touched)
			for _, d := range touched {
				p := MatrixPair{From: names[src], To: names[d], Ports: sums[d].ports, Count: sums[d].count}
				sums[d] = sum{keys: sums[d].keys[:0]}
				if !yield(p) {
					return false
				}
			}
			touched = touched[:0]
			return true
		}
		for e := range s.Edges() {
			if !keepFrom[e.From] || !keepTo[e.To] || !f.portOK(e.Ports) {
				continue
			}
			if ns := nsOf[e.From]; ns != src {
				if src >= 0 && !flush() {
					return
				}
				src = ns
			}
			d := nsOf[e.To]
			sm := &sums[d]
			if sm.count == 0 {
				touched = append(touched, d)
			}
			sm.count++
			if !slices.Contains(sm.keys, e.PortsKey) {
				sm.keys = append(sm.keys, e.PortsKey)
				sm.ports = sm.ports.Union(e.Ports)
			}
		}
		if src >= 0 && !flush() {
			return
		}
		doc.Stats.ClassPairs = s.Stats.ClassPairs
	}
	return doc
}
