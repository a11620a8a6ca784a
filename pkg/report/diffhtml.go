package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// DiffHTMLSection is the diff's part of a page: its table, and a map
// of the connections it opens (red) and closes (dashed), each explained by
// the engine's verdicts before and after.
func DiffHTMLSection(d *diff.PolicyDiff) HTMLSection {
	var b bytes.Buffer
	_ = PrintDiffTable(&b, d, false, false) // writes to memory; the map explains each change
	m := &NetworkMap{Level: d.Level.String(), Namespaces: []MapNamespace{}, Nodes: []MapNode{}, Edges: []MapEdge{},
		NamespaceEdges: []MapNamespaceEdge{}, Outside: []string{}, Explanations: []string{}}
	nsIndex, nodeIndex := map[string]int{}, map[string]int{}
	node := func(id string) int {
		if id == diff.Outside {
			return -1
		}
		if i, ok := nodeIndex[id]; ok {
			return i
		}
		ns, rest, _ := strings.Cut(id, "/")
		if _, ok := nsIndex[ns]; !ok {
			nsIndex[ns] = len(m.Namespaces)
			m.Namespaces = append(m.Namespaces, MapNamespace{Name: ns})
		}
		m.Namespaces[nsIndex[ns]].Workloads++
		nodeIndex[id] = len(m.Nodes)
		m.Nodes = append(m.Nodes, MapNode{ID: id, Namespace: ns, Label: rest})
		return nodeIndex[id]
	}
	nsOf := func(i int) string {
		if i < 0 {
			return outsideID
		}
		return m.Nodes[i].Namespace
	}
	outside := map[string]bool{}
	type nsKey struct{ from, to string }
	nsEdges := map[nsKey]int{}
	var nsPorts []reach.PortSet
	for _, c := range d.Changes {
		m.Explanations = append(m.Explanations, fmt.Sprintf("%s on %s\nbefore: %s\n%safter: %s\n%s", c.Effect, c.Ports,
			verdictWord(c.Before.Allowed), explainLines(c.Before), verdictWord(c.After.Allowed), explainLines(c.After)))
		to := node(c.To)
		for _, f := range c.From {
			from := node(f)
			e := MapEdge{From: from, To: to, Ports: c.Ports.String(), Effect: string(c.Effect), Explain: len(m.Explanations) - 1}
			if port, proto, ok := probe(c.Ports); ok {
				e.Probe = fmt.Sprintf("%d/%s", port, proto)
			}
			if from < 0 || to < 0 {
				e.CIDRs = prefixes(c.CIDRs, outside)
				e.Address = address(e.CIDRs)
			}
			m.Edges = append(m.Edges, e)
			fn, tn := nsOf(from), nsOf(to)
			if fn == tn {
				m.Namespaces[nsIndex[fn]].Internal++
				continue
			}
			k := nsKey{fn, tn}
			j, ok := nsEdges[k]
			if !ok {
				j = len(m.NamespaceEdges)
				nsEdges[k] = j
				m.NamespaceEdges = append(m.NamespaceEdges, MapNamespaceEdge{From: fn, To: tn, Examples: []int{}, Effect: e.Effect})
				nsPorts = append(nsPorts, reach.PortSet{})
			}
			ne := &m.NamespaceEdges[j]
			ne.Pairs++
			nsPorts[j] = nsPorts[j].Union(c.Ports)
			if ne.Effect != e.Effect {
				ne.Effect = ""
			}
			if len(ne.Examples) < explainExamples {
				ne.Examples = append(ne.Examples, len(m.Edges)-1)
			}
		}
	}
	for j := range m.NamespaceEdges {
		m.NamespaceEdges[j].Ports = nsPorts[j].String()
	}
	for c := range outside {
		m.Outside = append(m.Outside, c)
	}
	sortCIDRs(m.Outside)
	if len(m.Nodes) > CollapseNodes || len(m.Edges) > CollapseEdges {
		m.Collapsed = true
		m.CollapseReason = fmt.Sprintf("%d %ss and %d changed paths, more than %d or %d: the map opens namespace to namespace; pick a namespace to see its %ss",
			len(m.Nodes), m.Level, len(m.Edges), CollapseNodes, CollapseEdges, m.Level)
	}
	return HTMLSection{Text: b.String(), Map: m}
}
