package reach

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Queries about single rules, peers and port entries.
//
// The audit asks questions a verdict does not answer directly: which pods a
// peer matches, on which pods a named port resolves, which pods every
// policy treats alike. Query answers them with the engine's own matching
// (selectorPeerMatches, peerMatches, podInfo.resolve) on its equivalence
// classes, so that there is one reading of every policy and the cost grows
// with classes, not pods.

// Query answers questions about the compiled model's rules. Make one with
// Model.Query and keep it for the questions of one run; it is not safe for
// concurrent use.
type Query struct {
	m  *Model
	ci *classIndex
	// classPods lists, per class, the indexes of its pods in m.pods.
	classPods [][]int
	// policy indexes m.policies by reference.
	policy map[PolicyRef]int
	// namespaces are the snapshot's namespaces, sorted.
	namespaces []string
	// byPeer lists, by peer id, the classes the peer matches; nil until
	// first used (see peerClasses).
	byPeer [][]int32
	// nsMatches memoises PeerNamespaces by namespaceSelector: policies
	// repeat a few selectors (team=x, purpose=monitoring) many times.
	nsMatches map[string][]string
	// selected lists, by policy index, the classes a NetworkPolicy selects
	// and isolates for ingress; nil until first used (see destClasses).
	selected [][]int32
	// namedMemo memoises NamedPort.
	namedMemo map[namedPortKey]namedPortAnswer
}

// peerClasses returns the classes a counted peer matches, ascending (see
// classesByPeer), read once from the classes' peer bitsets: a peer's
// question then costs its classes, not a walk of every class.
func (q *Query) peerClasses(id int) []int32 {
	if q.byPeer == nil {
		q.byPeer = q.ci.classesByPeer()
	}
	if id < 0 || id >= len(q.byPeer) {
		return nil
	}
	return q.byPeer[id]
}

// Query returns a Query over the model.
func (m *Model) Query() *Query {
	ci := m.classIndex()
	q := &Query{m: m, ci: ci, classPods: make([][]int, len(ci.classes)), policy: map[PolicyRef]int{}}
	for i, c := range ci.podClass {
		q.classPods[c] = append(q.classPods[c], i)
	}
	for i := range m.policies {
		q.policy[m.policies[i].ref] = i
	}
	for ns := range m.nsLabels {
		q.namespaces = append(q.namespaces, ns)
	}
	sort.Strings(q.namespaces)
	return q
}

// PodClass is a set of pods every policy treats alike: they get the same
// verdicts, so a question about one answers for all.
type PodClass struct {
	// Pods in snapshot order.
	Pods        []*corev1.Pod
	HostNetwork bool
	// IsolatedBy lists, per Dir, the policies that select the class and
	// isolate that direction, sorted.
	IsolatedBy [2][]PolicyRef
	// Tiers lists the cluster-wide policies (Admin and Baseline tiers)
	// that select the class, Admin tier first, by priority.
	Tiers []PolicyRef
}

// Classes returns the model's pod equivalence classes; ClassOf maps a pod
// to its index here.
func (q *Query) Classes() []PodClass {
	out := make([]PodClass, len(q.ci.classes))
	for c := range q.ci.classes {
		cl := &q.ci.classes[c]
		pc := PodClass{HostNetwork: cl.hostNetwork}
		for _, i := range q.classPods[c] {
			pc.Pods = append(pc.Pods, q.m.pods[i].pod)
		}
		for d := range cl.selectedBy {
			for _, pi := range cl.selectedBy[d] {
				pc.IsolatedBy[d] = append(pc.IsolatedBy[d], q.m.policies[pi].ref)
			}
			sort.Slice(pc.IsolatedBy[d], func(i, j int) bool { return pc.IsolatedBy[d][i].less(pc.IsolatedBy[d][j]) })
		}
		for _, pi := range cl.tiers {
			pc.Tiers = append(pc.Tiers, q.m.policies[pi].ref)
		}
		out[c] = pc
	}
	return out
}

// ClassOf returns the index in Classes of the snapshot's pod with that
// namespace and name, or -1.
func (q *Query) ClassOf(namespace, name string) int {
	if i, ok := q.m.podIndex[namespace+"/"+name]; ok {
		return q.ci.podClass[i]
	}
	return -1
}

// findRule returns a policy's rule of direction d at spec index index,
// among the rules that count (active) or the ones the API ignores.
func (q *Query) findRule(ref PolicyRef, d Dir, index int) (pi int, r *rule, active bool) {
	pi, ok := q.policy[ref]
	if !ok {
		return -1, nil, false
	}
	pol := &q.m.policies[pi]
	for i := range pol.rules[d] {
		if pol.rules[d][i].index == index {
			return pi, &pol.rules[d][i], true
		}
	}
	for i := range pol.inactive[d] {
		if pol.inactive[d][i].index == index {
			return pi, &pol.inactive[d][i], false
		}
	}
	return -1, nil, false
}

// PeerNamespaces returns the snapshot's namespaces, sorted, whose pods a
// pods or namespaces peer can match: those its namespaceSelector matches,
// or the policy's own namespace when it has none. It returns nil for other
// peers and for a rule or peer the model does not hold.
func (q *Query) PeerNamespaces(ref PolicyRef, d Dir, rule, peer int) []string {
	pi, r, _ := q.findRule(ref, d, rule)
	if r == nil || peer < 0 || peer >= len(r.peers) {
		return nil
	}
	pr := &r.peers[peer]
	if pr.kind != PeerPods && pr.kind != PeerNamespaces {
		return nil
	}
	if pr.nsSel == nil {
		return []string{q.m.policies[pi].ref.Namespace}
	}
	// The selector's type tells labels.Nothing from labels.Everything,
	// which both print as "".
	key := fmt.Sprintf("%T %s", pr.nsSel, pr.nsSel.String())
	if out, ok := q.nsMatches[key]; ok {
		return slices.Clone(out)
	}
	out := []string{}
	for _, ns := range q.namespaces {
		if pr.nsSel.Matches(q.m.namespaceLabels(ns)) {
			out = append(out, ns)
		}
	}
	if q.nsMatches == nil {
		q.nsMatches = map[string][]string{}
	}
	q.nsMatches[key] = out
	return slices.Clone(out)
}

// PeerPods returns the snapshot's pods a peer of a rule matches, in
// snapshot order: for a selector peer the pods its selectors match (never
// hostNetwork pods), for an address peer the pods holding an address in it
// when address peers see pods. Rules the API ignores (a direction missing
// from policyTypes) are answered as if they counted.
func (q *Query) PeerPods(ref PolicyRef, d Dir, rule, peer int) []*corev1.Pod {
	pi, r, active := q.findRule(ref, d, rule)
	if r == nil || peer < 0 || peer >= len(r.peers) {
		return nil
	}
	pr := &r.peers[peer]
	var out []*corev1.Pod
	if active {
		// Classes record which of the counted peers match their pods.
		var idx []int
		for _, c := range q.peerClasses(pr.id) {
			idx = append(idx, q.classPods[c]...)
		}
		sort.Ints(idx)
		for _, i := range idx {
			out = append(out, q.m.pods[i].pod)
		}
		return out
	}
	pol := &q.m.policies[pi]
	for i := range q.m.pods {
		if q.m.peerMatches(pol, pr, party{pod: &q.m.pods[i]}) {
			out = append(out, q.m.pods[i].pod)
		}
	}
	return out
}

// PeerPodCount is len(PeerPods(...)), counted on the classes without
// listing the pods.
func (q *Query) PeerPodCount(ref PolicyRef, d Dir, rule, peer int) int {
	_, r, active := q.findRule(ref, d, rule)
	if r == nil || peer < 0 || peer >= len(r.peers) {
		return 0
	}
	if !active {
		return len(q.PeerPods(ref, d, rule, peer))
	}
	n := 0
	for _, c := range q.peerClasses(r.peers[peer].id) {
		n += len(q.classPods[c])
	}
	return n
}

// NamedPortUse says how a named port entry of a rule resolves on the pods
// it applies to.
type NamedPortUse struct {
	// Destinations counts the pods on which the name is looked up: the pods
	// the policy selects for an ingress rule, the pods the rule's peers
	// match (every pod without peers) for an egress rule.
	Destinations int
	// Resolved counts those on which it names a port with the entry's
	// protocol (containers and sidecars; never on hostNetwork pods).
	Resolved int
	// OtherProtocol, when nothing resolves, is a protocol some destination
	// declares the name with instead.
	OtherProtocol Protocol
}

// NamedPort answers for the port entry at index port of a rule; ok is
// false when that entry is not a named port. Answers are memoised: the
// audit asks about each entry once per check that reads it.
func (q *Query) NamedPort(ref PolicyRef, d Dir, rule, port int) (use NamedPortUse, ok bool) {
	k := namedPortKey{ref, d, rule, port}
	if a, ok := q.namedMemo[k]; ok {
		return a.use, a.ok
	}
	use, ok = q.namedPort(ref, d, rule, port)
	if q.namedMemo == nil {
		q.namedMemo = map[namedPortKey]namedPortAnswer{}
	}
	q.namedMemo[k] = namedPortAnswer{use, ok}
	return use, ok
}

type namedPortKey struct {
	ref        PolicyRef
	d          Dir
	rule, port int
}

type namedPortAnswer struct {
	use NamedPortUse
	ok  bool
}

// destClasses returns the classes whose pods are the destinations of a
// counted rule of a NetworkPolicy, ascending: for ingress the classes the
// policy selects (which it isolates, since the rule counts), for egress the
// classes some peer matches, every class without peers. The classes record
// both (selectedBy, peers), as a walk of every class with selects and
// peerMatches would find them.
func (q *Query) destClasses(pi int, d Dir, r *rule) []int32 {
	if d == ingress {
		if q.selected == nil {
			q.selected = make([][]int32, len(q.m.policies))
			for c := range q.ci.classes {
				for _, p := range q.ci.classes[c].selectedBy[ingress] {
					q.selected[p] = append(q.selected[p], int32(c))
				}
			}
		}
		return q.selected[pi]
	}
	switch len(r.peers) {
	case 0:
		out := make([]int32, len(q.ci.classes))
		for c := range out {
			out[c] = int32(c)
		}
		return out
	case 1:
		return q.peerClasses(r.peers[0].id)
	}
	var out []int32
	for k := range r.peers {
		out = append(out, q.peerClasses(r.peers[k].id)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (q *Query) namedPort(ref PolicyRef, d Dir, rule, port int) (use NamedPortUse, ok bool) {
	pi, r, active := q.findRule(ref, d, rule)
	if r == nil || port < 0 || port >= len(r.ports) || r.ports[port].name == "" {
		return use, false
	}
	pol := &q.m.policies[pi]
	pm := r.ports[port]
	isDest := func(p *podInfo) bool {
		if d == ingress {
			return q.m.selects(pol, p)
		}
		if len(r.peers) == 0 {
			return true
		}
		for k := range r.peers {
			if q.m.peerMatches(pol, &r.peers[k], party{pod: p}) {
				return true
			}
		}
		return false
	}
	var dests []int
	if _, known := q.m.namedIndex[namedRef{pm.name, pm.proto}]; active && known {
		// Pods of a class look alike to every counted rule, named ports
		// included: decide once per class.
		each := func(c int) {
			pods := q.classPods[c]
			if len(pods) == 0 {
				return
			}
			use.Destinations += len(pods)
			if _, ok := q.m.pods[pods[0]].resolve(pm.name, pm.proto); ok {
				use.Resolved += len(pods)
			}
			dests = append(dests, pods...)
		}
		if pol.tier == TierNetworkPolicy {
			for _, c := range q.destClasses(pi, d, r) {
				each(int(c))
			}
		} else {
			for c := range q.ci.classes {
				if pods := q.classPods[c]; len(pods) > 0 && isDest(&q.m.pods[pods[0]]) {
					each(c)
				}
			}
		}
	} else {
		for i := range q.m.pods {
			p := &q.m.pods[i]
			if !isDest(p) {
				continue
			}
			use.Destinations++
			if _, ok := p.resolve(pm.name, pm.proto); ok {
				use.Resolved++
			}
			dests = append(dests, i)
		}
	}
	if use.Resolved == 0 {
		for _, i := range dests {
			if cp, ok := q.m.pods[i].named[pm.name]; ok && cp.proto != pm.proto {
				use.OtherProtocol = cp.proto
				break
			}
		}
	}
	return use, true
}
