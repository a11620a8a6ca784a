package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
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
	Level   reach.Level   `json:"level"`
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
	// External lists, per source, the address ranges outside the snapshot's
	// pods it may send to (egress) and be reached from (ingress).
	External []MatrixExternal `json:"external"`
	Stats    reach.Stats      `json:"stats"`
	// Assumptions are what the verdicts assumed and left out.
	Assumptions []inventory.Assumption `json:"assumptions"`
}

// MatrixNode is a workload or pod of the matrix.
type MatrixNode struct {
	ID          string   `json:"id"`
	Namespace   string   `json:"namespace"`
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Pods        []string `json:"pods"`
	HostNetwork bool     `json:"hostNetwork,omitempty"`
}

// MatrixPair is traffic allowed from one node to another.
type MatrixPair struct {
	From  string        `json:"from"`
	To    string        `json:"to"`
	Ports reach.PortSet `json:"ports"`
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
	portOK := func(ps reach.PortSet) bool { return f.Port == nil || ps.Contains(f.Port.Protocol, f.Port.Port) }
	ids := make([]string, len(m.Nodes))
	for i, n := range m.Nodes {
		ids[i] = NodeID(m.Level, n)
		if keep(f.From, n) || keep(f.To, n) {
			doc.Nodes = append(doc.Nodes, MatrixNode{ID: ids[i], Namespace: n.Namespace, Kind: n.Kind, Name: n.Name, Pods: n.Pods, HostNetwork: n.HostNetwork})
		}
	}
	for _, e := range m.Edges {
		if keep(f.From, m.Nodes[e.From]) && keep(f.To, m.Nodes[e.To]) && portOK(e.Ports) {
			doc.Pairs = append(doc.Pairs, MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports})
		}
	}
	for _, e := range m.Undefined {
		if keep(f.From, m.Nodes[e.From]) && keep(f.To, m.Nodes[e.To]) && portOK(e.Ports) {
			doc.Undefined = append(doc.Undefined, MatrixPair{From: ids[e.From], To: ids[e.To], Ports: e.Ports})
		}
	}
	filterCIDRs := func(in []reach.CIDRPorts) []reach.CIDRPorts {
		out := []reach.CIDRPorts{}
		for _, c := range in {
			if portOK(c.Ports) {
				out = append(out, c)
			}
		}
		return out
	}
	for i, x := range m.External {
		n := m.Nodes[i]
		ext := MatrixExternal{Node: ids[i], Egress: []reach.CIDRPorts{}, Ingress: []reach.CIDRPorts{}}
		// --from narrows who sends: egress of matching nodes, ingress from
		// outside only when --from is not given; --to the reverse.
		if keep(f.From, n) && f.To == nil {
			ext.Egress = filterCIDRs(x.Egress)
		}
		if keep(f.To, n) && f.From == nil {
			ext.Ingress = filterCIDRs(x.Ingress)
		}
		if keep(f.From, n) && f.To == nil && len(x.UndefinedEgress) > 0 {
			ext.UndefinedEgress = filterCIDRs(x.UndefinedEgress)
		}
		if keep(f.To, n) && f.From == nil && len(x.UndefinedIngress) > 0 {
			ext.UndefinedIngress = filterCIDRs(x.UndefinedIngress)
		}
		if len(ext.Egress) > 0 || len(ext.Ingress) > 0 || len(ext.UndefinedEgress) > 0 || len(ext.UndefinedIngress) > 0 {
			doc.External = append(doc.External, ext)
		}
	}
	return doc
}

// PrintMatrixTable writes one row per (source, destination) with the source
// shown once per group, then the rows to and from addresses outside the
// cluster. Without wide, long port and CIDR lists are shortened.
func PrintMatrixTable(w io.Writer, doc *ReachabilityMatrix, wide, noHeaders bool) error {
	t := &Table{NoHeaders: noHeaders, Headers: []string{"SOURCE", "DESTINATION", "PORTS"}}
	prev := ""
	for _, p := range doc.Pairs {
		src := p.From
		if src == prev {
			src = ""
		}
		prev = p.From
		t.Rows = append(t.Rows, []string{src, p.To, shorten(p.Ports.String(), wide)})
	}
	if len(t.Rows) == 0 {
		fmt.Fprintln(w, "No pod-to-pod traffic is allowed between the selected sources and destinations.")
	} else if err := t.Render(w); err != nil {
		return err
	}
	x := &Table{NoHeaders: noHeaders, Headers: []string{"SOURCE", "DESTINATION", "PORTS"}}
	for _, e := range doc.External {
		for _, c := range e.Egress {
			x.Rows = append(x.Rows, []string{e.Node, cidrList(c.CIDRs, wide), shorten(c.Ports.String(), wide)})
		}
	}
	for _, e := range doc.External {
		for _, c := range e.Ingress {
			x.Rows = append(x.Rows, []string{cidrList(c.CIDRs, wide), e.Node, shorten(c.Ports.String(), wide)})
		}
	}
	if len(x.Rows) > 0 {
		fmt.Fprintln(w)
		if err := x.Render(w); err != nil {
			return err
		}
	}
	u := &Table{NoHeaders: noHeaders, Headers: []string{"SOURCE", "DESTINATION", "UNDEFINED-PORTS"}}
	for _, p := range doc.Undefined {
		u.Rows = append(u.Rows, []string{p.From, p.To, shorten(p.Ports.String(), wide)})
	}
	for _, e := range doc.External {
		for _, c := range e.UndefinedEgress {
			u.Rows = append(u.Rows, []string{e.Node, cidrList(c.CIDRs, wide), shorten(c.Ports.String(), wide)})
		}
		for _, c := range e.UndefinedIngress {
			u.Rows = append(u.Rows, []string{cidrList(c.CIDRs, wide), e.Node, shorten(c.Ports.String(), wide)})
		}
	}
	if len(u.Rows) > 0 {
		fmt.Fprintln(w, "\nUndefined: allowed or denied depending on the implementation (equal priorities) or on what objects cannot tell (domainNames, nodes):")
		if err := u.Render(w); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n%d %ss, %d pods in %d classes: %d class pairs evaluated for %d pod pairs.\n",
		len(doc.Nodes), doc.Level, doc.Stats.Pods, doc.Stats.Classes, doc.Stats.ClassPairs, doc.Stats.PodPairs)
	printAssumptionsAfter(w, doc.Assumptions)
	return nil
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

// PrintMatrixCSV writes one record per (from, to, ports); external ranges
// appear as "cidr:<prefix>" endpoints, one record per prefix.
func PrintMatrixCSV(w io.Writer, doc *ReachabilityMatrix, noHeaders bool) error {
	cw := csv.NewWriter(w)
	if !noHeaders {
		_ = cw.Write([]string{"from", "to", "ports"})
	}
	for _, p := range doc.Pairs {
		_ = cw.Write([]string{p.From, p.To, p.Ports.String()})
	}
	for _, e := range doc.External {
		for _, c := range e.Egress {
			for _, p := range c.CIDRs {
				_ = cw.Write([]string{e.Node, "cidr:" + p.String(), c.Ports.String()})
			}
		}
		for _, c := range e.Ingress {
			for _, p := range c.CIDRs {
				_ = cw.Write([]string{"cidr:" + p.String(), e.Node, c.Ports.String()})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// PrintMatrixDot writes a Graphviz digraph: one box per node (clustered by
// namespace), one edge per allowed pair labelled with its ports, and an
// ellipse per external address range.
func PrintMatrixDot(w io.Writer, doc *ReachabilityMatrix) error {
	var b strings.Builder
	for _, a := range doc.Assumptions {
		fmt.Fprintf(&b, "// %s\n", strings.ReplaceAll(assumptionLine(a), "\n", " "))
	}
	b.WriteString("digraph netaudit {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	byNS := map[string][]MatrixNode{}
	var order []string
	for _, n := range doc.Nodes {
		if _, ok := byNS[n.Namespace]; !ok {
			order = append(order, n.Namespace)
		}
		byNS[n.Namespace] = append(byNS[n.Namespace], n)
	}
	for i, ns := range order {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q;\n", i, ns)
		for _, n := range byNS[ns] {
			label := n.Name
			if doc.Level == reach.ByWorkload {
				label = strings.ToLower(n.Kind) + "/" + n.Name
			}
			fmt.Fprintf(&b, "    %q [label=%q];\n", n.ID, label)
		}
		b.WriteString("  }\n")
	}
	for _, p := range doc.Pairs {
		fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", p.From, p.To, p.Ports.String())
	}
	ext := map[string]bool{}
	extNode := func(cs []netip.Prefix) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.String())
		}
		id := "cidr:" + strings.Join(s, ",")
		if !ext[id] {
			ext[id] = true
			fmt.Fprintf(&b, "  %q [shape=ellipse, label=%q];\n", id, strings.Join(s, "\n"))
		}
		return id
	}
	for _, e := range doc.External {
		for _, c := range e.Egress {
			fmt.Fprintf(&b, "  %q -> %q [label=%q, style=dashed];\n", e.Node, extNode(c.CIDRs), c.Ports.String())
		}
		for _, c := range e.Ingress {
			fmt.Fprintf(&b, "  %q -> %q [label=%q, style=dashed];\n", extNode(c.CIDRs), e.Node, c.Ports.String())
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
