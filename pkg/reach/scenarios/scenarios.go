// Package scenarios holds NetworkPolicy cases with their expected verdicts,
// written as truth tables in the style of the upstream e2e suite
// (kubernetes test/e2e/network/netpol): namespaces x, y, z labelled
// ns=<name>, each with pods a, b, c labelled pod=<name> that serve ports 80
// and 81 over TCP, UDP and SCTP (container ports named serve-80-tcp, ...).
//
// The objects are valid API objects, with status.podIP(s) filled in, so the
// same cases drive the engine's unit tests, `verify --expect`, and the e2e
// suite that loads them into a real API server.
package scenarios

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Scenario is one set of objects and the verdicts they must produce.
type Scenario struct {
	Name        string
	Description string
	// IPBlocksExcludePods asks for ipBlock peers that do not match pod IPs
	// (Cilium's behaviour). By default they do (Calico, Antrea, upstream).
	IPBlocksExcludePods bool
	Namespaces          []corev1.Namespace
	Pods                []corev1.Pod
	Policies            []networkingv1.NetworkPolicy
	// The cluster-wide tiers (tiers.go) and the Node objects their nodes
	// peers match; NodesKnown says whether Nodes stand for all the nodes.
	ClusterNetworkPolicies       []npav1beta1.ClusterNetworkPolicy
	AdminNetworkPolicies         []npav1alpha1.AdminNetworkPolicy
	BaselineAdminNetworkPolicies []npav1alpha1.BaselineAdminNetworkPolicy
	Nodes                        []corev1.Node
	NodesKnown                   bool
	Expectations                 []Expectation

	tables []table // the truth tables Expectations came from
}

// Expectation is one probe and its expected verdict.
type Expectation struct {
	From     string // "ns/pod" or an IP address
	To       string
	Port     int32
	Protocol string // TCP, UDP or SCTP
	Allowed  bool
	// Undefined: the API allows either outcome (equal priorities, or a peer
	// outside the model); Allowed is then false.
	Undefined bool
}

// String renders "x/a -> x/b 80/TCP allowed".
func (e Expectation) String() string {
	verdict := "denied"
	if e.Allowed {
		verdict = "allowed"
	}
	if e.Undefined {
		verdict = "undefined"
	}
	return fmt.Sprintf("%s -> %s %d/%s %s", e.From, e.To, e.Port, e.Protocol, verdict)
}

// Image is the container image the upstream suite runs; it answers on every
// declared port.
const Image = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"

var (
	namespaceNames = []string{"x", "y", "z"}
	podNames       = []string{"a", "b", "c"}
	servedPorts    = []int32{80, 81}
	protocols      = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
)

// PodIPs returns the dual-stack addresses a pod of the model carries:
// x/a is 10.0.1.10 and fd00::1:a, y/b is 10.0.2.11 and fd00::2:b, ...
func PodIPs(ns, pod string) []string {
	n := strings.Index("xyz", ns) + 1
	p := strings.Index("abc", pod)
	return []string{fmt.Sprintf("10.0.%d.%d", n, 10+p), fmt.Sprintf("fd00::%d:%s", n, pod)}
}

// model returns fresh copies of the upstream namespaces and pods, so each
// scenario may change its own.
func model() ([]corev1.Namespace, []corev1.Pod) {
	var nss []corev1.Namespace
	var pods []corev1.Pod
	for _, ns := range namespaceNames {
		nss = append(nss, corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"ns": ns}},
		})
		for _, name := range podNames {
			pods = append(pods, servingPod(ns, name, PodIPs(ns, name)...))
		}
	}
	return nss, pods
}

func servingPod(ns, name string, ips ...string) corev1.Pod {
	var ports []corev1.ContainerPort
	for _, proto := range protocols {
		for _, port := range servedPorts {
			ports = append(ports, corev1.ContainerPort{
				Name:          fmt.Sprintf("serve-%d-%s", port, strings.ToLower(string(proto))),
				ContainerPort: port,
				Protocol:      proto,
			})
		}
	}
	p := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"pod": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:    "agnhost",
			Image:   Image,
			Command: []string{"/agnhost", "porter"},
			Ports:   ports,
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if len(ips) > 0 {
		p.Status.PodIP = ips[0]
		for _, ip := range ips {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
		}
	}
	return p
}

// findPod returns the model pod ns/name, for scenarios that alter one.
func findPod(pods []corev1.Pod, ns, name string) *corev1.Pod {
	for i := range pods {
		if pods[i].Namespace == ns && pods[i].Name == name {
			return &pods[i]
		}
	}
	return nil
}

// renamePort gives a pod's container port a new name.
func renamePort(p *corev1.Pod, from, to string) {
	for i := range p.Spec.Containers[0].Ports {
		if p.Spec.Containers[0].Ports[i].Name == from {
			p.Spec.Containers[0].Ports[i].Name = to
		}
	}
}

// Policy builders, so each scenario reads like its manifest.

func netpol(ns, name string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       spec,
	}
}

// labels reads "k=v" pairs into a selector; no pairs is the empty selector,
// which selects everything.
func labels(pairs ...string) *metav1.LabelSelector {
	sel := &metav1.LabelSelector{}
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[k] = v
	}
	return sel
}

func expr(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
}

func podsPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: sel}
}

func namespacesPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: sel}
}

func cidrPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func port(n int32, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Port: &v, Protocol: &proto}
}

// tcpPort leaves the protocol out, as most manifests do: it defaults to TCP.
func tcpPort(n int32) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Port: &v}
}

func namedPort(name string, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	v := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Port: &v, Protocol: &proto}
}

func portRange(from, to int32, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	p := port(from, proto)
	p.EndPort = &to
	return p
}

func anyPort(proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto}
}

func types(ts ...networkingv1.PolicyType) []networkingv1.PolicyType { return ts }

const (
	ingress = networkingv1.PolicyTypeIngress
	egress  = networkingv1.PolicyTypeEgress
	tcp     = corev1.ProtocolTCP
	udp     = corev1.ProtocolUDP
	sctp    = corev1.ProtocolSCTP
)

// table is a truth table for one port: rows are sources, columns
// destinations, "." allowed and "X" denied, as upstream prints them.
type table struct {
	port  int32
	proto corev1.Protocol
	grid  string
}

// expectations turns truth tables into probes. A malformed grid yields no
// probes for its bad lines; the package's tests reject such grids.
func expectations(tables ...table) []Expectation {
	var out []Expectation
	for _, t := range tables {
		es, _ := t.parse()
		out = append(out, es...)
	}
	return out
}

// parse reads a grid. A cell "-" states nothing (e.g. address to address).
func (t table) parse() ([]Expectation, error) {
	lines := strings.Split(strings.TrimSpace(t.grid), "\n")
	header := strings.Fields(lines[0])
	var out []Expectation
	var errs []error
	for n, line := range lines[1:] {
		cells := strings.Fields(line)
		if len(cells) != len(header) {
			errs = append(errs, fmt.Errorf("%d/%s line %d: %d cells, want %d", t.port, t.proto, n+2, len(cells), len(header)))
			continue
		}
		for i := 1; i < len(cells); i++ {
			switch cells[i] {
			case ".", "X":
				out = append(out, Expectation{From: cells[0], To: header[i], Port: t.port, Protocol: string(t.proto), Allowed: cells[i] == "."})
			case "?": // either outcome (tiers.go)
				out = append(out, Expectation{From: cells[0], To: header[i], Port: t.port, Protocol: string(t.proto), Undefined: true})
			case "-":
			default:
				errs = append(errs, fmt.Errorf("%d/%s line %d: cell %q, want \".\", \"X\", \"?\" or \"-\"", t.port, t.proto, n+2, cells[i]))
			}
		}
	}
	return out, errors.Join(errs...)
}
