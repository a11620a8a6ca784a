package reach

import (
	"fmt"
	"iter"
	"math/bits"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Level is the granularity of a Matrix.
type Level int

const (
	// ByWorkload has one node per workload (inventory.WorkloadOf); an edge
	// holds the ports on which at least one pod of the source reaches at
	// least one pod of the destination.
	ByWorkload Level = iota
	// ByPod has one node per pod.
	ByPod
)

// String renders "workload" or "pod".
func (l Level) String() string {
	if l == ByPod {
		return "pod"
	}
	return "workload"
}

// MarshalText makes a Level read as its name in JSON and YAML.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (l *Level) UnmarshalText(text []byte) error {
	v, err := ParseLevel(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLevel reads "workload" or "pod".
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "workload", "workloads":
		return ByWorkload, nil
	case "pod", "pods":
		return ByPod, nil
	}
	return 0, fmt.Errorf("unknown level %q: want workload or pod", s)
}

// Matrix says who can talk to whom, and on which ports. Edges and external
// entries share storage with one another: treat a Matrix as read-only.
type Matrix struct {
	Level   Level   `json:"level"`
	Options Options `json:"options"`
	Nodes   []Node  `json:"nodes"` // sorted by namespace, kind, name
	// Edges holds only non-empty port sets, sorted by From then To. A pod's
	// traffic to itself is never part of an edge: it is always allowed.
	Edges []Edge `json:"edges"`
	// Undefined lists, sorted by From then To, the ports whose verdict is
	// undefined (policies of equal priority disagree, or a peer outside
	// the model may match): neither allowed nor denied. Those ports are
	// not in Edges.
	Undefined []Edge `json:"undefined,omitempty"`
	// Depends lists, in the same way, the ports whose verdict is undefined
	// because it turns on the address of a pod without an IP
	// (Verdict.Depends); those ports are in neither Edges nor Undefined.
	Depends []Edge `json:"depends,omitempty"`
	// External has one entry per node, in the same order.
	External []ExternalAccess `json:"external"`
	Stats    Stats            `json:"stats"`
}

// Node is a workload or a pod.
type Node struct {
	Namespace string   `json:"namespace"`
	Kind      string   `json:"kind"` // "Pod" at ByPod level
	Name      string   `json:"name"`
	Pods      []string `json:"pods"` // sorted
	// HostNetwork is set when any of the node's pods uses the host network
	// and so escapes NetworkPolicy.
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// Edge is traffic allowed from Nodes[From] to Nodes[To].
type Edge struct {
	From  int     `json:"from"`
	To    int     `json:"to"`
	Ports PortSet `json:"ports"`
	// PortsKey is equal for edges of one matrix with equal Ports, so that
	// printers can render each port set once.
	PortsKey uint32 `json:"-"`
}

// ExternalAccess is what a node exchanges with addresses that are not pods
// of the snapshot, by its policies: traffic between a pod and its own node,
// always allowed (Verdict says so), is not part of it.
type ExternalAccess struct {
	// Egress: ports the node's pods may reach on those addresses.
	Egress []CIDRPorts `json:"egress"`
	// Ingress: ports on the node's pods those addresses may reach.
	Ingress []CIDRPorts `json:"ingress"`
	// UndefinedEgress and UndefinedIngress list the ranges and ports whose
	// verdict is undefined (see Matrix.Undefined).
	UndefinedEgress  []CIDRPorts `json:"undefinedEgress,omitempty"`
	UndefinedIngress []CIDRPorts `json:"undefinedIngress,omitempty"`
}

// CIDRPorts is a set of address ranges sharing one port set. Entries are
// sorted by their first CIDR, IPv4 first; ranges allowing nothing are left
// out, and unrestricted access is a single entry 0.0.0.0/0, ::/0 with all
// ports.
type CIDRPorts struct {
	CIDRs []netip.Prefix `json:"cidrs"`
	Ports PortSet        `json:"ports"`
}

// Stats says how much work the matrix took.
type Stats struct {
	Pods int `json:"pods"`
	// Classes is the number of pod equivalence classes: pods every policy
	// treats alike.
	Classes int `json:"classes"`
	// ClassPairs is the number of ordered class pairs whose ports the
	// matrix computed: the work a pod-pair evaluation would do PodPairs
	// times.
	ClassPairs int `json:"classPairs"`
	// PodPairs is pods*(pods-1), what a pod-by-pod evaluation would take.
	PodPairs int `json:"podPairs"`
	// AddressClasses is the number of address ranges ipBlocks tell apart.
	AddressClasses int `json:"addressClasses"`
}

// Matrix computes who can talk to whom at the given level, with every edge
// in memory; MatrixStream computes the edges while they are read.
//
// A model computes each level's matrix once and returns the same one to
// every caller (the audit, the diff and the html map share it): callers
// must not modify it.
func (m *Model) Matrix(level Level) *Matrix {
	m.matricesMu.Lock()
	defer m.matricesMu.Unlock()
	if out := m.matrices[level]; out != nil {
		return out
	}
	s := m.MatrixStream(level)
	out := s.Matrix
	for e := range s.Edges() {
		out.Edges = append(out.Edges, e)
	}
	out.Stats = s.Stats
	if m.matrices == nil {
		m.matrices = map[Level]*Matrix{}
	}
	m.matrices[level] = &out
	return &out
}

// MatrixStream is a Matrix whose edges are computed as they are read, so
// that its memory grows with nodes and classes, not with edges: the matrix
// of 10,000 bare pods has millions of edges. Edges is nil; Stats.ClassPairs
// is known once Edges has been read to the end.
type MatrixStream struct {
	Matrix
	ev    *matrixEval
	nodes []matrixNode
	// local lists, per node, the nodes it exchanges node-local traffic
	// with on all ports (see nodeLocal); nil when there is none.
	local [][]int32
}

// MatrixStream computes the nodes and external access at the given level;
// the edges come from Edges.
func (m *Model) MatrixStream(level Level) *MatrixStream {
	ci := m.classIndex()
	ev := newMatrixEval(m, ci)
	nodes, podNode := m.matrixNodes(level, ci)
	local := m.nodeLocal(len(nodes), podNode)

	out := Matrix{Level: level, Options: m.opts, Nodes: make([]Node, len(nodes))}
	for i := range nodes {
		out.Nodes[i] = nodes[i].Node
	}

	// Nodes made of the same classes see the outside alike.
	external := map[string]ExternalAccess{}
	for _, n := range nodes {
		var key strings.Builder
		for _, mb := range n.members {
			key.WriteString(strconv.Itoa(mb.class))
			key.WriteByte(',')
		}
		ext, ok := external[key.String()]
		if !ok {
			ext = ev.external(n.members)
			external[key.String()] = ext
		}
		out.External = append(out.External, ext)
	}

	if ev.hasUndef {
		out.Undefined, out.Depends = ev.undefinedEdges(nodes, local)
	}

	out.Stats = Stats{
		Pods:           len(m.pods),
		Classes:        len(ci.classes),
		PodPairs:       len(m.pods) * (len(m.pods) - 1),
		AddressClasses: len(ci.addrs.blocks),
	}
	return &MatrixStream{Matrix: out, ev: ev, nodes: nodes, local: local}
}

// ExternalOf is the access of a group of nodes to and from addresses
// outside the snapshot: what any of their pods may send or accept.
func (s *MatrixStream) ExternalOf(nodes []int) ExternalAccess {
	seen := map[int]bool{}
	var members []member
	for _, n := range nodes {
		for _, mb := range s.nodes[n].members {
			if !seen[mb.class] {
				seen[mb.class] = true
				members = append(members, mb)
			}
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].class < members[j].class })
	return s.ev.external(members)
}

// Edges yields the edges sorted by From then To, computing each source's
// edges when it is reached. Reading it again computes them again.
func (s *MatrixStream) Edges() iter.Seq[Edge] {
	return func(yield func(Edge) bool) {
		s.ev.classPairs = 0
		if s.ev.edges(s.nodes, s.local, yield) {
			s.Stats.ClassPairs = s.ev.classPairs
		}
	}
}

type matrixNode struct {
	Node
	members []member // sorted by class
	built   int      // index before sorting
}

// member counts the pods of one class in a node.
type member struct{ class, pods int }

// matrixNodes returns the nodes at the given level, and the node of each
// pod of the model.
func (m *Model) matrixNodes(level Level, ci *classIndex) ([]matrixNode, []int) {
	var nodes []matrixNode
	byKey := map[inventory.Workload]int{}
	podNode := make([]int, len(m.pods))
	for i := range m.pods {
		p := m.pods[i].pod
		w := inventory.Workload{Namespace: p.Namespace, Kind: "Pod", Name: p.Name}
		if level == ByWorkload {
			w = inventory.WorkloadOf(p)
		}
		n, ok := byKey[w]
		if !ok {
			n = len(nodes)
			byKey[w] = n
			nodes = append(nodes, matrixNode{Node: Node{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name}, built: n})
		}
		podNode[i] = n
		node := &nodes[n]
		node.Pods = append(node.Pods, p.Name)
		node.HostNetwork = node.HostNetwork || m.pods[i].hostNetwork
		c := ci.podClass[i]
		j := sort.Search(len(node.members), func(j int) bool { return node.members[j].class >= c })
		if j < len(node.members) && node.members[j].class == c {
			node.members[j].pods++
		} else {
			node.members = append(node.members, member{})
			copy(node.members[j+1:], node.members[j:])
			node.members[j] = member{class: c, pods: 1}
		}
	}
	for i := range nodes {
		sort.Strings(nodes[i].Pods)
	}
	sort.Slice(nodes, func(i, j int) bool {
		a, b := nodes[i].Node, nodes[j].Node
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	sorted := make([]int, len(nodes))
	for n := range nodes {
		sorted[nodes[n].built] = n
	}
	for i := range podNode {
		podNode[i] = sorted[podNode[i]]
	}
	return nodes, podNode
}

// nodeLocal lists, per matrix node, the nodes holding a pod that exchanges
// node-local traffic with one of its pods, ascending: a hostNetwork pod and
// a pod off the host network on the same node (sameNode) reach each other
// on every port whatever the policies say (Verdict), so the edges between
// their nodes, both ways, hold every port. It returns nil when no pair is
// node-local.
func (m *Model) nodeLocal(nodes int, podNode []int) [][]int32 {
	byName := map[string][]int{}
	byAddr := map[netip.Addr][]int{}
	hostNet := 0
	for i := range m.pods {
		p := &m.pods[i]
		if p.hostNetwork {
			hostNet++
			continue
		}
		if p.nodeName != "" {
			byName[p.nodeName] = append(byName[p.nodeName], i)
		}
		for _, h := range p.hostIPs {
			byAddr[h] = append(byAddr[h], i)
		}
	}
	if hostNet == 0 || len(byName) == 0 && len(byAddr) == 0 {
		return nil
	}
	var local [][]int32
	link := func(a, b int) {
		if local == nil {
			local = make([][]int32, nodes)
		}
		local[a] = append(local[a], int32(b))
		local[b] = append(local[b], int32(a))
	}
	seen := make([]int, len(m.pods)) // the hostNetwork pod a pod was last paired with, plus one
	for i := range m.pods {
		h := &m.pods[i]
		if !h.hostNetwork {
			continue
		}
		pair := func(cands []int) {
			for _, j := range cands {
				if seen[j] != i+1 {
					seen[j] = i + 1
					link(podNode[i], podNode[j])
				}
			}
		}
		if h.nodeName != "" {
			pair(byName[h.nodeName])
		}
		for _, a := range h.hostIPs {
			pair(byAddr[a])
		}
		for _, a := range h.ips {
			pair(byAddr[a])
		}
	}
	for n := range local {
		slices.Sort(local[n])
		local[n] = slices.Compact(local[n])
	}
	return local
}

// matrixEval holds, per isolation profile (the set of policies isolating a
// class in one direction), the ports allowed to or from every class and
// every address class. Classes sharing a profile share the work.
type matrixEval struct {
	m   *Model
	ci  *classIndex
	tbl *portSetTable
	// profile[d][c] indexes rows[d] and ext[d], or is -1 when class c is
	// not isolated in direction d.
	profile [2][]int
	// rows[egress][p] at dst class and rows[ingress][p] at src class:
	// ports the profile's rules allow toward or from that class.
	rows [2][]row
	// ext[d][p][address class]: the same toward or from addresses.
	ext [2][][]uint32
	// undef[d][p] and extUndef[d][p] map a class or address class to the
	// ports whose verdict is undefined (see Direction.Undefined); nil for
	// profiles without cluster-wide policies.
	undef, extUndef [2][]map[int]uint32
	hasUndef        bool
	// plain[d][p]: profile p's rows are classRow and addrRow of its
	// NetworkPolicies alone (no cluster-wide tier), so a rule's removal
	// changes them only where the rule matches (see sameWithout).
	plain [2][]bool
	// rulePorts memoises a rule's ports for a named-port vector (-1: an
	// address, on which names resolve to nothing).
	rulePorts map[[2]int]uint32
	// staticPorts memoises, by rule id, the ports of rules without named
	// ports, which do not depend on the destination (0: not yet known).
	staticPorts []uint32
	// ruleClasses memoises, by rule id, the classes a rule's peers match
	// (nil: not yet known), so rows visit only the classes a rule allows.
	ruleClasses [][]int32
	ruleKnown   []bool
	everyClass  []int32
	// depends lists the classes whose pods some peer matches only maybe
	// (podClass.depends); nil until classRowMaybe first needs it.
	depends []int
	// scratch and touched are profileRow's dense row and the entries it
	// set, kept at noPortsID and false between calls; scratchList is its
	// list of touched entries, kept for its capacity.
	scratch     []uint32
	touched     []bool
	scratchList []int32
	// byPeer lists, by peer id, the classes the peer matches (see
	// peerClasses); nil until first used.
	byPeer [][]int32
	// tierMemo memoises tierRows' decisions by their input (see tierRows).
	tierMemo map[string]tierDecision
	// seen and stamp mark the classes sparseSame has visited.
	seen  []uint32
	stamp uint32
	// classPairs counts the class pairs computed, for Stats.
	classPairs int
}

func newMatrixEval(m *Model, ci *classIndex) *matrixEval {
	ev := &matrixEval{m: m, ci: ci, tbl: newPortSetTable(), rulePorts: map[[2]int]uint32{},
		staticPorts: make([]uint32, m.ruleCount), ruleClasses: make([][]int32, m.ruleCount), ruleKnown: make([]bool, m.ruleCount),
		tierMemo: map[string]tierDecision{}}
	for _, d := range []Dir{ingress, egress} {
		ev.profile[d] = make([]int, len(ci.classes))
		byKey := map[string]int{}
		for c := range ci.classes {
			cl := &ci.classes[c]
			pols := cl.selectedBy[d]
			groups := m.tierGroupsOf(cl.tiers, d)
			if len(pols) == 0 && groups.empty() {
				ev.profile[d][c] = -1
				continue
			}
			// Named ports resolve on the destination: for ingress that is
			// the class itself, so it is part of the profile.
			subjectNamed := -1
			var key strings.Builder
			for _, pi := range pols {
				key.WriteString(strconv.Itoa(pi))
				key.WriteByte(',')
			}
			if d == ingress {
				subjectNamed = cl.named
				key.WriteString("|" + strconv.Itoa(cl.named))
			}
			if !groups.empty() {
				key.WriteString("|t")
				for _, pi := range cl.tiers {
					key.WriteString(strconv.Itoa(pi))
					key.WriteByte(',')
				}
			}
			p, ok := byKey[key.String()]
			if !ok {
				p = len(ev.rows[d])
				byKey[key.String()] = p
				if groups.empty() {
					row, undef := ev.profileRow(d, pols, subjectNamed)
					ev.hasUndef = ev.hasUndef || undef != nil
					ev.rows[d] = append(ev.rows[d], row)
					ev.ext[d] = append(ev.ext[d], ev.addrRow(d, pols, subjectNamed))
					ev.undef[d] = append(ev.undef[d], undef)
					ev.extUndef[d] = append(ev.extUndef[d], nil)
				} else {
					ev.tierRows(d, pols, groups, subjectNamed)
				}
				ev.plain[d] = append(ev.plain[d], groups.empty())
			}
			ev.profile[d][c] = p
		}
	}
	return ev
}

// classRow computes, for the rules of pols in direction d, the ports
// allowed with each class as the far end.
func (ev *matrixEval) classRow(d Dir, pols []int, subjectNamed int) []uint32 {
	return ev.classRowExcept(d, pols, subjectNamed, noRule)
}

// profileRow is compactRow(classRow(...)) and classRowMaybe of the same
// row, with the dense row in scratch space and its work and memory
// following the entries the rules touch: a profile of a default deny and a
// few rules allows a few classes among thousands.
func (ev *matrixEval) profileRow(d Dir, pols []int, subjectNamed int) (row, map[int]uint32) {
	n := len(ev.ci.classes)
	if ev.scratch == nil {
		ev.scratch, ev.touched = make([]uint32, n), make([]bool, n)
	}
	dense, touched := ev.scratch, ev.touched // all noPortsID, all false
	list := ev.scratchList[:0]
	defer func() { ev.scratchList = list[:0] }()
	for _, pi := range pols {
		pol := &ev.m.policies[pi]
		for ri := range pol.rules[d] {
			r := &pol.rules[d][ri]
			for _, c := range ev.classesOf(r) {
				named := subjectNamed
				if d == egress {
					named = ev.ci.classes[c].named
				}
				dense[c] = ev.tbl.union(dense[c], ev.portsOf(r, named))
				if !touched[c] {
					touched[c] = true
					list = append(list, c)
				}
			}
		}
	}
	undef := ev.classRowMaybe(d, pols, subjectNamed, dense)
	var out row
	if len(list)*4 <= n {
		// Mostly nothing: compactRow's sparse form, without its walk.
		slices.Sort(list)
		out = row{n: n, def: noPortsID}
		k := 0
		for _, c := range list {
			if dense[c] != noPortsID {
				k++
			}
		}
		if k > 0 {
			out.idx, out.val = make([]int32, 0, k), make([]uint32, 0, k)
		}
		for _, c := range list {
			if id := dense[c]; id != noPortsID {
				out.idx = append(out.idx, c)
				out.val = append(out.val, id)
			}
		}
	} else {
		out = compactRow(slices.Clone(dense))
	}
	for _, c := range list {
		dense[c], touched[c] = noPortsID, false
	}
	return out, undef
}

// ruleID names one compiled rule: a policy index and a position in its
// rules of one direction. noRule names none.
type ruleID struct{ policy, rule int }

var noRule = ruleID{-1, -1}

// classRowExcept is classRow without one rule, to see whether it matters.
func (ev *matrixEval) classRowExcept(d Dir, pols []int, subjectNamed int, except ruleID) []uint32 {
	row := make([]uint32, len(ev.ci.classes))
	for _, pi := range pols {
		pol := &ev.m.policies[pi]
		for ri := range pol.rules[d] {
			if (ruleID{pi, ri}) == except {
				continue
			}
			r := &pol.rules[d][ri]
			for _, c := range ev.classesOf(r) {
				named := subjectNamed
				if d == egress {
					named = ev.ci.classes[c].named
				}
				row[c] = ev.tbl.union(row[c], ev.portsOf(r, named))
			}
		}
	}
	return row
}

// classRowMaybe returns, for the classes whose pods some peer matches only
// maybe (pods without an IP), the ports that rules of pols in direction d
// may allow beyond row, the ports they allow for sure; nil when there are
// none.
func (ev *matrixEval) classRowMaybe(d Dir, pols []int, subjectNamed int, row []uint32) map[int]uint32 {
	return ev.classRowMaybeExcept(d, pols, subjectNamed, row, noRule)
}

// classRowMaybeExcept is classRowMaybe without one rule.
func (ev *matrixEval) classRowMaybeExcept(d Dir, pols []int, subjectNamed int, row []uint32, except ruleID) map[int]uint32 {
	var out map[int]uint32
	for _, c := range ev.dependsClasses() {
		cl := &ev.ci.classes[c]
		named := subjectNamed
		if d == egress {
			named = cl.named
		}
		may := PortSet{}
		for _, pi := range pols {
			pol := &ev.m.policies[pi]
			for ri := range pol.rules[d] {
				if (ruleID{pi, ri}) == except {
					continue
				}
				r := &pol.rules[d][ri]
				if classMatch(r, cl) == matchMaybe {
					may = may.Union(ev.tbl.sets[ev.portsOf(r, named)])
				}
			}
		}
		if may = may.Subtract(ev.tbl.sets[row[c]]); !may.IsEmpty() {
			if out == nil {
				out = map[int]uint32{}
			}
			out[c] = ev.tbl.intern(may)
		}
	}
	return out
}

// dependsClasses lists the classes whose pods some peer matches only
// maybe (podClass.depends), ascending.
func (ev *matrixEval) dependsClasses() []int {
	if ev.depends == nil {
		ev.depends = []int{}
		for c := range ev.ci.classes {
			if ev.ci.classes[c].depends {
				ev.depends = append(ev.depends, c)
			}
		}
	}
	return ev.depends
}

// classesOf returns the classes a rule's peers match, all of them for a
// rule without peers.
func (ev *matrixEval) classesOf(r *rule) []int32 {
	if ev.ruleKnown[r.id] {
		return ev.ruleClasses[r.id]
	}
	var out []int32
	switch {
	case len(r.peers) == 0:
		// Every rule without peers shares one list.
		if ev.everyClass == nil {
			ev.everyClass = make([]int32, len(ev.ci.classes))
			for c := range ev.everyClass {
				ev.everyClass[c] = int32(c)
			}
		}
		out = ev.everyClass
	case len(r.peers) == 1:
		out = ev.peerClasses(r.peers[0].id)
	default:
		// The union of the peers' classes, ascending, as a walk of every
		// class with ruleMatchesClass would list them.
		seen := map[int32]bool{}
		for k := range r.peers {
			for _, c := range ev.peerClasses(r.peers[k].id) {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		slices.Sort(out)
	}
	ev.ruleClasses[r.id], ev.ruleKnown[r.id] = out, true
	return out
}

// peerClasses returns the classes peer id matches, ascending (see
// classesByPeer), building the index on first use so that a rule's classes
// cost what they hold, not a walk of every class.
func (ev *matrixEval) peerClasses(id int) []int32 {
	if ev.byPeer == nil {
		ev.byPeer = ev.ci.classesByPeer()
	}
	if id < 0 || id >= len(ev.byPeer) {
		return nil
	}
	return ev.byPeer[id]
}

// classesByPeer lists, by peer id, the classes the peer matches, ascending:
// the classes whose peers bitset has it.
func classesByPeer(classes []podClass) [][]int32 {
	// Count first, so that the lists share one array cut to size.
	var count []int
	total := 0
	for c := range classes {
		for w, word := range classes[c].peers {
			for word != 0 {
				p := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				for p >= len(count) {
					count = append(count, 0)
				}
				count[p]++
				total++
			}
		}
	}
	out := make([][]int32, len(count))
	all := make([]int32, total)
	for p, n := range count {
		if n > 0 {
			out[p], all = all[:0:n], all[n:]
		}
	}
	for c := range classes {
		for w, word := range classes[c].peers {
			for word != 0 {
				p := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				out[p] = append(out[p], int32(c))
			}
		}
	}
	return out
}

func ruleMatchesClass(r *rule, cl *podClass) bool {
	if len(r.peers) == 0 {
		return true
	}
	for k := range r.peers {
		if cl.peers.has(r.peers[k].id) {
			return true
		}
	}
	return false
}

// addrRow computes, for the rules of pols in direction d, the ports allowed
// with each address class as the far end.
func (ev *matrixEval) addrRow(d Dir, pols []int, subjectNamed int) []uint32 {
	return ev.addrRowExcept(d, pols, subjectNamed, noRule)
}

// addrRowExcept is addrRow without one rule.
func (ev *matrixEval) addrRowExcept(d Dir, pols []int, subjectNamed int, except ruleID) []uint32 {
	addrBlocks := ev.ci.addrs.blocks
	row := make([]uint32, len(addrBlocks))
	named := subjectNamed
	if d == egress {
		named = -1 // the address is the destination
	}
	for _, pi := range pols {
		pol := &ev.m.policies[pi]
		for ri := range pol.rules[d] {
			if (ruleID{pi, ri}) == except {
				continue
			}
			r := &pol.rules[d][ri]
			for a, in := range addrBlocks {
				if ruleMatchesAddr(r, in) {
					row[a] = ev.tbl.union(row[a], ev.portsOf(r, named))
				}
			}
		}
	}
	return row
}

func ruleMatchesAddr(r *rule, in bitset) bool {
	if len(r.peers) == 0 {
		return true
	}
	for k := range r.peers {
		if b := r.peers[k].block; b >= 0 && in.has(b) {
			return true
		}
	}
	return false
}

// portsOf returns a rule's ports with named ports resolved by a vector of
// classIndex.named (-1: resolved on an address, so not at all).
func (ev *matrixEval) portsOf(r *rule, named int) uint32 {
	if len(r.ports) == 0 {
		return allPortsID
	}
	if len(r.named) == 0 {
		if id := ev.staticPorts[r.id]; id != 0 {
			return id
		}
		// A rule with ports and no names allows some, so its id is not 0
		// (noPortsID), the "not yet known" mark.
		id := ev.tbl.intern(r.static)
		ev.staticPorts[r.id] = id
		return id
	}
	k := [2]int{r.id, named}
	if id, ok := ev.rulePorts[k]; ok {
		return id
	}
	id := ev.tbl.intern(ev.ci.rulePortSet(ev.m, r, named))
	ev.rulePorts[k] = id
	return id
}

// pair returns the ports a pod of class s may use to reach a pod of class d.
func (ev *matrixEval) pair(s, d int) uint32 {
	out, in := allPortsID, allPortsID
	if p := ev.profile[egress][s]; p >= 0 {
		out = ev.rows[egress][p].at(d)
	}
	if p := ev.profile[ingress][d]; p >= 0 {
		in = ev.rows[ingress][p].at(s)
	}
	return ev.tbl.intersect(out, in)
}

// edges yields the matrix's edges, sorted by From then To, until yield
// returns false; it reports whether it reached the end.
//
// A node's edges depend only on its shape: its classes, and for each
// whether it holds one pod or several (which matters only for the node's
// traffic to itself). So edge values are computed once per pair of shapes,
// and each node visits only the nodes of shapes it reaches: the cost grows
// with shapes and edges, not with the square of the nodes. Nothing grows
// with the edges: a shape's row of values is kept while rows fit in
// maxDensePairs entries, and the nodes a source reaches are a bitset.
//
// Node-local pairs (local, see nodeLocal) add their edges on every port.
func (ev *matrixEval) edges(nodes []matrixNode, local [][]int32, yield func(Edge) bool) bool {
	var shapes [][]member // members with pods capped at 2
	var shapeNodes [][]int
	nodeShape := make([]int, len(nodes))
	shapeOf := map[string]int{}
	for i := range nodes {
		var key strings.Builder
		shape := make([]member, len(nodes[i].members))
		for j, mb := range nodes[i].members {
			shape[j] = member{class: mb.class, pods: min(mb.pods, 2)}
			fmt.Fprintf(&key, "%d:%d,", shape[j].class, shape[j].pods)
		}
		s, ok := shapeOf[key.String()]
		if !ok {
			s = len(shapes)
			shapeOf[key.String()] = s
			shapes = append(shapes, shape)
			shapeNodes = append(shapeNodes, nil)
		}
		nodeShape[i] = s
		shapeNodes[s] = append(shapeNodes[s], i)
	}

	pair := ev.cachedPairs()
	// value is the union of the class pairs between two shapes; within one
	// node (self) a class of a single pod is not paired with itself.
	value := func(sa, sb int, self bool) uint32 {
		id := noPortsID
		for _, ma := range shapes[sa] {
			for _, mb := range shapes[sb] {
				if self && ma.class == mb.class && ma.pods == 1 {
					continue // the only pair is a pod and itself
				}
				id = ev.tbl.union(id, pair(ma.class, mb.class))
			}
		}
		return id
	}

	// shapeRow is what a source shape sends to each shape, and to a node of
	// its own shape that is the source itself (self).
	type shapeRow struct {
		to   []uint32
		self uint32
	}
	rows := map[int]*shapeRow{}
	rowOf := func(sa int) *shapeRow {
		if r, ok := rows[sa]; ok {
			return r
		}
		if (len(rows)+1)*len(shapes) > maxDensePairs {
			clear(rows) // nodes are sorted by namespace, and so mostly grouped by shape
		}
		r := &shapeRow{to: make([]uint32, len(shapes)), self: noPortsID}
		for sb := range shapes {
			// When the shape has one node, that node is the source itself.
			r.to[sb] = value(sa, sb, sb == sa && len(shapeNodes[sa]) == 1)
		}
		if r.to[sa] != noPortsID {
			r.self = value(sa, sa, true)
		}
		rows[sa] = r
		return r
	}

	reached := newBitset(len(nodes))
	last := -1
	for a := range nodes {
		sa := nodeShape[a]
		r := rowOf(sa)
		if sa != last {
			clear(reached)
			for sb, id := range r.to {
				if id != noPortsID {
					for _, b := range shapeNodes[sb] {
						reached.set(b)
					}
				}
			}
			last = sa
		}
		// extra are node-local targets, merged in order with reached.
		var extra []int32
		if local != nil {
			extra = local[a]
		}
		all := func(b int32) bool {
			return yield(Edge{From: a, To: int(b), Ports: ev.tbl.sets[allPortsID], PortsKey: allPortsID})
		}
		for w, word := range reached {
			for word != 0 {
				b := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				for len(extra) > 0 && int(extra[0]) < b {
					if !all(extra[0]) {
						return false
					}
					extra = extra[1:]
				}
				if len(extra) > 0 && int(extra[0]) == b {
					extra = extra[1:]
					if !all(int32(b)) {
						return false
					}
					continue
				}
				id := r.to[nodeShape[b]]
				if b == a {
					if id = r.self; id == noPortsID {
						continue
					}
				}
				if !yield(Edge{From: a, To: b, Ports: ev.tbl.sets[id], PortsKey: id}) {
					return false
				}
			}
		}
		for _, b := range extra {
			if !all(b) {
				return false
			}
		}
	}
	return true
}

// maxDensePairs bounds the class-pair cache: 4M entries, 16 MiB.
const maxDensePairs = 1 << 22

// cachedPairs returns ev.pair memoised in a dense table when classes are
// few enough, and counts the class pairs computed.
func (ev *matrixEval) cachedPairs() func(s, d int) uint32 {
	n := len(ev.ci.classes)
	if n*n > maxDensePairs {
		return func(s, d int) uint32 {
			ev.classPairs++
			return ev.pair(s, d)
		}
	}
	const unset = ^uint32(0)
	dense := make([]uint32, n*n)
	for i := range dense {
		dense[i] = unset
	}
	return func(s, d int) uint32 {
		k := s*n + d
		if dense[k] == unset {
			dense[k] = ev.pair(s, d)
			ev.classPairs++
		}
		return dense[k]
	}
}

// external computes a node's access to and from addresses.
func (ev *matrixEval) external(members []member) ExternalAccess {
	side := func(d Dir) []CIDRPorts {
		perAddr := make([]uint32, len(ev.ci.addrs.blocks))
		for a := range perAddr {
			id := noPortsID
			for _, mb := range members {
				one := allPortsID
				if p := ev.profile[d][mb.class]; p >= 0 {
					one = ev.ext[d][p][a]
				}
				id = ev.tbl.union(id, one)
			}
			perAddr[a] = id
		}
		return ev.cidrPorts(perAddr)
	}
	out := ExternalAccess{Egress: side(egress), Ingress: side(ingress)}
	if ev.hasUndef {
		undef := func(d Dir) []CIDRPorts {
			perAddr := make([]uint32, len(ev.ci.addrs.blocks))
			any := false
			for a := range perAddr {
				u := PortSet{}
				for _, mb := range members {
					if p := ev.profile[d][mb.class]; p >= 0 && ev.extUndef[d][p] != nil {
						u = u.Union(ev.tbl.sets[ev.extUndef[d][p][a]])
					}
				}
				// Ports some member allows for sure are not undefined for
				// the node.
				u = u.Subtract(ev.tbl.sets[perAddrSure(ev, d, members, a)])
				perAddr[a] = ev.tbl.intern(u)
				any = any || !u.IsEmpty()
			}
			if !any {
				return nil
			}
			return ev.cidrPorts(perAddr)
		}
		out.UndefinedEgress, out.UndefinedIngress = undef(egress), undef(ingress)
	}
	return out
}

func perAddrSure(ev *matrixEval, d Dir, members []member, a int) uint32 {
	id := noPortsID
	for _, mb := range members {
		one := allPortsID
		if p := ev.profile[d][mb.class]; p >= 0 {
			one = ev.ext[d][p][a]
		}
		id = ev.tbl.union(id, one)
	}
	return id
}

// undefinedEdges lists the node pairs with undefined ports, and apart from
// them those whose ports depend on a pod's IP; cluster-wide policies that
// make verdicts undefined, and pods without an IP, are rare, so this is done
// pair by pair on the classes involved.
//
// Node-local pairs (local) are allowed on every port: nothing of theirs is
// undefined.
func (ev *matrixEval) undefinedEdges(nodes []matrixNode, local [][]int32) (undefined, depends []Edge) {
	type split struct{ undef, dep PortSet }
	cache := map[[2]int]split{}
	pairU := func(s, d int) split {
		k := [2]int{s, d}
		if u, ok := cache[k]; ok {
			return u
		}
		var u split
		u.undef, u.dep = ev.pairUndef(s, d)
		cache[k] = u
		return u
	}
	for a := range nodes {
		for b := range nodes {
			if local != nil {
				if _, ok := slices.BinarySearch(local[a], int32(b)); ok {
					continue
				}
			}
			u, dep, sure := PortSet{}, PortSet{}, PortSet{}
			for _, ma := range nodes[a].members {
				for _, mb := range nodes[b].members {
					if a == b && ma.class == mb.class && ma.pods == 1 {
						continue
					}
					p := pairU(ma.class, mb.class)
					u, dep = u.Union(p.undef), dep.Union(p.dep)
					sure = sure.Union(ev.tbl.sets[ev.pair(ma.class, mb.class)])
				}
			}
			if dep = dep.Subtract(sure); !dep.IsEmpty() {
				depends = append(depends, Edge{From: a, To: b, Ports: dep, PortsKey: ev.tbl.intern(dep)})
			}
			if u = u.Subtract(sure).Subtract(dep); !u.IsEmpty() {
				undefined = append(undefined, Edge{From: a, To: b, Ports: u, PortsKey: ev.tbl.intern(u)})
			}
		}
	}
	return undefined, depends
}

// cidrPorts groups the address space by port set: adjacent segments with
// one set merge into a range, and each range becomes its minimal CIDRs.
func (ev *matrixEval) cidrPorts(perAddr []uint32) []CIDRPorts {
	var out []CIDRPorts
	entry := map[uint32]int{}
	flush := func(r AddrRange, id uint32) {
		if id == noPortsID {
			return
		}
		i, ok := entry[id]
		if !ok {
			i = len(out)
			entry[id] = i
			out = append(out, CIDRPorts{Ports: ev.tbl.sets[id]})
		}
		out[i].CIDRs = append(out[i].CIDRs, r.CIDRs()...)
	}
	for f := range ev.ci.addrs.families {
		seg := &ev.ci.addrs.families[f]
		var run AddrRange
		runID := noPortsID
		for i := range seg.starts {
			r, a := seg.segment(i)
			if id := perAddr[a]; i == 0 || id != runID {
				if i > 0 {
					flush(run, runID)
				}
				run, runID = r, id
				continue
			}
			run.To = r.To
		}
		flush(run, runID)
	}
	// Ranges were appended in address order, so each entry's CIDRs are
	// sorted and entries can be ordered by their first one.
	sort.Slice(out, func(i, j int) bool { return out[i].CIDRs[0].Addr().Less(out[j].CIDRs[0].Addr()) })
	return out
}
