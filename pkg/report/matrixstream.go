package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// The matrix printers write each pair as it comes (EachPair), through a
// buffer of fixed size: a streamed document never holds its pairs, so the
// matrix of 10,000 bare pods, millions of pairs, prints in memory that
// grows with the nodes. Each printer writes what the whole-document
// encoders and Table wrote before, byte for byte.

const streamBuffer = 64 << 10

// PrintMatrixTable writes one row per (source, destination) with the source
// shown once per group, then the rows to and from addresses outside the
// cluster. Without wide, long port and CIDR lists are shortened.
//
// The pairs are read twice: once for the column widths, once to write them,
// so the table is aligned as a whole without being held.
func PrintMatrixTable(w io.Writer, doc *ReachabilityMatrix, wide, noHeaders bool) error {
	bw := bufio.NewWriterSize(w, streamBuffer)
	headers := []string{"SOURCE", "DESTINATION", "PORTS"}
	if doc.GroupBy != "" {
		headers = []string{"SOURCE", "DESTINATION", strings.ToUpper(doc.Level.String()) + "-PAIRS", "PORTS"}
	}
	cells := make([]string, len(headers))
	row := func(p MatrixPair, src string, ports *portStrings) []string {
		cells[0], cells[1], cells[len(cells)-1] = src, p.To, ports.text(p, wide)
		if doc.GroupBy != "" {
			cells[2] = strconv.Itoa(p.Count)
		}
		return cells
	}

	// The last column is not padded, so only the others need a width.
	t := newAlignedRows(bw, len(headers))
	if !noHeaders {
		t.measure(headers)
	}
	rows := 0
	var ports portStrings
	for p := range doc.EachPair() {
		t.measure(row(p, p.From, &ports))
		rows++
	}
	if rows == 0 {
		fmt.Fprintln(bw, "No pod-to-pod traffic is allowed between the selected sources and destinations.")
	} else {
		if !noHeaders {
			t.write(headers)
		}
		prev := ""
		for p := range doc.EachPair() {
			src := p.From
			if src == prev {
				src = ""
			}
			prev = p.From
			t.write(row(p, src, &ports))
		}
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
		fmt.Fprintln(bw)
		if err := x.Render(bw); err != nil {
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
		fmt.Fprintln(bw, "\nUndefined: allowed or denied depending on the implementation (equal priorities) or on what objects cannot tell (domainNames, nodes):")
		if err := u.Render(bw); err != nil {
			return err
		}
	}
	dep := &Table{NoHeaders: noHeaders, Headers: []string{"SOURCE", "DESTINATION", "DEPENDS-PORTS"}}
	for _, p := range doc.Depends {
		dep.Rows = append(dep.Rows, []string{p.From, p.To, shorten(p.Ports.String(), wide)})
	}
	if len(dep.Rows) > 0 {
		fmt.Fprintln(bw, "\nDepends: allowed or denied depending on the IP a pod without one gets (an ipBlock holds part of the pod network):")
		if err := dep.Render(bw); err != nil {
			return err
		}
	}
	if doc.GroupBy != "" {
		fmt.Fprintf(bw, "\n%d %ss of %d %ss, %d pods in %d classes: %d class pairs evaluated for %d pod pairs.\n",
			len(doc.Nodes), doc.GroupBy, doc.grouped, doc.Level, doc.Stats.Pods, doc.Stats.Classes, doc.Stats.ClassPairs, doc.Stats.PodPairs)
	} else {
		fmt.Fprintf(bw, "\n%d %ss, %d pods in %d classes: %d class pairs evaluated for %d pod pairs.\n",
			len(doc.Nodes), doc.Level, doc.Stats.Pods, doc.Stats.Classes, doc.Stats.ClassPairs, doc.Stats.PodPairs)
	}
	printAssumptionsAfter(bw, doc.Assumptions)
	return bw.Flush()
}

// alignedRows writes rows the way Table does (cells padded to the column's
// widest, three spaces between columns, no trailing blanks), from widths
// measured beforehand instead of from rows held.
type alignedRows struct {
	w      *bufio.Writer
	widths []int
	line   []byte
}

func newAlignedRows(w *bufio.Writer, columns int) *alignedRows {
	return &alignedRows{w: w, widths: make([]int, columns)}
}

func (t *alignedRows) measure(cells []string) {
	for i, c := range cells[:len(cells)-1] {
		t.widths[i] = max(t.widths[i], width(c))
	}
}

// width is the cell's width on a terminal, as Table measures it.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return twwidth.Width(s)
		}
	}
	return len(s)
}

func (t *alignedRows) write(cells []string) {
	t.line = t.line[:0]
	last := len(cells) - 1
	for i, c := range cells[:last] {
		t.line = append(t.line, c...)
		for n := t.widths[i] - width(c) + 3; n > 0; n-- {
			t.line = append(t.line, ' ')
		}
	}
	t.line = append(bytes.TrimRight(append(t.line, cells[last]...), " "), '\n')
	_, _ = t.w.Write(t.line) // bufio keeps the first error for Flush
}

// portStrings renders each port set of a matrix once: pairs share a few
// sets (by portsKey).
type portStrings struct {
	short, wide map[uint32]string
}

func (c *portStrings) text(p MatrixPair, wide bool) string {
	if p.portsKey == 0 {
		return shorten(p.Ports.String(), wide)
	}
	m := &c.short
	if wide {
		m = &c.wide
	}
	if *m == nil {
		*m = map[uint32]string{}
	}
	s, ok := (*m)[p.portsKey]
	if !ok {
		s = shorten(p.Ports.String(), wide)
		(*m)[p.portsKey] = s
	}
	return s
}

// PrintMatrixCSV writes one record per (from, to, ports), with a count
// column with --group-by; external ranges appear as "cidr:<prefix>"
// endpoints, one record per prefix (their count is empty).
func PrintMatrixCSV(w io.Writer, doc *ReachabilityMatrix, noHeaders bool) error {
	cw := csv.NewWriter(w) // buffered: it writes to w in blocks
	grouped := doc.GroupBy != ""
	record := func(from, to, ports, count string) {
		if grouped {
			_ = cw.Write([]string{from, to, ports, count})
		} else {
			_ = cw.Write([]string{from, to, ports})
		}
	}
	if !noHeaders {
		record("from", "to", "ports", "count")
	}
	var ports portStrings
	for p := range doc.EachPair() {
		record(p.From, p.To, ports.text(p, true), strconv.Itoa(p.Count))
	}
	for _, e := range doc.External {
		for _, c := range e.Egress {
			for _, p := range c.CIDRs {
				record(e.Node, "cidr:"+p.String(), c.Ports.String(), "")
			}
		}
		for _, c := range e.Ingress {
			for _, p := range c.CIDRs {
				record("cidr:"+p.String(), e.Node, c.Ports.String(), "")
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// PrintMatrixDot writes a Graphviz digraph: one box per node (clustered by
// namespace), one edge per allowed pair labelled with its ports, and an
// ellipse per external address range. With --group-by the boxes are
// namespaces and each edge also says how many pairs it sums up.
func PrintMatrixDot(w io.Writer, doc *ReachabilityMatrix) error {
	b := bufio.NewWriterSize(w, streamBuffer)
	for _, a := range doc.Assumptions {
		fmt.Fprintf(b, "// %s\n", strings.ReplaceAll(assumptionLine(a), "\n", " "))
	}
	b.WriteString("digraph netaudit {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	if doc.GroupBy != "" {
		for _, n := range doc.Nodes {
			fmt.Fprintf(b, "  %q [label=%q];\n", n.ID, n.Kind+"/"+n.Name)
		}
	} else {
		byNS := map[string][]MatrixNode{}
		var order []string
		for _, n := range doc.Nodes {
			if _, ok := byNS[n.Namespace]; !ok {
				order = append(order, n.Namespace)
			}
			byNS[n.Namespace] = append(byNS[n.Namespace], n)
		}
		for i, ns := range order {
			fmt.Fprintf(b, "  subgraph cluster_%d {\n    label=%q;\n", i, ns)
			for _, n := range byNS[ns] {
				label := n.Name
				if doc.Level == reach.ByWorkload {
					label = strings.ToLower(n.Kind) + "/" + n.Name
				}
				fmt.Fprintf(b, "    %q [label=%q];\n", n.ID, label)
			}
			b.WriteString("  }\n")
		}
	}
	var ports portStrings
	quoted := map[string]string{}
	quote := func(s string) string {
		q, ok := quoted[s]
		if !ok {
			q = strconv.Quote(s)
			quoted[s] = q
		}
		return q
	}
	for p := range doc.EachPair() {
		label := ports.text(p, true)
		if doc.GroupBy != "" {
			label += fmt.Sprintf("\n%d %s pairs", p.Count, doc.Level)
		}
		b.WriteString("  ")
		b.WriteString(quote(p.From))
		b.WriteString(" -> ")
		b.WriteString(quote(p.To))
		b.WriteString(" [label=")
		b.WriteString(quote(label))
		b.WriteString("];\n")
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
			fmt.Fprintf(b, "  %q [shape=ellipse, label=%q];\n", id, strings.Join(s, "\n"))
		}
		return id
	}
	for _, e := range doc.External {
		for _, c := range e.Egress {
			fmt.Fprintf(b, "  %q -> %q [label=%q, style=dashed];\n", e.Node, extNode(c.CIDRs), c.Ports.String())
		}
		for _, c := range e.Ingress {
			fmt.Fprintf(b, "  %q -> %q [label=%q, style=dashed];\n", extNode(c.CIDRs), e.Node, c.Ports.String())
		}
	}
	b.WriteString("}\n")
	return b.Flush()
}

// WriteJSONTo writes the document as WriteJSON would, each pair as it is
// computed. The document without its pairs is encoded as usual (it grows
// with the nodes) and split where the pairs go; the part after them, with
// the stats, is encoded once they have all been written.
func (d *ReachabilityMatrix) WriteJSONTo(w io.Writer) error {
	return d.writeSplit(w, writeJSON, "\n  \"pairs\": ", "[]", d.writeJSONPairs)
}

// WriteYAMLTo is WriteJSONTo for YAML: keys are sorted, so the pairs come
// after external, kind, level, nodes and options, and before source and
// stats.
func (d *ReachabilityMatrix) WriteYAMLTo(w io.Writer) error {
	return d.writeSplit(w, writeYAML, "\npairs:", " []\n", d.writeYAMLPairs)
}

// writeSplit encodes the document with no pairs, writes it up to the key
// of the pairs (key, at the top level, so found once, followed by empty,
// the empty list), writes the pairs, then encodes the document again for
// what follows the empty list.
func (d *ReachabilityMatrix) writeSplit(w io.Writer, encode func(io.Writer, any) error, key, empty string,
	pairs func(*bufio.Writer) error) error {
	marker := []byte(key + empty)
	head := func() ([]byte, int, error) {
		c := *d
		c.stream, c.Pairs = nil, []MatrixPair{}
		var buf bytes.Buffer
		if err := encode(&buf, &c); err != nil {
			return nil, 0, err
		}
		at := bytes.Index(buf.Bytes(), marker)
		if at < 0 {
			return nil, 0, fmt.Errorf("matrix document: no %q in its encoding", marker)
		}
		return buf.Bytes(), at, nil
	}
	enc, at, err := head()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, streamBuffer)
	bw.Write(enc[:at])
	bw.WriteString(key)
	if err := pairs(bw); err != nil {
		return err
	}
	if enc, at, err = head(); err != nil { // the stats are complete now
		return err
	}
	bw.Write(enc[at+len(marker):])
	return bw.Flush()
}

// writeJSONPairs writes the list of pairs as encoding/json indents it at
// the document's second level.
func (d *ReachabilityMatrix) writeJSONPairs(bw *bufio.Writer) error {
	quoted := map[string][]byte{}
	quote := func(s string) []byte {
		q, ok := quoted[s]
		if !ok {
			q, _ = json.Marshal(s)
			quoted[s] = q
		}
		return q
	}
	portsJSON := map[uint32][]byte{}
	n := 0
	for p := range d.EachPair() {
		if n == 0 {
			bw.WriteString("[\n    {\n      \"from\": ")
		} else {
			bw.WriteString(",\n    {\n      \"from\": ")
		}
		n++
		bw.Write(quote(p.From))
		bw.WriteString(",\n      \"to\": ")
		bw.Write(quote(p.To))
		bw.WriteString(",\n      \"ports\": ")
		ports, ok := portsJSON[p.portsKey]
		if !ok || p.portsKey == 0 {
			var err error
			if ports, err = json.MarshalIndent(p.Ports, "      ", "  "); err != nil {
				return err
			}
			portsJSON[p.portsKey] = ports
		}
		bw.Write(ports)
		if p.Count != 0 {
			bw.WriteString(",\n      \"count\": ")
			bw.WriteString(strconv.Itoa(p.Count))
		}
		bw.WriteString("\n    }")
	}
	if n == 0 {
		bw.WriteString("[]")
	} else {
		bw.WriteString("\n  ]")
	}
	return nil
}

// writeYAMLPairs writes the list of pairs as sigs.k8s.io/yaml does at the
// top level: "- " items, keys sorted (count, from, ports, to).
func (d *ReachabilityMatrix) writeYAMLPairs(bw *bufio.Writer) error {
	scalars := map[string][]byte{}
	scalar := func(s string) ([]byte, error) {
		y, ok := scalars[s]
		if !ok {
			b, err := yaml.Marshal(s)
			if err != nil {
				return nil, err
			}
			y = b // "value\n"
			scalars[s] = y
		}
		return y, nil
	}
	portsYAML := map[uint32][]byte{}
	n := 0
	for p := range d.EachPair() {
		if n == 0 {
			bw.WriteString("\n")
		}
		n++
		bw.WriteString("- ")
		if p.Count != 0 {
			bw.WriteString("count: ")
			bw.WriteString(strconv.Itoa(p.Count))
			bw.WriteString("\n  ")
		}
		from, err := scalar(p.From)
		if err != nil {
			return err
		}
		bw.WriteString("from: ")
		bw.Write(from)
		ports, ok := portsYAML[p.portsKey]
		if !ok || p.portsKey == 0 {
			b, err := yaml.Marshal(map[string]reach.PortSet{"ports": p.Ports})
			if err != nil {
				return err
			}
			// Inside a list item every line is indented by two.
			ports = append([]byte("  "), bytes.ReplaceAll(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"), []byte("\n  "))...)
			ports = append(ports, '\n')
			portsYAML[p.portsKey] = ports
		}
		bw.Write(ports)
		to, err := scalar(p.To)
		if err != nil {
			return err
		}
		bw.WriteString("  to: ")
		bw.Write(to)
	}
	if n == 0 {
		bw.WriteString(" []\n")
	}
	return nil
}
