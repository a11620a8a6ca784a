package report

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// The map is drawn namespace to namespace by default past CollapseNodes
// workloads or CollapseEdges edges: at a typical 1400x800 px canvas, 80
// nodes leave each about 100x100 px with its label, and past about 200
// edges their crossings hide which path goes where. The reader can still
// pick a namespace to see its workloads and their neighbours.
const (
	CollapseNodes = 80
	CollapseEdges = 200
	// MaxMapEdges bounds the node-to-node edges embedded for drilling into
	// a namespace (each is about 80 bytes); past it they are counted, not
	// embedded.
	MaxMapEdges = 20000
	// MaxExplanations bounds the explanations embedded: those of every edge
	// shown by default, up to this many (each is a few hundred bytes and
	// evaluates every pod pair of the edge).
	MaxExplanations = 400
	// explainExamples is how many node pairs a namespace edge explains.
	explainExamples = 2
)

// NetworkMap is the data behind the HTML report's map, embedded as JSON.
type NetworkMap struct {
	// Level is "workload" or "pod": what a node is.
	Level string `json:"level"`
	// Collapsed: the map opens namespace to namespace; CollapseReason says why.
	Collapsed      bool           `json:"collapsed"`
	CollapseReason string         `json:"collapseReason,omitempty"`
	Namespaces     []MapNamespace `json:"namespaces"`
	Nodes          []MapNode      `json:"nodes"`
	// Edges are node to node, or between a node and "outside".
	Edges []MapEdge `json:"edges"`
	// OmittedEdges counts node-to-node edges past MaxMapEdges.
	OmittedEdges   int                `json:"omittedEdges"`
	NamespaceEdges []MapNamespaceEdge `json:"namespaceEdges"`
	// Outside is the world outside the cluster: the address ranges that
	// reach or are reached by a node.
	Outside []string `json:"outside"`
	// Explanations are explain's text for the edges that name them.
	Explanations []string `json:"explanations"`
}

// MapNamespace is a group of the map.
type MapNamespace struct {
	Name      string `json:"name"`
	Pods      int    `json:"pods"`
	Workloads int    `json:"workloads"`
	Policies  int    `json:"policies"`
	// Unprotected: no pod of the namespace is isolated in either direction.
	Unprotected bool     `json:"unprotected"`
	Findings    []string `json:"findings,omitempty"`
	Severity    string   `json:"severity,omitempty"`
	// Internal counts the node pairs inside the namespace that may talk.
	Internal int `json:"internal"`
}

// MapNode is a workload or pod.
type MapNode struct {
	ID          string   `json:"id"`
	Namespace   string   `json:"namespace"`
	Label       string   `json:"label"`
	Pods        int      `json:"pods"`
	HostNetwork bool     `json:"hostNetwork,omitempty"`
	Findings    []string `json:"findings,omitempty"`
	Severity    string   `json:"severity,omitempty"`
}

// MapEdge is traffic the policies allow from one node to another, or
// between a node and addresses outside the cluster.
type MapEdge struct {
	// From and To index Nodes; -1 is the world outside the cluster.
	From  int      `json:"from"`
	To    int      `json:"to"`
	Ports string   `json:"ports"`
	CIDRs []string `json:"cidrs,omitempty"`
	// Probe is the port the explanation looks at, the first of Ports
	// ("5432/TCP"); Address stands for the outside world in the explain
	// command (an address of the first CIDR).
	Probe   string `json:"probe,omitempty"`
	Address string `json:"address,omitempty"`
	// Explain indexes Explanations, or is -1.
	Explain int `json:"explain"`
	// Effect is "opened" or "closed" on a diff's map.
	Effect string `json:"effect,omitempty"`

	from, to string // node IDs, or outsideID
}

// MapNamespaceEdge sums the edges from one namespace to another; "*" is
// the world outside the cluster.
type MapNamespaceEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Ports string `json:"ports"`
	Pairs int    `json:"pairs"`
	// Examples index Edges: the node pairs explained for this edge.
	Examples []int `json:"examples"`
	// Effect is "opened" or "closed" on a diff's map when all its edges agree.
	Effect string `json:"effect,omitempty"`
}

// MapFacts is what the audit adds to the map: findings to mark and which
// namespaces nothing protects. Nil for the matrix.
type MapFacts struct {
	Findings []audit.Finding
	Coverage *audit.Coverage
}

// NewNetworkMap builds the map of a matrix document, explaining the edges
// shown by default with the engine.
func NewNetworkMap(snap *inventory.Snapshot, model *reach.Model, doc *ReachabilityMatrix, facts *MapFacts) *NetworkMap {
	m := &NetworkMap{Level: doc.Level.String(), Namespaces: []MapNamespace{}, Nodes: []MapNode{}, Edges: []MapEdge{},
		NamespaceEdges: []MapNamespaceEdge{}, Outside: []string{}, Explanations: []string{}}
	nsIndex := map[string]int{}
	addNS := func(name string) int {
		if i, ok := nsIndex[name]; ok {
			return i
		}
		nsIndex[name] = len(m.Namespaces)
		m.Namespaces = append(m.Namespaces, MapNamespace{Name: name})
		return nsIndex[name]
	}
	policies := map[string]int{}
	for _, p := range snap.Policies {
		policies[p.Namespace]++
	}
	for _, ns := range snap.Namespaces {
		if snap.Source.Namespace == "" || ns.Name == snap.Source.Namespace {
			addNS(ns.Name)
		}
	}
	nodeIndex := map[string]int{}
	for _, n := range doc.Nodes {
		i := addNS(n.Namespace)
		m.Namespaces[i].Pods += len(n.Pods)
		m.Namespaces[i].Workloads++
		label := n.Name
		if doc.Level == reach.ByWorkload {
			label = strings.ToLower(n.Kind) + "/" + n.Name
		}
		nodeIndex[n.ID] = len(m.Nodes)
		m.Nodes = append(m.Nodes, MapNode{ID: n.ID, Namespace: n.Namespace, Label: label, Pods: len(n.Pods), HostNetwork: n.HostNetwork})
	}
	sort.SliceStable(m.Namespaces, func(i, j int) bool { return m.Namespaces[i].Name < m.Namespaces[j].Name })
	for i := range m.Namespaces {
		nsIndex[m.Namespaces[i].Name] = i
		m.Namespaces[i].Policies = policies[m.Namespaces[i].Name]
		m.Namespaces[i].Unprotected = m.Namespaces[i].Policies == 0
	}
	if facts != nil {
		markFindings(m, nsIndex, nodeIndex, facts)
	}

	// Node-to-node edges, then the edges with the outside world.
	nsOf := func(id string) string {
		if id == outsideID {
			return outsideID
		}
		return m.Nodes[nodeIndex[id]].Namespace
	}
	var all []MapEdge
	var allPorts []reach.PortSet
	for _, p := range doc.Pairs {
		all = append(all, MapEdge{from: p.From, to: p.To, From: nodeIndex[p.From], To: nodeIndex[p.To], Ports: p.Ports.String(), Explain: -1})
		allPorts = append(allPorts, p.Ports)
	}
	pairEdges := len(all)
	outside := map[string]bool{}
	for _, x := range doc.External {
		for _, c := range x.Egress {
			all = append(all, MapEdge{from: x.Node, to: outsideID, From: nodeIndex[x.Node], To: -1, Ports: c.Ports.String(), CIDRs: prefixes(c.CIDRs, outside), Explain: -1})
			allPorts = append(allPorts, c.Ports)
		}
		for _, c := range x.Ingress {
			all = append(all, MapEdge{from: outsideID, to: x.Node, From: -1, To: nodeIndex[x.Node], Ports: c.Ports.String(), CIDRs: prefixes(c.CIDRs, outside), Explain: -1})
			allPorts = append(allPorts, c.Ports)
		}
	}
	for c := range outside {
		m.Outside = append(m.Outside, c)
	}
	sortCIDRs(m.Outside)

	// Namespace edges sum node edges up; edges inside a namespace are
	// counted on it.
	type nsKey struct{ from, to string }
	nsEdges := map[nsKey]int{}
	nsPorts := []reach.PortSet{}
	var nsEdgeMembers [][]int
	for i, e := range all {
		f, t := nsOf(e.from), nsOf(e.to)
		if f == t {
			m.Namespaces[nsIndex[f]].Internal++
			continue
		}
		k := nsKey{f, t}
		j, ok := nsEdges[k]
		if !ok {
			j = len(m.NamespaceEdges)
			nsEdges[k] = j
			m.NamespaceEdges = append(m.NamespaceEdges, MapNamespaceEdge{From: f, To: t, Examples: []int{}})
			nsPorts = append(nsPorts, reach.PortSet{})
			nsEdgeMembers = append(nsEdgeMembers, nil)
		}
		m.NamespaceEdges[j].Pairs++
		nsPorts[j] = nsPorts[j].Union(allPorts[i])
		if len(nsEdgeMembers[j]) < explainExamples {
			nsEdgeMembers[j] = append(nsEdgeMembers[j], i)
		}
	}
	for j := range m.NamespaceEdges {
		m.NamespaceEdges[j].Ports = nsPorts[j].String()
	}

	switch {
	case len(m.Nodes) > CollapseNodes:
		m.Collapsed = true
		m.CollapseReason = fmt.Sprintf("%d %ss, more than %d: the map opens namespace to namespace; pick a namespace to see its %ss", len(m.Nodes), m.Level, CollapseNodes, m.Level)
	case len(all) > CollapseEdges:
		m.Collapsed = true
		m.CollapseReason = fmt.Sprintf("%d edges, more than %d: the map opens namespace to namespace; pick a namespace to see its %ss", len(all), CollapseEdges, m.Level)
	}

	// Keep the edges with the outside world and as many node pairs as the
	// budget allows; explain the edges shown by default.
	keep := make([]bool, len(all))
	kept := 0
	for i := range all {
		if i >= pairEdges || kept < MaxMapEdges {
			keep[i] = true
			kept++
		}
	}
	m.OmittedEdges = len(all) - kept
	newIndex := make([]int, len(all))
	for i, e := range all {
		newIndex[i] = -1
		if keep[i] {
			newIndex[i] = len(m.Edges)
			m.Edges = append(m.Edges, e)
		}
	}
	ex := newExplainer(snap, model, doc)
	for i := range all {
		if j := newIndex[i]; j >= 0 {
			e := &m.Edges[j]
			if port, proto, ok := probe(allPorts[i]); ok {
				e.Probe = fmt.Sprintf("%d/%s", port, proto)
			}
			if e.from == outsideID || e.to == outsideID {
				e.Address = address(e.CIDRs)
			}
		}
	}
	if m.Collapsed {
		for j := range m.NamespaceEdges {
			for _, i := range nsEdgeMembers[j] {
				if k := newIndex[i]; k >= 0 {
					m.NamespaceEdges[j].Examples = append(m.NamespaceEdges[j].Examples, k)
					ex.explainInto(m, k, allPorts[i])
				}
			}
		}
	} else {
		for i := range all {
			if k := newIndex[i]; k >= 0 {
				ex.explainInto(m, k, allPorts[i])
			}
		}
	}
	return m
}

// outsideID stands for the world outside the cluster in namespace edges:
// no namespace or workload can be called so.
const outsideID = "*"

// prefixes renders CIDRs and records them as part of the outside world.
func prefixes(ps []netip.Prefix, seen map[string]bool) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
		seen[out[i]] = true
	}
	return out
}

func sortCIDRs(cs []string) {
	sort.Slice(cs, func(i, j int) bool {
		a, errA := netip.ParsePrefix(cs[i])
		b, errB := netip.ParsePrefix(cs[j])
		if errA != nil || errB != nil {
			return cs[i] < cs[j]
		}
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c < 0
		}
		return a.Bits() < b.Bits()
	})
}

var severityRank = map[string]int{"": 0, "info": 1, "low": 2, "medium": 3, "high": 4}

func worse(a, b string) string {
	if severityRank[b] > severityRank[a] {
		return b
	}
	return a
}

// markFindings attaches each finding to the nodes and namespaces it names:
// a workload or pod to its node, anything else to its namespace.
func markFindings(m *NetworkMap, nsIndex, nodeIndex map[string]int, facts *MapFacts) {
	if facts.Coverage != nil {
		for _, c := range facts.Coverage.Namespaces {
			if i, ok := nsIndex[c.Name]; ok {
				m.Namespaces[i].Unprotected = c.Pods > 0 && c.IngressIsolated == 0 && c.EgressIsolated == 0
			}
		}
	}
	for _, f := range facts.Findings {
		text := f.CheckID + " " + f.Message
		sev := f.Severity.String()
		nodes, namespaces := map[int]bool{}, map[int]bool{}
		for _, o := range f.Objects {
			id := audit.Object{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}.String()
			if i, ok := nodeIndex[id]; ok {
				nodes[i] = true
				continue
			}
			ns := o.Namespace
			if strings.EqualFold(o.Kind, "Namespace") {
				ns = o.Name
			}
			if i, ok := nsIndex[ns]; ok {
				namespaces[i] = true
			}
		}
		for i := range nodes {
			m.Nodes[i].Findings = append(m.Nodes[i].Findings, text)
			m.Nodes[i].Severity = worse(m.Nodes[i].Severity, sev)
		}
		for i := range namespaces {
			m.Namespaces[i].Findings = append(m.Namespaces[i].Findings, text)
			m.Namespaces[i].Severity = worse(m.Namespaces[i].Severity, sev)
		}
	}
}

// explainer runs explain for the map's edges.
type explainer struct {
	snap  *inventory.Snapshot
	model *reach.Model
	level reach.Level
	// nodes are the pods of each node; pods index the snapshot's, built on
	// first use (a lookup by reference would scan every pod each time).
	nodes map[string][]string
	pods  map[string]*corev1.Pod
}

func newExplainer(snap *inventory.Snapshot, model *reach.Model, doc *ReachabilityMatrix) *explainer {
	ex := &explainer{snap: snap, model: model, level: doc.Level, nodes: map[string][]string{}}
	for _, n := range doc.Nodes {
		ex.nodes[n.ID] = n.Pods
	}
	return ex
}

// probe picks the port an edge is explained on: the first of its ports.
func probe(ps reach.PortSet) (int32, reach.Protocol, bool) {
	for _, proto := range ps.Protocols() {
		if rs := ps.Ranges(proto); len(rs) > 0 {
			return rs[0].From, proto, true
		}
	}
	return 0, "", false
}

// address picks an address of an outside edge's first range that is not
// the range's network address when it can.
func address(cidrs []string) string {
	if len(cidrs) == 0 {
		return ""
	}
	p, err := netip.ParsePrefix(cidrs[0])
	if err != nil {
		return ""
	}
	a := p.Masked().Addr()
	if n := a.Next(); n.IsValid() && p.Contains(n) && p.Bits() < a.BitLen()-1 {
		a = n
	}
	return a.String()
}

func (ex *explainer) target(id string, cidrs []string) (inventory.Target, bool) {
	if id == outsideID {
		a, err := netip.ParseAddr(address(cidrs))
		return inventory.Target{Ref: a.String(), IP: a}, err == nil
	}
	if ex.pods == nil {
		ex.pods = make(map[string]*corev1.Pod, len(ex.snap.Pods))
		for i := range ex.snap.Pods {
			p := &ex.snap.Pods[i]
			ex.pods[p.Namespace+"/"+p.Name] = p
		}
	}
	names, ok := ex.nodes[id]
	if !ok || len(names) == 0 {
		return inventory.Target{}, false
	}
	ns, _, _ := strings.Cut(id, "/")
	t := inventory.Target{Ref: id}
	for _, name := range names {
		p := ex.pods[ns+"/"+name]
		if p == nil {
			return inventory.Target{}, false
		}
		t.Pods = append(t.Pods, p)
	}
	return t, true
}

// explainInto explains edge k of the map unless the budget is spent.
func (ex *explainer) explainInto(m *NetworkMap, k int, ports reach.PortSet) {
	e := &m.Edges[k]
	if e.Explain >= 0 || len(m.Explanations) >= MaxExplanations {
		return
	}
	port, proto, ok := probe(ports)
	if !ok {
		return
	}
	from, ok1 := ex.target(e.from, e.CIDRs)
	to, ok2 := ex.target(e.to, e.CIDRs)
	if !ok1 || !ok2 {
		return
	}
	var b bytes.Buffer
	if err := PrintExplanation(&b, Explain(ex.snap, ex.model, from, to, port, proto)); err != nil {
		return
	}
	e.Explain = len(m.Explanations)
	m.Explanations = append(m.Explanations, b.String())
}
