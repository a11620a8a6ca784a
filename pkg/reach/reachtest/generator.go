// Package reachtest generates random snapshots for property tests of the
// engine and of everything built on it (the diff): small vocabularies so
// that selectors, ipBlocks and named ports actually hit, and only objects
// the API server would accept, apart from except entries outside their
// cidr, which the engine must treat as no-ops. Tests only: nothing outside
// _test.go files imports it.
package reachtest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Chooser is the generator's source of decisions: math/rand for property
// tests, a fuzzer's bytes for fuzz tests. IntN returns a number in [0, n).
type Chooser interface{ IntN(n int) int }

// Rand is a Chooser drawing from math/rand: Rand{rand.New(rand.NewPCG(seed, 0))}.
type Rand struct{ R *rand.Rand }

// IntN draws a number in [0, n).
func (c Rand) IntN(n int) int { return c.R.IntN(n) }

// Seeded returns the Chooser property tests use for one seed.
func Seeded(seed uint64) Chooser { return Rand{rand.New(rand.NewPCG(seed, 0))} }

// Bytes reads one byte per decision; once the bytes run out every decision
// is 0, which still yields a valid snapshot.
type Bytes struct{ Data []byte }

// IntN reads the next decision.
func (c *Bytes) IntN(n int) int {
	if n <= 1 || len(c.Data) == 0 {
		return 0
	}
	v := int(c.Data[0])
	c.Data = c.Data[1:]
	return v % n
}

type gen struct{ c Chooser }

func (g gen) chance(num, den int) bool { return g.c.IntN(den) < num }

func pick[T any](g gen, options ...T) T { return options[g.c.IntN(len(options))] }

// Vocabularies.
var (
	genNamespaces = []string{"x", "y", "z", "w"}
	// genOrphan is a namespace pods and policies use but the snapshot lacks.
	genOrphan = "v"

	genPodLabels = map[string][]string{"app": {"a", "b", "c"}, "tier": {"web", "db"}, "role": {"x"}, "zone": {"eu"}}
	genNSLabels  = map[string][]string{"ns": {"x", "y", "z", "w", "v"}, "env": {"prod", "dev"}, "team": {"red", "blue"},
		corev1.LabelMetadataName: {"x", "y", "z", "w", "v"}}

	genV4 = []string{"10.0.0.1", "10.0.0.2", "10.0.1.5", "10.0.1.6", "10.1.0.1", "10.0.0.200", "192.168.0.10", "172.16.0.5", "10.0.255.255"}
	genV6 = []string{"fd00::1", "fd00::2", "fd00:0:0:1::5", "fd00:1::1", "2001:db8::10", "fd00::ff", "fd00::1:0"}

	genCIDRs = []string{
		"10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24", "10.0.1.5/32", "0.0.0.0/0", "192.168.0.0/16", "172.16.0.0/12",
		"10.0.0.5/0", "10.0.1.6/16", // non-canonical: mean 0.0.0.0/0 and 10.0.0.0/16
		"fd00::/8", "fd00::/64", "fd00::1:0/112", "::/0", "2001:db8::/32", "fd00:0:0:1::5/128",
		"fd00::1/64", // non-canonical
	}
	genExcepts = []string{"10.0.0.0/24", "10.0.0.0/30", "10.0.1.0/24", "10.0.1.5/32", "10.0.0.200/29", "10.0.0.128/25",
		"192.168.0.0/24", "fd00::/64", "fd00::1:0/112", "fd00:0:0:1::5/128", "fd00::/120", "10.0.1.7/24"}

	genPorts     = []int32{1, 53, 80, 443, 5353, 8080, 9090, 65535}
	genPortNames = []string{"http", "dns", "metrics", "absent"}

	// genExternal are the outside addresses probed, some of them equal to
	// pod IPs: an IP endpoint is outside the model even then.
	genExternalV4 = []string{"10.0.0.1", "10.0.0.3", "10.0.1.5", "10.0.0.201", "10.1.2.3", "192.168.0.10", "8.8.8.8", "172.20.0.1"}
	genExternalV6 = []string{"fd00::3", "fd00:0:0:1::5", "fd00::1:7", "fd00:1::1", "2001:db8::1", "2606:4700::1"}
	// genPodCIDRs are pod networks that contain, miss and cut through
	// genCIDRs and genExcepts.
	genPodCIDRs = []string{"10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24", "10.0.0.0/8", "192.168.0.0/16", "10.0.0.0/30",
		"172.16.0.0/12", "fd00::/64", "fd00::/48", "fd00::1:0/112", "2001:db8::/32"}
	// genNode are the nodes' addresses (status.hostIPs), most of them
	// probed as outside addresses too.
	genNodeV4 = []string{"10.0.0.3", "192.168.0.10", "172.20.0.1", "172.20.0.2"}
	genNodeV6 = []string{"fd00::3", "2001:db8::1", "2001:db8::2"}
)

// Case is a random snapshot and the outside addresses to probe it with.
type Case struct {
	Snapshot *inventory.Snapshot
	External []string
	// PodCIDRs, when set, is a pod network to check with as well
	// (--pod-cidr): where pods without an IP are.
	PodCIDRs []string
}

// GenerateCase draws a snapshot and a few outside addresses, some of them
// equal to pod IPs.
func GenerateCase(c Chooser) Case {
	g := gen{c}
	pc := Case{Snapshot: generateSnapshot(g)}
	for i := 0; i < 2; i++ {
		pc.External = append(pc.External, pick(g, genExternalV4...), pick(g, genExternalV6...))
	}
	slices.Sort(pc.External)
	pc.External = slices.Compact(pc.External)
	for i, n := 0, g.c.IntN(3); i < n; i++ {
		pc.PodCIDRs = append(pc.PodCIDRs, pick(g, genPodCIDRs...))
	}
	return pc
}

// Snapshot draws a snapshot: 2 to 8 pods in up to 5 namespaces, 0 to 5
// NetworkPolicies.
func Snapshot(c Chooser) *inventory.Snapshot { return generateSnapshot(gen{c}) }

func generateSnapshot(g gen) *inventory.Snapshot {
	snap := &inventory.Snapshot{}
	nsNames := append([]string(nil), genNamespaces[:2+g.c.IntN(3)]...)
	for _, name := range nsNames {
		ns := corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
		if g.chance(1, 2) {
			ns.Labels["ns"] = name
		}
		if g.chance(1, 2) {
			ns.Labels["env"] = pick(g, "prod", "dev")
		}
		if g.chance(1, 3) {
			ns.Labels["team"] = pick(g, "red", "blue")
		}
		snap.Namespaces = append(snap.Namespaces, ns)
	}
	placeNS := func() string {
		if g.chance(1, 8) {
			return genOrphan
		}
		return pick(g, nsNames...)
	}

	v4 := append([]string(nil), genV4...)
	v6 := append([]string(nil), genV6...)
	draw := func(pool *[]string) string {
		if len(*pool) == 0 {
			return ""
		}
		i := g.c.IntN(len(*pool))
		ip := (*pool)[i]
		*pool = append((*pool)[:i], (*pool)[i+1:]...)
		return ip
	}
	nPods := 2 + g.c.IntN(7)
	for i := 0; i < nPods; i++ {
		p := corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Namespace: placeNS(), Name: fmt.Sprintf("p%d", i), Labels: map[string]string{}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10"}}},
		}
		if g.chance(3, 4) {
			p.Labels["app"] = pick(g, genPodLabels["app"]...)
		}
		if g.chance(1, 2) {
			p.Labels["tier"] = pick(g, genPodLabels["tier"]...)
		}
		if g.chance(1, 4) {
			p.Labels["role"] = "x"
		}
		genContainerPorts(g, &p)
		switch g.c.IntN(6) {
		case 0: // no IP yet
		case 1: // only the legacy field
			p.Status.PodIP = draw(&v4)
		case 2:
			setIPs(&p, draw(&v4))
		case 3:
			setIPs(&p, draw(&v6))
		case 4:
			setIPs(&p, draw(&v4), draw(&v6))
		case 5:
			setIPs(&p, draw(&v6), draw(&v4))
		}
		p.Spec.HostNetwork = g.chance(1, 8)
		if g.chance(1, 2) {
			deployment := pick(g, "web", "db")
			hash := pick(g, "5d4f8c", "7c9a2b")
			p.Labels["pod-template-hash"] = hash
			yes := true
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: deployment + "-" + hash, Controller: &yes}}
		}
		snap.Pods = append(snap.Pods, p)
	}

	for i, n := 0, g.c.IntN(6); i < n; i++ {
		snap.Policies = append(snap.Policies, genPolicy(g, placeNS(), fmt.Sprintf("np%d", i)))
	}
	// The node each pod runs on, by its addresses, some of which the
	// property test probes as outside addresses (node-local traffic), and
	// by name. With four nodes, a hostNetwork pod often shares one with a
	// pod off the host network: node-local traffic between pods.
	for i := range snap.Pods {
		p := &snap.Pods[i]
		switch g.c.IntN(4) {
		case 0: // not scheduled yet
		case 1:
			p.Status.HostIP = pick(g, genNodeV4...)
		default:
			v4, v6 := pick(g, genNodeV4...), pick(g, genNodeV6...)
			p.Status.HostIP = v4
			p.Status.HostIPs = []corev1.HostIP{{IP: v4}, {IP: v6}}
		}
		// spec.nodeName: missing now and then (files), and sometimes the
		// only sign of the node (scheduled, not started).
		switch {
		case p.Status.HostIP != "" && g.chance(2, 3):
			p.Spec.NodeName = genNodeName(p.Status.HostIP)
		case p.Status.HostIP == "" && g.chance(1, 3):
			p.Spec.NodeName = genNodeName(pick(g, genNodeV4...))
		}
		// A running hostNetwork pod has its node's addresses.
		if p.Spec.HostNetwork && p.Status.HostIP != "" && g.chance(1, 2) {
			p.Status.PodIP, p.Status.PodIPs = p.Status.HostIP, nil
			for _, h := range p.Status.HostIPs {
				p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: h.IP})
			}
		}
	}
	snap.Sort()
	return snap
}

// genNodeName names the node with that IPv4 address.
func genNodeName(v4 string) string { return "node-" + strings.ReplaceAll(v4, ".", "-") }

func genPolicy(g gen, namespace, name string) networkingv1.NetworkPolicy {
	np := networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
	}
	np.Spec.PodSelector = *genSelector(g, genPodLabels)
	switch g.c.IntN(4) {
	case 1:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	switch nRules := g.c.IntN(4); nRules {
	case 0: // absent
	case 1:
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{} // present, empty
	default:
		for j := 0; j < nRules-1+g.c.IntN(2); j++ {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: genPeers(g), Ports: genPolicyPorts(g)})
		}
	}
	switch nRules := g.c.IntN(4); nRules {
	case 0:
	case 1:
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{}
	default:
		for j := 0; j < nRules-1+g.c.IntN(2); j++ {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: genPeers(g), Ports: genPolicyPorts(g)})
		}
	}
	return np
}

func setIPs(p *corev1.Pod, ips ...string) {
	for _, ip := range ips {
		if ip == "" {
			continue
		}
		if p.Status.PodIP == "" {
			p.Status.PodIP = ip
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
}

// genContainerPorts declares named ports whose number, and sometimes
// protocol, differ from pod to pod; metrics may sit on a sidecar, which
// counts, or on a plain init container, which does not.
func genContainerPorts(g gen, p *corev1.Pod) {
	main := &p.Spec.Containers[0]
	if g.chance(1, 2) {
		main.Ports = append(main.Ports, corev1.ContainerPort{Name: "http", ContainerPort: pick(g, int32(80), 8080), Protocol: pick(g, corev1.ProtocolTCP, corev1.ProtocolTCP, corev1.ProtocolUDP, "")})
	}
	if g.chance(1, 2) {
		main.Ports = append(main.Ports, corev1.ContainerPort{Name: "dns", ContainerPort: pick(g, int32(53), 5353), Protocol: pick(g, corev1.ProtocolUDP, corev1.ProtocolTCP, corev1.ProtocolSCTP)})
	}
	if g.chance(1, 3) {
		main.Ports = append(main.Ports, corev1.ContainerPort{ContainerPort: 443, Protocol: corev1.ProtocolTCP}) // unnamed
	}
	if g.chance(1, 2) {
		cp := corev1.ContainerPort{Name: "metrics", ContainerPort: pick(g, int32(9090), 9091), Protocol: corev1.ProtocolTCP}
		switch g.c.IntN(3) {
		case 0:
			main.Ports = append(main.Ports, cp)
		case 1:
			always := corev1.ContainerRestartPolicyAlways
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: "sidecar", Image: "registry.k8s.io/pause:3.10", RestartPolicy: &always, Ports: []corev1.ContainerPort{cp}})
		case 2:
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: "init", Image: "registry.k8s.io/pause:3.10", Ports: []corev1.ContainerPort{cp}})
		}
	}
}

// genSelector draws a selector from a vocabulary, including {} and every
// operator; "zone" is a key no namespace has.
func genSelector(g gen, vocab map[string][]string) *metav1.LabelSelector {
	keys := sortedKeys(vocab)
	sel := &metav1.LabelSelector{}
	kind := g.c.IntN(5)
	if kind == 1 || kind == 3 || kind == 4 {
		sel.MatchLabels = map[string]string{}
		for n := 1 + kind/4; n > 0; n-- {
			k := pick(g, keys...)
			sel.MatchLabels[k] = pick(g, vocab[k]...)
		}
	}
	if kind == 2 || kind == 3 {
		for n := 1 + g.c.IntN(2); n > 0; n-- {
			k := pick(g, append(keys, "zone")...)
			values := vocab[k]
			if len(values) == 0 {
				values = []string{"eu"}
			}
			req := metav1.LabelSelectorRequirement{Key: k}
			switch g.c.IntN(4) {
			case 0:
				req.Operator = metav1.LabelSelectorOpIn
			case 1:
				req.Operator = metav1.LabelSelectorOpNotIn
			case 2:
				req.Operator = metav1.LabelSelectorOpExists
			case 3:
				req.Operator = metav1.LabelSelectorOpDoesNotExist
			}
			if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
				req.Values = []string{pick(g, values...)}
				if g.chance(1, 2) {
					if v := pick(g, values...); v != req.Values[0] {
						req.Values = append(req.Values, v)
					}
				}
			}
			sel.MatchExpressions = append(sel.MatchExpressions, req)
		}
	}
	return sel
}

func sortedKeys(m map[string][]string) []string {
	// Map order is random: sort so a seed always means the same snapshot.
	return slices.Sorted(maps.Keys(m))
}

func genPeers(g gen) []networkingv1.NetworkPolicyPeer {
	switch n := g.c.IntN(4); n {
	case 0:
		return nil // absent: every peer
	case 1:
		return []networkingv1.NetworkPolicyPeer{} // empty: every peer too
	default:
		var peers []networkingv1.NetworkPolicyPeer
		for i := 0; i < n-1+g.c.IntN(2); i++ {
			var p networkingv1.NetworkPolicyPeer
			switch g.c.IntN(5) {
			case 0:
				p.PodSelector = genSelector(g, genPodLabels)
			case 1:
				p.NamespaceSelector = genSelector(g, genNSLabels)
			case 2:
				p.PodSelector = genSelector(g, genPodLabels)
				p.NamespaceSelector = genSelector(g, genNSLabels)
			default:
				p.IPBlock = &networkingv1.IPBlock{CIDR: pick(g, genCIDRs...)}
				for n := g.c.IntN(3); n > 0; n-- {
					p.IPBlock.Except = append(p.IPBlock.Except, pick(g, genExcepts...))
				}
			}
			peers = append(peers, p)
		}
		return peers
	}
}

func genPolicyPorts(g gen) []networkingv1.NetworkPolicyPort {
	if g.chance(1, 3) {
		return nil // every port
	}
	var ports []networkingv1.NetworkPolicyPort
	for n := 1 + g.c.IntN(3); n > 0; n-- {
		var p networkingv1.NetworkPolicyPort
		if k := g.c.IntN(4); k > 0 {
			proto := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}[k-1]
			p.Protocol = &proto
		}
		switch g.c.IntN(5) {
		case 0: // every port of the protocol
		case 1, 2:
			v := intstr.FromInt32(pick(g, genPorts...))
			p.Port = &v
			if g.chance(1, 2) {
				end := min(v.IntVal+pick(g, int32(0), 1, 100, 65535), 65535)
				p.EndPort = &end
			}
		default:
			v := intstr.FromString(pick(g, genPortNames...))
			p.Port = &v
		}
		ports = append(ports, p)
	}
	return ports
}

// DumpSnapshot renders a snapshot as the multi-document YAML a user could
// feed to the CLI to reproduce a failure.
func DumpSnapshot(snap *inventory.Snapshot) string {
	var b strings.Builder
	write := func(obj any) {
		out, err := yaml.Marshal(obj)
		if err != nil {
			fmt.Fprintf(&b, "# %v\n", err)
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	for i := range snap.Namespaces {
		write(&snap.Namespaces[i])
	}
	for i := range snap.Pods {
		write(&snap.Pods[i])
	}
	for i := range snap.Policies {
		write(&snap.Policies[i])
	}
	for _, obj := range TierObjects(snap) {
		write(obj)
	}
	return b.String()
}

// Mutate returns the snapshot a policy change would leave: the same
// namespaces and pods (copied), each policy kept, dropped or rewritten
// under its name, and up to two new ones, the way a pull request edits a
// folder of policies.
func Mutate(c Chooser, base *inventory.Snapshot) *inventory.Snapshot {
	g := gen{c}
	out := &inventory.Snapshot{Source: base.Source}
	for i := range base.Namespaces {
		out.Namespaces = append(out.Namespaces, *base.Namespaces[i].DeepCopy())
	}
	for i := range base.Pods {
		out.Pods = append(out.Pods, *base.Pods[i].DeepCopy())
	}
	namespaces := []string{genOrphan}
	for _, ns := range base.Namespaces {
		namespaces = append(namespaces, ns.Name)
	}
	for i := range base.Policies {
		np := &base.Policies[i]
		switch g.c.IntN(4) {
		case 0: // removed
		case 1:
			out.Policies = append(out.Policies, genPolicy(g, np.Namespace, np.Name))
		default:
			out.Policies = append(out.Policies, *np.DeepCopy())
		}
	}
	for i, n := 0, g.c.IntN(3); i < n; i++ {
		out.Policies = append(out.Policies, genPolicy(g, pick(g, namespaces...), fmt.Sprintf("new%d", i)))
	}
	out.Sort()
	return out
}
