package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// referenceTable and referenceCSV are the matrix printers as they were
// before streaming: every row held, the table laid out by Table.
func referenceTable(w io.Writer, doc *ReachabilityMatrix, wide, noHeaders bool) error {
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
	fmt.Fprintf(w, "\n%d %ss, %d pods in %d classes: %d class pairs evaluated for %d pod pairs.\n",
		len(doc.Nodes), doc.Level, doc.Stats.Pods, doc.Stats.Classes, doc.Stats.ClassPairs, doc.Stats.PodPairs)
	printAssumptionsAfter(w, doc.Assumptions)
	return nil
}

func referenceCSV(w io.Writer, doc *ReachabilityMatrix, noHeaders bool) error {
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

// matrixCases are snapshots to hold the streamed printers to the encoders:
// the demo, a generated cluster with every kind of peer and port, and
// random small ones.
func matrixCases(t *testing.T) map[string]*inventory.Snapshot {
	t.Helper()
	demo, _ := demoModel(t)
	cases := map[string]*inventory.Snapshot{
		"demo":      demo,
		"generated": gen.Generate(gen.Config{Pods: 300, Seed: 3}),
		"bare":      gen.Generate(gen.Config{Pods: 200, Namespaces: 6, Seed: 4, BarePods: true}),
	}
	for seed := range uint64(16) {
		cases[fmt.Sprintf("random-%d", seed)] = reachtest.Snapshot(reachtest.Seeded(seed))
	}
	return cases
}

func matrixFilters(snap *inventory.Snapshot) map[string]MatrixFilter {
	ns := snap.Pods[0].Namespace
	inNS := func(n reach.Node) bool { return n.Namespace == ns }
	return map[string]MatrixFilter{
		"all":  {},
		"port": {Port: &PortFilter{Port: 53, Protocol: reach.UDP}},
		"from": {From: inNS},
		"to":   {To: inNS, Port: &PortFilter{Port: 8080, Protocol: reach.TCP}},
	}
}

func TestMatrixStreamMatchesEncoders(t *testing.T) {
	for name, snap := range matrixCases(t) {
		model, err := reach.Build(snap, reach.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []reach.Level{reach.ByWorkload, reach.ByPod} {
			for fname, f := range matrixFilters(snap) {
				t.Run(name+"/"+level.String()+"/"+fname, func(t *testing.T) {
					held := NewReachabilityMatrix(snap, model.Matrix(level), f)
					stream := func() *ReachabilityMatrix { return NewReachabilityMatrixStream(snap, model.MatrixStream(level), f) }
					for _, c := range []struct {
						format    string
						got, want func(io.Writer) error
					}{
						{"json", func(w io.Writer) error { return WriteJSON(w, stream()) }, func(w io.Writer) error { return writeJSON(w, held) }},
						{"yaml", func(w io.Writer) error { return WriteYAML(w, stream()) }, func(w io.Writer) error { return writeYAML(w, held) }},
						{"table", func(w io.Writer) error { return PrintMatrixTable(w, stream(), false, false) }, func(w io.Writer) error { return referenceTable(w, held, false, false) }},
						{"wide", func(w io.Writer) error { return PrintMatrixTable(w, stream(), true, true) }, func(w io.Writer) error { return referenceTable(w, held, true, true) }},
						{"csv", func(w io.Writer) error { return PrintMatrixCSV(w, stream(), false) }, func(w io.Writer) error { return referenceCSV(w, held, false) }},
						{"dot", func(w io.Writer) error { return PrintMatrixDot(w, stream()) }, func(w io.Writer) error { return PrintMatrixDot(w, held) }},
						// several contexts marshal each document whole
						{"marshal", func(w io.Writer) error { return writeJSON(w, []any{stream()}) }, func(w io.Writer) error { return writeJSON(w, []any{held}) }},
					} {
						var got, want bytes.Buffer
						if err := c.got(&got); err != nil {
							t.Fatal(err)
						}
						if err := c.want(&want); err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got.Bytes(), want.Bytes()) {
							t.Errorf("%s: the streamed output differs from the encoder's:\ngot:\n%s\nwant:\n%s", c.format, got.Bytes(), want.Bytes())
						}
					}
				})
			}
		}
	}
}

// TestNamespaceMatrix checks --group-by namespace against sums over the
// held matrix, and its streamed JSON and YAML against the encoders.
func TestNamespaceMatrix(t *testing.T) {
	for name, snap := range matrixCases(t) {
		model, err := reach.Build(snap, reach.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []reach.Level{reach.ByWorkload, reach.ByPod} {
			for fname, f := range matrixFilters(snap) {
				t.Run(name+"/"+level.String()+"/"+fname, func(t *testing.T) {
					held := NewReachabilityMatrix(snap, model.Matrix(level), f)
					doc := NewNamespaceMatrix(snap, model.MatrixStream(level), f)

					nsOf := map[string]string{}
					for _, n := range held.Nodes {
						nsOf[n.ID] = n.Namespace
					}
					type key struct{ from, to string }
					want := map[key]MatrixPair{}
					var order []key
					for _, p := range held.Pairs {
						k := key{nsOf[p.From], nsOf[p.To]}
						s, ok := want[k]
						if !ok {
							order = append(order, k)
						}
						want[k] = MatrixPair{From: k.from, To: k.to, Ports: s.Ports.Union(p.Ports), Count: s.Count + 1}
					}
					slices.SortFunc(order, func(a, b key) int { return strings.Compare(a.from+"\x00"+a.to, b.from+"\x00"+b.to) })
					got := slices.Collect(doc.EachPair())
					if len(got) != len(order) {
						t.Fatalf("got %d namespace pairs, want %d", len(got), len(order))
					}
					for i, k := range order {
						w := want[k]
						if g := got[i]; g.From != w.From || g.To != w.To || g.Count != w.Count || !g.Ports.Equal(w.Ports) {
							t.Errorf("pair %d: got %s -> %s %s (%d), want %s -> %s %s (%d)", i, g.From, g.To, g.Ports, g.Count, w.From, w.To, w.Ports, w.Count)
						}
					}
					var nodes []string
					for _, n := range doc.Nodes {
						nodes = append(nodes, n.ID)
					}
					var wantNodes []string
					for _, n := range held.Nodes {
						if len(wantNodes) == 0 || wantNodes[len(wantNodes)-1] != n.Namespace {
							wantNodes = append(wantNodes, n.Namespace)
						}
					}
					if !slices.Equal(nodes, wantNodes) {
						t.Errorf("nodes: got %v, want %v", nodes, wantNodes)
					}
					if doc.Stats != held.Stats {
						t.Errorf("stats: got %+v, want %+v", doc.Stats, held.Stats)
					}

					collected := *doc
					collected.stream, collected.Pairs = nil, got
					if collected.Pairs == nil {
						collected.Pairs = []MatrixPair{}
					}
					for format, write := range map[string]func(io.Writer, any) error{"json": writeJSON, "yaml": writeYAML} {
						var a, b bytes.Buffer
						stream := NewNamespaceMatrix(snap, model.MatrixStream(level), f)
						if err := map[string]func(io.Writer, any) error{"json": WriteJSON, "yaml": WriteYAML}[format](&a, stream); err != nil {
							t.Fatal(err)
						}
						if err := write(&b, &collected); err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(a.Bytes(), b.Bytes()) {
							t.Errorf("%s: the streamed output differs from the encoder's:\ngot:\n%s\nwant:\n%s", format, a.Bytes(), b.Bytes())
						}
					}
				})
			}
		}
	}
}

func TestAlignedRowsMatchTable(t *testing.T) {
	rows := [][]string{
		{"SOURCE", "DESTINATION", "PORTS"},
		{"a/deployment/web", "b/statefulset/db", "TCP:5432"},
		{"", "ünïcødé/pod", "all"},
		{"日本/pod-x", "", ""},
		{"x", "y", "TCP:1-65535 UDP:53"},
	}
	var want bytes.Buffer
	if err := (&Table{Headers: rows[0], Rows: rows[1:]}).Render(&want); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	bw := bufioWriter(&got)
	a := newAlignedRows(bw, 3)
	for _, r := range rows {
		a.measure(r)
	}
	for _, r := range rows {
		a.write(r)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("got:\n%s\nwant:\n%s", got.String(), want.String())
	}
}

// barePods is one namespace of n pods without owners or policies: every
// pod reaches every other, n*(n-1) pairs.
func barePods(n int) *inventory.Snapshot {
	snap := &inventory.Snapshot{Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}}}
	for i := range n {
		snap.Pods = append(snap.Pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": fmt.Sprint(i % 7)}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
			Status:     corev1.PodStatus{PodIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)},
		})
	}
	snap.Sort()
	return snap
}

// TestMatrixWritersMemoryBounded prints the matrix of 150 and of 600 bare
// pods (16 times the pairs, 4 times the nodes) in every format and checks
// that the bytes allocated while printing grow with the nodes, not with the
// pairs: a printer that held its rows, or allocated per row, would take
// about 16 times as much at the larger size.
func TestMatrixWritersMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("prints about 400,000 pairs")
	}
	formats := map[string]func(io.Writer, *ReachabilityMatrix) error{
		"json":  func(w io.Writer, d *ReachabilityMatrix) error { return WriteJSON(w, d) },
		"yaml":  func(w io.Writer, d *ReachabilityMatrix) error { return WriteYAML(w, d) },
		"table": func(w io.Writer, d *ReachabilityMatrix) error { return PrintMatrixTable(w, d, false, false) },
		"csv":   func(w io.Writer, d *ReachabilityMatrix) error { return PrintMatrixCSV(w, d, false) },
		"dot":   func(w io.Writer, d *ReachabilityMatrix) error { return PrintMatrixDot(w, d) },
		"group": func(w io.Writer, d *ReachabilityMatrix) error { return WriteJSON(w, d) },
	}
	const small, large = 150, 600
	allocated := func(n int, format string) (bytes uint64, pairs int) {
		snap := barePods(n)
		model, err := reach.Build(snap, reach.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		doc := NewReachabilityMatrixStream(snap, model.MatrixStream(reach.ByWorkload), MatrixFilter{})
		if format == "group" {
			doc = NewNamespaceMatrix(snap, model.MatrixStream(reach.ByWorkload), MatrixFilter{})
		}
		var out countingWriter
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := formats[format](&out, doc); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, out.lines
	}
	for format := range formats {
		t.Run(format, func(t *testing.T) {
			a, linesA := allocated(small, format)
			b, linesB := allocated(large, format)
			t.Logf("%d pods: %d bytes allocated for %d lines; %d pods: %d bytes for %d lines", small, a, linesA, large, b, linesB)
			if format != "group" && linesB < 15*linesA {
				t.Fatalf("the larger matrix printed %d lines, the smaller %d: want about 16 times as many", linesB, linesA)
			}
			if b > 6*a {
				t.Errorf("printing 16 times the pairs allocated %.1f times the bytes (%d vs %d): the printer holds or allocates per pair", float64(b)/float64(a), b, a)
			}
		})
	}
}

type countingWriter struct{ lines int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

func bufioWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }
