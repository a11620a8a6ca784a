package reach

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Options are the choices NetworkPolicy leaves to the implementation. Each
// one changes verdicts, so reports should print the options they used.
type Options struct {
	// IPBlockMatchesPods says whether an ipBlock peer matches pods whose IP
	// it contains. Calico, Antrea, kube-router and the upstream e2e model do;
	// Cilium does not (cilium 9209, 19601), treating ipBlock as "outside the
	// cluster" only. hostNetwork pods carry node IPs and are matched by
	// ipBlocks either way, as any address outside the pod network would be.
	IPBlockMatchesPods bool `json:"ipBlockMatchesPods"`
	// PodCIDRs is the pod network (--pod-cidr), where pods without an IP
	// (templates, pending pods) are placed. Empty: the nodes'
	// spec.podCIDRs when Node objects were read, else inferred from the
	// pods' IPs (see podNetwork).
	PodCIDRs []netip.Prefix `json:"podCIDRs,omitempty"`
}

// DefaultOptions follows Calico, Antrea and the upstream e2e suite.
func DefaultOptions() Options { return Options{IPBlockMatchesPods: true} }

// Model is a snapshot's policies compiled once, ready to answer verdicts and
// compute the matrix. It is safe for concurrent use.
type Model struct {
	opts     Options
	nsLabels map[string]labels.Set
	// implicitNS holds the labels of namespaces the snapshot lacks but its
	// pods or policies name: only the one the API server gives every
	// namespace. Built once so verdicts do not allocate it per call.
	implicitNS map[string]labels.Set
	// verdictPods remembers, per *podInfo of pods, what Verdict asks about
	// the pod again and again (*verdictPod).
	verdictPods sync.Map
	policies    []policy
	// byNamespace lists the indexes of the policies of each namespace, the
	// only ones that can select its pods.
	byNamespace map[string][]int
	blocks      []ipBlock
	pods        []podInfo
	podIndex    map[string]int // "ns/name" -> index in pods
	// podAt finds the pods of the snapshot by address, for Verdict, which
	// callers mostly hand the snapshot's own pods many times.
	podAt map[*corev1.Pod]int
	// podsByNS lists the indexes of each namespace's pods.
	podsByNS  map[string][]int
	peerCount int
	ruleCount int
	// namedRefs are the (name, protocol) pairs some rule uses as a port, the
	// only named ports that can set two pods apart.
	namedRefs  []namedRef
	namedIndex map[namedRef]int

	// tiered lists the indexes of the cluster-wide policies in the order
	// they are consulted: Admin tier, then Baseline; by priority, then ref.
	tiered []int
	// tierBlocks says some address peer matches pods whatever the options
	// say, so pods are placed in the address partition regardless.
	tierBlocks bool
	// podNet is where pods without an IP are; unknownRels[0][b] is what
	// block b does with such a pod, unknownRels[1][b] with such a
	// hostNetwork pod; uncertain says whether some peer matches them only
	// maybe (podnet.go).
	podNet      PodNetwork
	unknownRels [2][]match
	uncertain   [2]bool
	// notes are things the model had to assume about its input, one line
	// each, for reports.
	notes []string

	classesOnce sync.Once
	classes     *classIndex

	// matrices are the matrices Matrix computed, by level: the audit, the
	// diff and the html map of one model ask for the same one.
	matricesMu sync.Mutex
	matrices   map[Level]*Matrix

	// eval is the matrixEval Exposure and Redundancy share (see
	// sharedEval), guarded by evalMu for as long as either uses it.
	evalMu sync.Mutex
	eval   *matrixEval
}

// Notes returns what the model had to assume about its input (unknown peer
// fields of a newer CRD, ...), one line each.
func (m *Model) Notes() []string { return m.notes }

// Policy kinds the model compiles.
const (
	KindNetworkPolicy              = "NetworkPolicy"
	KindClusterNetworkPolicy       = "ClusterNetworkPolicy"
	KindAdminNetworkPolicy         = "AdminNetworkPolicy"
	KindBaselineAdminNetworkPolicy = "BaselineAdminNetworkPolicy"
)

// PolicyRef names a policy of any kind. Namespace is empty for the
// cluster-scoped kinds.
type PolicyRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// NetworkPolicyRef names a NetworkPolicy.
func NetworkPolicyRef(namespace, name string) PolicyRef {
	return PolicyRef{Kind: KindNetworkPolicy, Namespace: namespace, Name: name}
}

// String renders "ns/name" for a NetworkPolicy and "cnp/name", "anp/name"
// or "banp/name" for the cluster-scoped kinds.
func (r PolicyRef) String() string {
	switch r.Kind {
	case KindClusterNetworkPolicy:
		return "cnp/" + r.Name
	case KindAdminNetworkPolicy:
		return "anp/" + r.Name
	case KindBaselineAdminNetworkPolicy:
		return "banp/" + r.Name
	}
	return r.Namespace + "/" + r.Name
}

// compare orders refs as less does, for slices.SortFunc.
func (r PolicyRef) compare(o PolicyRef) int {
	switch {
	case r.less(o):
		return -1
	case o.less(r):
		return 1
	}
	return 0
}

func (r PolicyRef) less(o PolicyRef) bool {
	if r.Kind != o.Kind {
		return kindOrder(r.Kind) < kindOrder(o.Kind)
	}
	if r.Namespace != o.Namespace {
		return r.Namespace < o.Namespace
	}
	return r.Name < o.Name
}

func kindOrder(kind string) int {
	switch kind {
	case KindClusterNetworkPolicy:
		return 1
	case KindAdminNetworkPolicy:
		return 2
	case KindBaselineAdminNetworkPolicy:
		return 3
	}
	return 0
}

// Dir is a direction of traffic relative to the pod a policy selects.
type Dir int

const (
	ingress Dir = iota
	egress
)

// Ingress and Egress are the two directions a policy rule can govern.
const (
	Ingress = ingress
	Egress  = egress
)

// String renders "ingress" or "egress".
func (d Dir) String() string {
	if d == egress {
		return "egress"
	}
	return "ingress"
}

// Tier orders policies: the Admin tier first, then NetworkPolicy, then the
// Baseline tier; within the cluster-wide tiers, ascending priority.
type Tier int

const (
	TierAdmin Tier = iota
	TierNetworkPolicy
	TierBaseline
)

// String renders "Admin", "NetworkPolicy" or "Baseline".
func (t Tier) String() string {
	switch t {
	case TierAdmin:
		return "Admin"
	case TierBaseline:
		return "Baseline"
	}
	return "NetworkPolicy"
}

// MarshalText makes a Tier read as its name in JSON and YAML.
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (t *Tier) UnmarshalText(text []byte) error {
	for _, c := range []Tier{TierAdmin, TierNetworkPolicy, TierBaseline} {
		if c.String() == string(text) {
			*t = c
			return nil
		}
	}
	return fmt.Errorf("unknown tier %q: want Admin, NetworkPolicy or Baseline", text)
}

// Action is what a rule does with the traffic it matches. NetworkPolicy
// rules only allow; ClusterNetworkPolicy spells Allow "Accept".
type Action string

const (
	ActionAllow Action = "Allow"
	ActionDeny  Action = "Deny"
	ActionPass  Action = "Pass"
)

// PeerKind says what a rule's peer selects.
type PeerKind string

const (
	// PeerPods selects pods by namespace and pod selectors.
	PeerPods PeerKind = "pods"
	// PeerNamespaces selects every pod of the namespaces a selector matches.
	PeerNamespaces PeerKind = "namespaces"
	// PeerAddresses is an ipBlock or a networks CIDR.
	PeerAddresses PeerKind = "addresses"
	// PeerNodes selects the addresses of nodes by their labels.
	PeerNodes PeerKind = "nodes"
	// PeerOutside is a peer the model cannot decide from objects
	// (domainNames); Peer.Outside says why.
	PeerOutside PeerKind = "outside"
)

type policy struct {
	ref        PolicyRef
	apiVersion string
	tier       Tier
	priority   int32
	// nsSel is nil for a NetworkPolicy, whose subject is in its own
	// namespace; for the cluster-wide kinds it selects the namespaces of
	// the subject.
	nsSel labels.Selector
	// selector selects the subject's pods; nil selects every pod.
	selector labels.Selector
	// isolates says, per Dir, whether the effective policyTypes include it;
	// for the cluster-wide kinds, whether it has rules in that direction.
	isolates [2]bool
	// rules holds, per Dir, the rules that count, in spec order: rules of a
	// direction a NetworkPolicy does not isolate are ignored, as the API
	// says, and kept in inactive for the audit.
	rules    [2][]rule
	inactive [2][]rule
}

type rule struct {
	id     int    // index over all rules of the model, for memoisation
	index  int    // position in spec.ingress or spec.egress
	field  string // "spec.egress[2]"
	action Action
	peers  []peer // empty: every source or destination, in or out of the cluster
	// ports empty: every port of every protocol.
	ports []portMatch
	// static is the union of the numeric and protocol-only ports; named
	// ports are resolved per destination pod on top of it.
	static PortSet
	named  []portMatch
}

type peer struct {
	id    int // index over all peers of the model, for class signatures
	kind  PeerKind
	field string // "spec.ingress[0].from[1]"
	text  string // for explanations
	block int    // index into Model.blocks, or -1
	// nsSel nil means the policy's own namespace; podSel nil means every pod
	// of the selected namespaces.
	nsSel, podSel labels.Selector
	// nodeSel selects nodes for a PeerNodes peer.
	nodeSel labels.Selector
	// outside says why a PeerOutside peer (or a PeerNodes peer without Node
	// objects) cannot be decided.
	outside string
	// seesPods says whether an address peer matches pod IPs whatever
	// Options.IPBlockMatchesPods says (networks peers of the tiers do).
	seesPods bool
	// any matches everything, never nothing (rules of the tiers whose
	// peers had to be replaced: see compileTierRule).
	any, never bool
	// hasBlock marks block as set when the peer is made (newPeer).
	hasBlock bool
}

type portMatch struct {
	field string
	proto Protocol
	name  string    // a named port, resolved on the destination pod
	r     PortRange // when name is empty
	text  string
}

type namedRef struct {
	name  string
	proto Protocol
}

// Build compiles every policy of the snapshot. It fails on anything the API
// server would reject and a verdict would have to guess at (bad selectors,
// CIDRs, ports, protocols), naming the policy and field; every such problem
// is reported, not only the first. The model points into snap, which must
// not change afterwards.
func Build(snap *inventory.Snapshot, opts Options) (*Model, error) {
	m := &Model{
		opts:        opts,
		nsLabels:    map[string]labels.Set{},
		byNamespace: map[string][]int{},
		podIndex:    map[string]int{},
		podAt:       map[*corev1.Pod]int{},
		podsByNS:    map[string][]int{},
	}
	for i := range snap.Namespaces {
		ns := &snap.Namespaces[i]
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		// The API server sets this label on every namespace; objects read
		// from manifests often lack it, yet selectors rely on it.
		set[corev1.LabelMetadataName] = ns.Name
		m.nsLabels[ns.Name] = set
	}

	var errs []error
	blockIDs := map[string]int{}
	named := map[namedRef]bool{}
	for i := range snap.Policies {
		np := &snap.Policies[i]
		pol, err := m.compilePolicy(np, blockIDs)
		if err != nil {
			errs = append(errs, fmt.Errorf("networkpolicy %s/%s: %w", np.Namespace, np.Name, err))
			continue
		}
		for d := range pol.rules {
			for _, r := range pol.rules[d] {
				for _, pm := range r.named {
					named[namedRef{pm.name, pm.proto}] = true
				}
			}
		}
		m.byNamespace[np.Namespace] = append(m.byNamespace[np.Namespace], len(m.policies))
		m.policies = append(m.policies, pol)
	}
	var nodes []nodeAddrs
	if snap.NodesKnown {
		nodes = nodeAddresses(snap.Nodes)
	}
	var specs []tierSpec
	for i := range snap.ClusterNetworkPolicies {
		specs = append(specs, cnpSpec(&snap.ClusterNetworkPolicies[i]))
	}
	for i := range snap.AdminNetworkPolicies {
		specs = append(specs, anpSpec(&snap.AdminNetworkPolicies[i]))
	}
	for i := range snap.BaselineAdminNetworkPolicies {
		specs = append(specs, banpSpec(&snap.BaselineAdminNetworkPolicies[i]))
	}
	for _, spec := range specs {
		pol, err := m.compileTier(spec, blockIDs, nodes, snap.NodesKnown)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", strings.ToLower(spec.ref.Kind), spec.ref.Name, err))
			continue
		}
		for d := range pol.rules {
			for _, r := range pol.rules[d] {
				for _, pm := range r.named {
					named[namedRef{pm.name, pm.proto}] = true
				}
			}
		}
		for d := range pol.rules {
			for _, r := range pol.rules[d] {
				for _, pr := range r.peers {
					m.tierBlocks = m.tierBlocks || pr.block >= 0
				}
			}
		}
		m.tiered = append(m.tiered, len(m.policies))
		m.policies = append(m.policies, pol)
	}
	sort.SliceStable(m.tiered, func(i, j int) bool {
		a, b := &m.policies[m.tiered[i]], &m.policies[m.tiered[j]]
		if a.tier != b.tier {
			return a.tier < b.tier
		}
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		return a.ref.less(b.ref)
	})
	for ref := range named {
		m.namedRefs = append(m.namedRefs, ref)
	}
	sort.Slice(m.namedRefs, func(i, j int) bool {
		a, b := m.namedRefs[i], m.namedRefs[j]
		return a.name < b.name || (a.name == b.name && a.proto < b.proto)
	})
	m.namedIndex = map[namedRef]int{}
	for i, ref := range m.namedRefs {
		m.namedIndex[ref] = i
	}

	m.pods = make([]podInfo, len(snap.Pods))
	for i := range snap.Pods {
		p := &snap.Pods[i]
		info, err := newPodInfo(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err))
		}
		m.pods[i] = info
		m.podIndex[info.ref] = i
		m.podAt[p] = i
		m.podsByNS[info.ns] = append(m.podsByNS[info.ns], i)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.implicitNS = map[string]labels.Set{}
	addImplicit := func(ns string) {
		if _, ok := m.nsLabels[ns]; !ok {
			m.implicitNS[ns] = labels.Set{corev1.LabelMetadataName: ns}
		}
	}
	for ns := range m.podsByNS {
		addImplicit(ns)
	}
	for ns := range m.byNamespace {
		addImplicit(ns)
	}
	m.podNet = podNetwork(snap, opts)
	m.computeUnknown()
	return m, nil
}

// Options returns the options the model was built with.
func (m *Model) Options() Options { return m.opts }

// Pod returns the snapshot's pod with that namespace and name, or nil.
func (m *Model) Pod(namespace, name string) *corev1.Pod {
	if i, ok := m.podIndex[namespace+"/"+name]; ok {
		return m.pods[i].pod
	}
	return nil
}

// namespaceLabels returns a namespace's labels. A namespace the snapshot
// lacks (pods were listed, namespaces were not) still has the label the API
// server gives every namespace.
func (m *Model) namespaceLabels(name string) labels.Set {
	if set, ok := m.nsLabels[name]; ok {
		return set
	}
	if set, ok := m.implicitNS[name]; ok {
		return set
	}
	return labels.Set{corev1.LabelMetadataName: name}
}

func (m *Model) compilePolicy(np *networkingv1.NetworkPolicy, blockIDs map[string]int) (policy, error) {
	pol := policy{ref: NetworkPolicyRef(np.Namespace, np.Name), apiVersion: "networking.k8s.io/v1", tier: TierNetworkPolicy}
	var errs []error
	sel, err := ParseSelector(&np.Spec.PodSelector, "spec.podSelector")
	if err != nil {
		errs = append(errs, err)
	}
	pol.selector = sel
	pol.isolates[ingress], pol.isolates[egress] = EffectiveTypes(np)
	for _, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, fmt.Errorf("spec.policyTypes: unsupported value %q", t))
		}
	}
	// Rules of a direction the policy does not isolate are ignored, but
	// still checked: the API server validates them too.
	for i, r := range np.Spec.Ingress {
		cr, err := m.compileRule(i, r.From, r.Ports, fmt.Sprintf("spec.ingress[%d]", i), "from", blockIDs)
		errs = append(errs, err)
		if pol.isolates[ingress] {
			pol.rules[ingress] = append(pol.rules[ingress], cr)
		} else {
			pol.inactive[ingress] = append(pol.inactive[ingress], cr)
		}
	}
	for i, r := range np.Spec.Egress {
		cr, err := m.compileRule(i, r.To, r.Ports, fmt.Sprintf("spec.egress[%d]", i), "to", blockIDs)
		errs = append(errs, err)
		if pol.isolates[egress] {
			pol.rules[egress] = append(pol.rules[egress], cr)
		} else {
			pol.inactive[egress] = append(pol.inactive[egress], cr)
		}
	}
	return pol, errors.Join(errs...)
}

func (m *Model) compileRule(index int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort,
	field, peersField string, blockIDs map[string]int) (rule, error) {
	r := rule{id: m.ruleCount, index: index, field: field, action: ActionAllow}
	m.ruleCount++
	var errs []error
	for i := range peers {
		p, err := m.compilePeer(&peers[i], fmt.Sprintf("%s.%s[%d]", field, peersField, i), blockIDs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.peers = append(r.peers, p)
	}
	for i := range ports {
		pm, err := compilePort(&ports[i], fmt.Sprintf("%s.ports[%d]", field, i))
		pm.field = fmt.Sprintf("%s.ports[%d]", field, i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.ports = append(r.ports, pm)
		if pm.name != "" {
			r.named = append(r.named, pm)
		} else {
			r.static = r.static.Union(PortsOf(pm.proto, pm.r))
		}
	}
	return r, errors.Join(errs...)
}

func (m *Model) compilePeer(np *networkingv1.NetworkPolicyPeer, field string, blockIDs map[string]int) (peer, error) {
	p := peer{id: m.peerCount, block: -1, field: field, kind: PeerPods}
	m.peerCount++
	if np.IPBlock != nil {
		p.kind = PeerAddresses
		if np.PodSelector != nil || np.NamespaceSelector != nil {
			return p, fmt.Errorf("%s: ipBlock may not be combined with podSelector or namespaceSelector", field)
		}
		b, err := compileIPBlock(np.IPBlock, field+".ipBlock")
		if err != nil {
			return p, err
		}
		id, ok := blockIDs[b.key()]
		if !ok {
			id = len(m.blocks)
			blockIDs[b.key()] = id
			m.blocks = append(m.blocks, b)
		}
		p.block = id
		p.text = "ipBlock " + b.String()
		return p, nil
	}
	if np.PodSelector == nil && np.NamespaceSelector == nil {
		return p, fmt.Errorf("%s: must specify podSelector, namespaceSelector or ipBlock", field)
	}
	var errs []error
	var texts []string
	if np.NamespaceSelector != nil {
		sel, err := ParseSelector(np.NamespaceSelector, field+".namespaceSelector")
		errs = append(errs, err)
		p.nsSel = sel
		texts = append(texts, "namespaceSelector "+selectorText(sel))
	}
	if np.PodSelector != nil {
		sel, err := ParseSelector(np.PodSelector, field+".podSelector")
		errs = append(errs, err)
		p.podSel = sel
		texts = append(texts, "podSelector "+selectorText(sel))
	}
	p.text = strings.Join(texts, ", ")
	return p, errors.Join(errs...)
}

func selectorText(s labels.Selector) string {
	if s == nil || s.Empty() {
		return "{}"
	}
	return s.String()
}

func compileIPBlock(ib *networkingv1.IPBlock, field string) (ipBlock, error) {
	cidr, err := parseCIDR(ib.CIDR)
	if err != nil {
		return ipBlock{}, fmt.Errorf("%s.cidr: %w", field, err)
	}
	b := ipBlock{cidr: cidr}
	if cidr.String() != ib.CIDR {
		b.written = ib.CIDR
	}
	var errs []error
	for i, e := range ib.Except {
		p, err := parseCIDR(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.except[%d]: %w", field, i, err))
			continue
		}
		// An except outside the cidr (the API server rejects it) removes
		// nothing, so keeping it is harmless.
		b.except = append(b.except, p)
	}
	b.except = sortPrefixes(b.except)
	return b, errors.Join(errs...)
}

func compilePort(np *networkingv1.NetworkPolicyPort, field string) (portMatch, error) {
	pm := portMatch{proto: TCP}
	if np.Protocol != nil {
		pm.proto = Protocol(*np.Protocol)
		if pm.proto.index() < 0 {
			return pm, fmt.Errorf("%s.protocol: unsupported value %q: want TCP, UDP or SCTP", field, *np.Protocol)
		}
	}
	switch {
	case np.Port == nil:
		if np.EndPort != nil {
			return pm, fmt.Errorf("%s.endPort: may not be set without port", field)
		}
		pm.r = PortRange{MinPort, MaxPort}
		pm.text = "all/" + string(pm.proto)
	case np.Port.Type == intstr.String:
		pm.name = np.Port.StrVal
		if !strings.ContainsFunc(pm.name, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) {
			// The API requires an IANA service name, which has a letter; a
			// quoted number in YAML lands here and would silently match nothing.
			return pm, fmt.Errorf("%s.port: %q is neither a port number nor a port name", field, pm.name)
		}
		if np.EndPort != nil {
			return pm, fmt.Errorf("%s.endPort: may not be set with the named port %q", field, pm.name)
		}
		pm.text = pm.name + "/" + string(pm.proto)
	default:
		port := np.Port.IntVal
		if port < MinPort || port > MaxPort {
			return pm, fmt.Errorf("%s.port: %d is not a port number (%d-%d)", field, port, MinPort, MaxPort)
		}
		pm.r = PortRange{port, port}
		if np.EndPort != nil {
			end := *np.EndPort
			if end < port || end > MaxPort {
				return pm, fmt.Errorf("%s.endPort: %d must be from port (%d) to %d", field, end, port, MaxPort)
			}
			pm.r.To = end
		}
		pm.text = pm.r.String() + "/" + string(pm.proto)
	}
	return pm, nil
}

// podInfo is what policies can see of a pod.
type podInfo struct {
	pod         *corev1.Pod
	ref         string // "ns/name"
	ns          string
	labels      labels.Set
	ips         []netip.Addr
	named       map[string]containerPort
	hostNetwork bool
	// hostIPs are the addresses of the node the pod runs on
	// (status.hostIPs, else status.hostIP); unparsable ones are left out.
	hostIPs []netip.Addr
	// nodeName is spec.nodeName, empty until the pod is scheduled.
	nodeName string
}

// onNode reports whether a is an address of the pod's own node.
func (p *podInfo) onNode(a netip.Addr) bool {
	for _, h := range p.hostIPs {
		if h == a {
			return true
		}
	}
	return false
}

// sameNode reports whether two pods run on one node, by what a snapshot
// holds: the same spec.nodeName, or a node address they share. A pod's node
// addresses are its status.hostIP(s) and, for a hostNetwork pod, its own
// IPs too (it has the node's). Pods without either are on no known node.
func sameNode(a, b *podInfo) bool {
	if a.nodeName != "" && a.nodeName == b.nodeName {
		return true
	}
	shares := func(p, q *podInfo) bool {
		for _, h := range p.hostIPs {
			if q.onNode(h) {
				return true
			}
		}
		if p.hostNetwork {
			for _, ip := range p.ips {
				if q.onNode(ip) {
					return true
				}
			}
		}
		return false
	}
	return shares(a, b) || b.hostNetwork && shares(b, a)
}

type containerPort struct {
	proto Protocol
	port  int32
}

func newPodInfo(p *corev1.Pod) (podInfo, error) {
	info := podInfo{
		pod:         p,
		ref:         p.Namespace + "/" + p.Name,
		ns:          p.Namespace,
		labels:      labels.Set(p.Labels),
		hostNetwork: p.Spec.HostNetwork,
		nodeName:    p.Spec.NodeName,
	}
	var errs []error
	addIP := func(s, field string) {
		a, err := parseIP(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			return
		}
		for _, have := range info.ips {
			if have == a {
				return
			}
		}
		info.ips = append(info.ips, a)
	}
	for i, ip := range p.Status.PodIPs {
		addIP(ip.IP, fmt.Sprintf("status.podIPs[%d].ip", i))
	}
	if len(p.Status.PodIPs) == 0 && p.Status.PodIP != "" {
		addIP(p.Status.PodIP, "status.podIP")
	}
	addHost := func(s string) {
		if a, err := parseIP(s); err == nil && !info.onNode(a) {
			info.hostIPs = append(info.hostIPs, a)
		}
	}
	for _, h := range p.Status.HostIPs {
		addHost(h.IP)
	}
	if p.Status.HostIP != "" {
		addHost(p.Status.HostIP)
	}
	addPorts := func(ports []corev1.ContainerPort) {
		for _, cp := range ports {
			if cp.Name == "" {
				continue
			}
			if info.named == nil {
				info.named = map[string]containerPort{}
			}
			// Port names are unique within a pod; should an invalid object
			// repeat one, the first wins, deterministically.
			if _, dup := info.named[cp.Name]; !dup {
				proto := Protocol(cp.Protocol)
				if proto == "" {
					proto = TCP
				}
				info.named[cp.Name] = containerPort{proto, cp.ContainerPort}
			}
		}
	}
	for _, c := range p.Spec.Containers {
		addPorts(c.Ports)
	}
	// Sidecars (init containers that keep running) serve traffic too, and
	// policies naming their ports are meant to match (kubernetes 125285).
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addPorts(c.Ports)
		}
	}
	return info, errors.Join(errs...)
}

// resolve returns the number a named port has on this pod for proto. A
// hostNetwork pod is outside the policy model: toward it, as toward any
// address outside the cluster, a named port matches nothing.
func (p *podInfo) resolve(name string, proto Protocol) (int32, bool) {
	if p.hostNetwork {
		return 0, false
	}
	cp, ok := p.named[name]
	if !ok || cp.proto != proto {
		return 0, false
	}
	return cp.port, true
}

// selects reports whether a policy applies to the pod.
func (m *Model) selects(pol *policy, p *podInfo) bool {
	// hostNetwork pods share the node's network namespace; CNIs do not
	// enforce policies on them (kubernetes/website 39875), and the
	// cluster-wide kinds say so.
	if p.hostNetwork {
		return false
	}
	if pol.nsSel != nil {
		return pol.nsSel.Matches(m.namespaceLabels(p.ns)) && pol.selector.Matches(p.labels)
	}
	return p.ns == pol.ref.Namespace && pol.selector.Matches(p.labels)
}

// selectorPeerMatches reports whether a podSelector/namespaceSelector peer
// of pol matches the pod.
func (m *Model) selectorPeerMatches(pol *policy, pr *peer, p *podInfo) bool {
	if p.hostNetwork {
		return false
	}
	if pr.nsSel == nil {
		if p.ns != pol.ref.Namespace {
			return false
		}
	} else if !pr.nsSel.Matches(m.namespaceLabels(p.ns)) {
		return false
	}
	return pr.podSel == nil || pr.podSel.Matches(p.labels)
}

// ipBlockSeesPod reports whether ipBlock peers apply to the pod's IPs.
func (m *Model) ipBlockSeesPod(p *podInfo) bool {
	return m.opts.IPBlockMatchesPods || p.hostNetwork
}
