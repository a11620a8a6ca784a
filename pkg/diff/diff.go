// Package diff compares two states of a cluster's policies (live against
// proposed manifests, two folders of manifests, two contexts) and says which
// connections the change opens and closes, and which audit findings it adds
// and resolves. Everything comes from the engine's matrix and verdicts and
// from the audit: the package knows no policy semantics of its own, so every
// policy kind the engine compiles is covered. It never prints.
package diff

import (
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// State is one side of the comparison: a snapshot and its compiled model.
type State struct {
	Snap  *inventory.Snapshot
	Model *reach.Model
}

// Options say what to compare.
type Options struct {
	// Level: one node per workload (default) or per pod.
	Level reach.Level
	// Audit configures the checks whose findings are compared.
	Audit audit.Config
	// Baseline, when set, accepts findings: an accepted finding of the
	// proposed state is not new (as --ignore does for the audit).
	Baseline *audit.Baseline
	// Expectations, when set, are checked on both states; a closed path
	// that one of them expects allowed is likely breakage.
	Expectations []Expectation
	// NoFindings skips the audit of both states: no findings diff.
	NoFindings bool
}

// Expectation is one line of a verify expectations file.
type Expectation struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Port     int32          `json:"port"`
	Protocol reach.Protocol `json:"protocol"`
	Allowed  bool           `json:"allowed"`
}

// Effect says whether a change opens or closes traffic.
type Effect string

const (
	Opened Effect = "opened"
	Closed Effect = "closed"
)

// Risk ranks a change; the order below is the order of the report.
type Risk string

const (
	// RiskWorld: opened to or from addresses outside the cluster.
	RiskWorld Risk = "world"
	// RiskCrossNamespace: opened between two namespaces.
	RiskCrossNamespace Risk = "cross-namespace"
	// RiskNamespace: opened within one namespace.
	RiskNamespace Risk = "namespace"
	// RiskBreakage: closed a path DNS or an expectation relies on.
	RiskBreakage Risk = "breakage"
	// RiskClosed: closed, nothing known to rely on it.
	RiskClosed Risk = "closed"
)

var riskOrder = map[Risk]int{RiskWorld: 0, RiskCrossNamespace: 1, RiskNamespace: 2, RiskBreakage: 3, RiskClosed: 4}

// Rank orders risks, most severe first.
func (r Risk) Rank() int { return riskOrder[r] }

// Outside names the far end of a change with addresses outside the cluster.
const Outside = "outside"

// PolicyDiff is what changes between two states. Every list is sorted, so
// two runs on the same states give the same document.
type PolicyDiff struct {
	Base     Side          `json:"base"`
	Proposed Side          `json:"proposed"`
	Level    reach.Level   `json:"level"`
	Options  reach.Options `json:"options"`
	Summary  Summary       `json:"summary"`
	// Policies lists the policy objects added, removed or modified.
	Policies []PolicyChange `json:"policies"`
	// Changes are the connections opened and closed, by risk, then
	// destination, then source.
	Changes      []Change            `json:"changes"`
	Findings     FindingsDiff        `json:"findings"`
	Expectations []ExpectationResult `json:"expectations,omitempty"`
}

// Side describes one state.
type Side struct {
	Source   inventory.Source `json:"source"`
	Pods     int              `json:"pods"`
	Policies int              `json:"policies"`
	Warnings []string         `json:"warnings,omitempty"`
}

// Summary counts what changed.
type Summary struct {
	Opened               int `json:"opened"`
	Closed               int `json:"closed"`
	OpenedWorld          int `json:"openedWorld"`
	OpenedCrossNamespace int `json:"openedCrossNamespace"`
	OpenedNamespace      int `json:"openedNamespace"`
	Breakage             int `json:"breakage"`
	NewFindings          int `json:"newFindings"`
	ResolvedFindings     int `json:"resolvedFindings"`
	PoliciesAdded        int `json:"policiesAdded"`
	PoliciesRemoved      int `json:"policiesRemoved"`
	PoliciesModified     int `json:"policiesModified"`
}

// Empty reports whether nothing changes: no connection and no finding.
func (s Summary) Empty() bool {
	return s.Opened == 0 && s.Closed == 0 && s.NewFindings == 0 && s.ResolvedFindings == 0
}

// PolicyChange is a policy object present on one side only, or different.
type PolicyChange struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Change is added, removed or modified.
	Change string `json:"change"`
}

// String renders "added NetworkPolicy ns/name".
func (p PolicyChange) String() string {
	return p.Change + " " + p.Kind + " " + p.Ref()
}

// Ref renders ns/name, or name for a cluster-scoped kind.
func (p PolicyChange) Ref() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Change is traffic opened or closed between two nodes, or between a node
// and ranges of addresses outside the cluster (From or To is Outside and
// CIDRs holds the ranges).
type Change struct {
	Effect Effect `json:"effect"`
	Risk   Risk   `json:"risk"`
	// From are the sources, sorted, To the destination: node IDs
	// (ns/kind/name for a workload, ns/pod for a pod) or Outside. Sources
	// of one namespace whose traffic to To changes on the same ports form
	// one change.
	From  []string       `json:"from"`
	To    string         `json:"to"`
	CIDRs []netip.Prefix `json:"cidrs,omitempty"`
	// Ports are the ports and protocols opened or closed.
	Ports reach.PortSet `json:"ports"`
	// Breaks says what relied on a closed path: "DNS", or "expectation N"
	// (the Nth of Expectations, which that state fails).
	Breaks []string `json:"breaks,omitempty"`
	// Policies are the policy objects that cause the change: those named by
	// the verdicts below that differ between the states. Empty when no
	// policy changed (pods or namespaces did).
	Policies []string `json:"policies"`
	// Before and After are the engine's verdicts, with their reasons, for
	// one pod pair (or pod and address) of the first source and the first
	// port of Ports.
	Before reach.Verdict `json:"before"`
	After  reach.Verdict `json:"after"`
}

// FindingsDiff is the audit's findings that appear and go away, matched by
// their baseline key (check ID and objects).
type FindingsDiff struct {
	New      []audit.Finding `json:"new"`
	Resolved []audit.Finding `json:"resolved"`
	// Accepted counts new findings the baseline accepts; they are not listed.
	Accepted int `json:"accepted"`
}

// ExpectationResult is an expectation checked on both states.
type ExpectationResult struct {
	Expectation
	Base     bool `json:"basePasses"`
	Proposed bool `json:"proposedPasses"`
	// Error is set when the expectation names something a state lacks.
	Error string `json:"error,omitempty"`
}

// Compute compares base and proposed.
func Compute(base, proposed State, opts Options) (*PolicyDiff, error) {
	d := &PolicyDiff{
		Base:     side(base),
		Proposed: side(proposed),
		Level:    opts.Level,
		Options:  proposed.Model.Options(),
		Policies: policyChanges(base.Snap, proposed.Snap),
		Changes:  []Change{},
	}
	changed := map[reach.PolicyRef]bool{}
	for _, p := range d.Policies {
		changed[reach.PolicyRef{Kind: p.Kind, Namespace: p.Namespace, Name: p.Name}] = true
	}

	mb, mp := base.Model.Matrix(opts.Level), proposed.Model.Matrix(opts.Level)
	c := &computer{base: base, proposed: proposed, level: opts.Level, changed: changed,
		baseNodes: nodeIndex(mb, opts.Level), propNodes: nodeIndex(mp, opts.Level), groups: map[string]*Change{}}
	c.edges(mb, mp)
	c.explainGroups()
	c.external(mb, mp)

	exps, err := c.expectations(opts.Expectations)
	if err != nil {
		return nil, err
	}
	d.Expectations = exps
	c.breakage(exps)
	sortChanges(c.out)
	d.Changes = make([]Change, len(c.out))
	for i, ch := range c.out {
		d.Changes[i] = *ch
	}

	d.Findings = FindingsDiff{New: []audit.Finding{}, Resolved: []audit.Finding{}}
	if !opts.NoFindings {
		fd, err := findings(base, proposed, opts)
		if err != nil {
			return nil, err
		}
		d.Findings = fd
	}
	d.Summary = summarise(d)
	return d, nil
}

func side(s State) Side {
	return Side{Source: s.Snap.Source, Pods: len(s.Snap.Pods),
		Policies: len(s.Snap.Policies) + len(s.Snap.ClusterNetworkPolicies) + len(s.Snap.AdminNetworkPolicies) + len(s.Snap.BaselineAdminNetworkPolicies),
		Warnings: s.Snap.Warnings}
}

func summarise(d *PolicyDiff) Summary {
	s := Summary{NewFindings: len(d.Findings.New), ResolvedFindings: len(d.Findings.Resolved)}
	for _, c := range d.Changes {
		if c.Effect == Opened {
			s.Opened++
		} else {
			s.Closed++
		}
		switch c.Risk {
		case RiskWorld:
			s.OpenedWorld++
		case RiskCrossNamespace:
			s.OpenedCrossNamespace++
		case RiskNamespace:
			s.OpenedNamespace++
		case RiskBreakage:
			s.Breakage++
		}
	}
	for _, p := range d.Policies {
		switch p.Change {
		case "added":
			s.PoliciesAdded++
		case "removed":
			s.PoliciesRemoved++
		default:
			s.PoliciesModified++
		}
	}
	return s
}

// policyChanges lists the policy objects of every kind the snapshot holds
// that one state has and the other lacks, or that differ in spec.
func policyChanges(a, b *inventory.Snapshot) []PolicyChange {
	type obj struct {
		kind, ns, name string
		spec           any
	}
	collect := func(s *inventory.Snapshot) map[string]obj {
		m := map[string]obj{}
		add := func(o obj) { m[o.kind+"/"+o.ns+"/"+o.name] = o }
		for i := range s.Policies {
			p := &s.Policies[i]
			add(obj{reach.KindNetworkPolicy, p.Namespace, p.Name, p.Spec})
		}
		for i := range s.ClusterNetworkPolicies {
			p := &s.ClusterNetworkPolicies[i]
			add(obj{reach.KindClusterNetworkPolicy, "", p.Name, p.Spec})
		}
		for i := range s.AdminNetworkPolicies {
			p := &s.AdminNetworkPolicies[i]
			add(obj{reach.KindAdminNetworkPolicy, "", p.Name, p.Spec})
		}
		for i := range s.BaselineAdminNetworkPolicies {
			p := &s.BaselineAdminNetworkPolicies[i]
			add(obj{reach.KindBaselineAdminNetworkPolicy, "", p.Name, p.Spec})
		}
		return m
	}
	ma, mb := collect(a), collect(b)
	out := []PolicyChange{}
	for k, o := range ma {
		if n, ok := mb[k]; !ok {
			out = append(out, PolicyChange{o.kind, o.ns, o.name, "removed"})
		} else if !reflect.DeepEqual(o.spec, n.spec) {
			out = append(out, PolicyChange{o.kind, o.ns, o.name, "modified"})
		}
	}
	for k, o := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, PolicyChange{o.kind, o.ns, o.name, "added"})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		return x.Name < y.Name
	})
	return out
}

// NodeID names a matrix node as explain and verify accept it.
func NodeID(level reach.Level, n reach.Node) string {
	if level == reach.ByPod {
		return n.Namespace + "/" + n.Name
	}
	return inventory.Workload{Namespace: n.Namespace, Kind: n.Kind, Name: n.Name}.String()
}

type nodeInfo struct {
	node reach.Node
	ext  reach.ExternalAccess
}

func nodeIndex(m *reach.Matrix, level reach.Level) map[string]*nodeInfo {
	out := make(map[string]*nodeInfo, len(m.Nodes))
	for i, n := range m.Nodes {
		out[NodeID(level, n)] = &nodeInfo{node: n, ext: m.External[i]}
	}
	return out
}

type computer struct {
	base, proposed       State
	level                reach.Level
	changed              map[reach.PolicyRef]bool
	baseNodes, propNodes map[string]*nodeInfo
	out                  []*Change
	groups               map[string]*Change
}

// node returns a node by ID from whichever side has it (proposed first).
func (c *computer) node(id string) reach.Node {
	if n, ok := c.propNodes[id]; ok {
		return n.node
	}
	return c.baseNodes[id].node
}

// edges compares the node-to-node ports of both matrices.
func (c *computer) edges(mb, mp *reach.Matrix) {
	type key struct{ from, to string }
	ids := func(m *reach.Matrix) []string {
		out := make([]string, len(m.Nodes))
		for i, n := range m.Nodes {
			out[i] = NodeID(c.level, n)
		}
		return out
	}
	bIDs, pIDs := ids(mb), ids(mp)
	before := make(map[key]reach.PortSet, len(mb.Edges))
	for _, e := range mb.Edges {
		before[key{bIDs[e.From], bIDs[e.To]}] = e.Ports
	}
	seen := make(map[key]bool, len(mp.Edges))
	for _, e := range mp.Edges {
		k := key{pIDs[e.From], pIDs[e.To]}
		seen[k] = true
		old := before[k]
		if old.Equal(e.Ports) {
			continue
		}
		c.pair(k.from, k.to, e.Ports.Subtract(old), old.Subtract(e.Ports))
	}
	for _, e := range mb.Edges {
		k := key{bIDs[e.From], bIDs[e.To]}
		if !seen[k] {
			c.pair(k.from, k.to, reach.PortSet{}, e.Ports)
		}
	}
}

func (c *computer) pair(from, to string, opened, closed reach.PortSet) {
	src, dst := c.node(from), c.node(to)
	for _, eff := range []Effect{Opened, Closed} {
		ports := opened
		if eff == Closed {
			ports = closed
		}
		if ports.IsEmpty() {
			continue
		}
		risk := RiskNamespace
		switch {
		case eff == Closed:
			risk = RiskClosed
		case src.Namespace != dst.Namespace:
			risk = RiskCrossNamespace
		}
		// Sources of one namespace whose traffic to a destination changes
		// on the same ports are one change: the same policies are at work.
		key := string(eff) + "|" + to + "|" + src.Namespace + "|" + ports.String()
		ch, ok := c.groups[key]
		if !ok {
			ch = &Change{Effect: eff, Risk: risk, To: to, Ports: ports}
			c.groups[key] = ch
		}
		ch.From = append(ch.From, from)
	}
}

// explainGroups sorts each grouped change's sources and explains it on
// the first.
func (c *computer) explainGroups() {
	keys := make([]string, 0, len(c.groups))
	for k := range c.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Groups are explained on every core: each asks the models (safe for
	// concurrent use) about its own pods and writes only its own Change.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(keys); i = int(next.Add(1)) - 1 {
				ch := c.groups[keys[i]]
				sort.Strings(ch.From)
				c.explainPair(ch)
			}
		}()
	}
	wg.Wait()
	for _, k := range keys {
		c.out = append(c.out, c.groups[k])
	}
	c.groups = nil
}

// firstPort is the lowest port of the set, TCP first.
func firstPort(s reach.PortSet) (int32, reach.Protocol) {
	for _, p := range s.Protocols() {
		if r := s.Ranges(p); len(r) > 0 {
			return r[0].From, p
		}
	}
	return 0, reach.TCP
}

// maxProbes bounds the pod pairs tried to find one on which the change
// shows; pods of one workload almost always share their verdicts.
const maxProbes = 64

// explainPair finds a pod pair whose verdict changed on the change's first
// port and records both verdicts and the policies behind them.
func (c *computer) explainPair(ch *Change) {
	port, proto := firstPort(ch.Ports)
	// The side where the traffic is allowed has a pod pair that shows it;
	// on the other side every pod pair of the two nodes is denied.
	where, nodes := c.proposed, c.propNodes
	if ch.Effect == Closed {
		where, nodes = c.base, c.baseNodes
	}
	src, dst := nodes[ch.From[0]].node, nodes[ch.To].node
	sp, dp, _ := firstPair(src, dst)
	var found *reach.Verdict
	tries := 0
search:
	for _, s := range src.Pods {
		for _, d := range dst.Pods {
			if s == d && src.Namespace == dst.Namespace {
				continue
			}
			if tries++; tries > maxProbes {
				break search
			}
			if v := where.Model.Verdict(c.podEndpoint(where, src.Namespace, s), c.podEndpoint(where, dst.Namespace, d), port, proto); v.Allowed {
				sp, dp, found = s, d, &v
				break search
			}
		}
	}
	// verdict asks a state about the pod pair (a, b) of the source from
	// and the destination, or the first pair of the two nodes when the
	// state lacks a or b.
	verdict := func(s State, nodes map[string]*nodeInfo, from, a, b string) reach.Verdict {
		sn, okFrom := nodes[from]
		dn, okTo := nodes[ch.To]
		fromNS := src.Namespace
		if okFrom {
			fromNS = sn.node.Namespace
		}
		fromPod, toPod := fromNS+"/"+a, dst.Namespace+"/"+b
		if !okFrom || !okTo {
			return absentVerdict(fromPod, toPod, okFrom, okTo, port, proto, ReasonAbsent)
		}
		if !slices.Contains(sn.node.Pods, a) || !slices.Contains(dn.node.Pods, b) {
			var ok bool
			if a, b, ok = firstPair(sn.node, dn.node); !ok {
				return absentVerdict(fromPod, toPod, false, false, port, proto, ReasonNoPair)
			}
		}
		return s.Model.Verdict(c.podEndpoint(s, fromNS, a), c.podEndpoint(s, dst.Namespace, b), port, proto)
	}
	// The allowing side's verdict is the one the search found.
	shown := func(s State, nodes map[string]*nodeInfo) reach.Verdict {
		if found != nil {
			return *found
		}
		return verdict(s, nodes, ch.From[0], sp, dp)
	}
	if ch.Effect == Opened {
		ch.Before, ch.After = verdict(c.base, c.baseNodes, ch.From[0], sp, dp), shown(c.proposed, c.propNodes)
	} else {
		ch.Before, ch.After = shown(c.base, c.baseNodes), verdict(c.proposed, c.propNodes, ch.From[0], sp, dp)
	}
	// The other sources of the group may owe their change to other
	// policies: each adds the causes its first pod pair shows on both
	// sides (causes keeps only the policies that differ between the
	// states, so a pair that does not show the change adds nothing wrong).
	// A group can have thousands of sources: their verdicts are read one
	// at a time, not gathered first.
	cs := c.newCauses()
	cs.add(&ch.Before)
	cs.add(&ch.After)
	for _, from := range ch.From[1:] {
		n := nodes[from]
		if n == nil {
			continue
		}
		a, b, ok := firstPair(n.node, dst)
		if !ok {
			continue
		}
		before, after := verdict(c.base, c.baseNodes, from, a, b), verdict(c.proposed, c.propNodes, from, a, b)
		cs.add(&before)
		cs.add(&after)
	}
	ch.Policies = cs.sorted()
}

// firstPair returns the first pod pair between two nodes that is not a
// pod and itself.
func firstPair(src, dst reach.Node) (string, string, bool) {
	for _, s := range src.Pods {
		for _, d := range dst.Pods {
			if s != d || src.Namespace != dst.Namespace {
				return s, d, true
			}
		}
	}
	return "", "", false
}

// Reasons of verdict sides the engine was not asked about.
const (
	// ReasonAbsent: the state does not hold the workload or pod; nothing
	// flows to or from what does not exist.
	ReasonAbsent = "not in this state"
	// ReasonNoPair: the workload holds a single pod in this state, and a
	// pod's traffic to itself is not part of the matrix.
	ReasonNoPair = "no other pod of the workload in this state"
)

// absentVerdict is a denying verdict for a state that lacks an end.
func absentVerdict(from, to string, hasFrom, hasTo bool, port int32, proto reach.Protocol, reason string) reach.Verdict {
	v := reach.Verdict{From: from, To: to, Port: port, Protocol: proto,
		Egress:  reach.Direction{Subject: from, Allowed: hasFrom, Reason: reason},
		Ingress: reach.Direction{Subject: to, Allowed: hasTo, Reason: reason}}
	if hasFrom {
		v.Egress.Reason = "present"
	}
	if hasTo {
		v.Ingress.Reason = "present"
	}
	return v
}

// podEndpoint returns the pod of a state, or the other state's pod when it
// lacks it (judged on its own labels, as the engine does for unknown pods).
func (c *computer) podEndpoint(s State, ns, name string) reach.Endpoint {
	if p := s.Model.Pod(ns, name); p != nil {
		return reach.PodEndpoint(p)
	}
	for _, o := range []State{c.proposed, c.base} {
		if p := o.Model.Pod(ns, name); p != nil {
			return reach.PodEndpoint(p)
		}
	}
	return reach.PodEndpoint(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
}

// causes gathers the policies verdicts mention that differ between the
// states.
type causes struct {
	changed map[reach.PolicyRef]bool
	set     map[string]bool
}

func (c *computer) newCauses() causes {
	return causes{changed: c.changed, set: map[string]bool{}}
}

func (cs causes) add(v *reach.Verdict) {
	policyRefs(reflect.ValueOf(v).Elem(), func(p reach.PolicyRef) {
		if p.Kind == "" {
			p.Kind = reach.KindNetworkPolicy
		}
		if cs.changed[p] {
			cs.set[p.String()] = true
		}
	})
}

// sorted returns the policies gathered, sorted.
func (cs causes) sorted() []string {
	out := make([]string, 0, len(cs.set))
	for s := range cs.set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

var policyRefType = reflect.TypeFor[reach.PolicyRef]()

// policyRefs calls fn on every PolicyRef a verdict holds, wherever it
// holds one (isolating policies, allowing rules, and whatever the engine
// reports for other policy kinds), so causes follow the engine's verdicts
// as they grow.
func policyRefs(v reflect.Value, fn func(reach.PolicyRef)) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == policyRefType {
			fn(v.Interface().(reach.PolicyRef))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanInterface() { // exported
				policyRefs(f, fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			policyRefs(v.Index(i), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			policyRefs(v.Elem(), fn)
		}
	}
}

// external compares, per node and direction, the ports exchanged with each
// address outside the cluster.
func (c *computer) external(mb, mp *reach.Matrix) {
	ids := map[string]bool{}
	for id := range c.baseNodes {
		ids[id] = true
	}
	for id := range c.propNodes {
		ids[id] = true
	}
	for id := range ids {
		var before, after reach.ExternalAccess
		if n, ok := c.baseNodes[id]; ok {
			before = n.ext
		}
		if n, ok := c.propNodes[id]; ok {
			after = n.ext
		}
		for _, egress := range []bool{false, true} {
			b, a := before.Ingress, after.Ingress
			if egress {
				b, a = before.Egress, after.Egress
			}
			if sameEntries(b, a) {
				continue
			}
			opened, closed := DiffRanges(b, a)
			for _, e := range opened {
				c.externalChange(id, egress, Opened, e)
			}
			for _, e := range closed {
				c.externalChange(id, egress, Closed, e)
			}
		}
	}
}

func (c *computer) externalChange(id string, egress bool, eff Effect, e reach.CIDRPorts) {
	ch := Change{Effect: eff, Risk: RiskWorld, From: []string{Outside}, To: id, CIDRs: e.CIDRs, Ports: e.Ports}
	if egress {
		ch.From, ch.To = []string{id}, Outside
	}
	if eff == Closed {
		ch.Risk = RiskClosed
	}
	port, proto := firstPort(e.Ports)
	addr := e.CIDRs[0].Addr()
	where, nodes := c.proposed, c.propNodes
	if eff == Closed {
		where, nodes = c.base, c.baseNodes
	}
	n := nodes[id].node
	pod := ""
	for i, p := range n.Pods {
		if i == 0 {
			pod = p
		}
		if i >= maxProbes {
			break
		}
		if c.externalVerdict(where, n.Namespace, p, addr, egress, port, proto).Allowed {
			pod = p
			break
		}
	}
	verdict := func(s State, nodes map[string]*nodeInfo) reach.Verdict {
		from, to := n.Namespace+"/"+pod, addr.String()
		if !egress {
			from, to = to, from
		}
		sn, ok := nodes[id]
		if !ok {
			return absentVerdict(from, to, !egress, egress, port, proto, ReasonAbsent)
		}
		p := pod
		if !slices.Contains(sn.node.Pods, p) {
			p = sn.node.Pods[0]
		}
		return c.externalVerdict(s, n.Namespace, p, addr, egress, port, proto)
	}
	ch.Before = verdict(c.base, c.baseNodes)
	ch.After = verdict(c.proposed, c.propNodes)
	cs := c.newCauses()
	cs.add(&ch.Before)
	cs.add(&ch.After)
	ch.Policies = cs.sorted()
	c.out = append(c.out, &ch)
}

func (c *computer) externalVerdict(s State, ns, pod string, addr netip.Addr, egress bool, port int32, proto reach.Protocol) reach.Verdict {
	p := c.podEndpoint(s, ns, pod)
	if egress {
		return s.Model.Verdict(p, reach.IPEndpoint(addr), port, proto)
	}
	return s.Model.Verdict(reach.IPEndpoint(addr), p, port, proto)
}

func sameEntries(a, b []reach.CIDRPorts) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Ports.Equal(b[i].Ports) || len(a[i].CIDRs) != len(b[i].CIDRs) {
			return false
		}
		for j := range a[i].CIDRs {
			if a[i].CIDRs[j] != b[i].CIDRs[j] {
				return false
			}
		}
	}
	return true
}

func sortChanges(cs []*Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Risk != b.Risk {
			return a.Risk.Rank() < b.Risk.Rank()
		}
		if a.To != b.To {
			return a.To < b.To
		}
		if a.From[0] != b.From[0] {
			return a.From[0] < b.From[0]
		}
		if a.Effect != b.Effect {
			return a.Effect > b.Effect // opened first
		}
		return comparePrefixes(a.CIDRs, b.CIDRs) < 0
	})
}

// comparePrefixes orders lists of ranges by their first: IPv4 first, then
// by address, the wider first.
func comparePrefixes(a, b []netip.Prefix) int {
	switch {
	case len(a) == 0 || len(b) == 0:
		return len(a) - len(b)
	case a[0].Addr().BitLen() != b[0].Addr().BitLen():
		return a[0].Addr().BitLen() - b[0].Addr().BitLen()
	}
	if c := a[0].Addr().Compare(b[0].Addr()); c != 0 {
		return c
	}
	return a[0].Bits() - b[0].Bits()
}

// CIDRText renders the ranges of a change, "0.0.0.0/0, ::/0".
func CIDRText(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
