package scenarios

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// All returns every scenario, freshly built: callers may modify them.
func All() []Scenario {
	var out []Scenario
	for _, build := range catalog {
		out = append(out, build())
	}
	return out
}

// scenario fills in the model and the expectations of its tables.
func scenario(name, description string, policies []networkingv1.NetworkPolicy, tables ...table) Scenario {
	nss, pods := model()
	return Scenario{Name: name, Description: description, Namespaces: nss, Pods: pods, Policies: policies, Expectations: expectations(tables...), tables: tables}
}

func policies(ps ...networkingv1.NetworkPolicy) []networkingv1.NetworkPolicy { return ps }

// denyAll isolates every pod of ns in the given directions with no rule.
func denyAll(ns string, ts ...networkingv1.PolicyType) networkingv1.NetworkPolicy {
	return netpol(ns, "default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: ts})
}

func ingressTo(pods *metav1.LabelSelector, rules ...networkingv1.NetworkPolicyIngressRule) networkingv1.NetworkPolicySpec {
	return networkingv1.NetworkPolicySpec{PodSelector: *pods, Ingress: rules, PolicyTypes: types(ingress)}
}

func from(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers}
}

func to(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: peers}
}

// The grid every full table uses.
const (
	allAllowed = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b .   .   .   .   .   .   .   .   .
x/c .   .   .   .   .   .   .   .   .
y/a .   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`

	xIngressDenied = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a X   X   X   .   .   .   .   .   .
y/b X   X   X   .   .   .   .   .   .
y/c X   X   X   .   .   .   .   .   .
z/a X   X   X   .   .   .   .   .   .
z/b X   X   X   .   .   .   .   .   .
z/c X   X   X   .   .   .   .   .   .`

	xEgressDenied = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   X   X   X   X   X   X
x/b X   .   X   X   X   X   X   X   X
x/c X   X   .   X   X   X   X   X   X
y/a .   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`

	// xaIngressDenied: only x/a is isolated and nothing may reach it.
	xaIngressDenied = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b X   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a X   .   .   .   .   .   .   .   .
y/b X   .   .   .   .   .   .   .   .
y/c X   .   .   .   .   .   .   .   .
z/a X   .   .   .   .   .   .   .   .
z/b X   .   .   .   .   .   .   .   .
z/c X   .   .   .   .   .   .   .   .`

	// xaFromY: x/a accepts y's pods only.
	xaFromY = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b X   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a .   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a X   .   .   .   .   .   .   .   .
z/b X   .   .   .   .   .   .   .   .
z/c X   .   .   .   .   .   .   .   .`
)

var catalog = []func() Scenario{
	func() Scenario {
		return scenario("no-policies", "Without policies every pod reaches every pod.", nil,
			table{80, tcp, allAllowed}, table{81, udp, allAllowed}, table{80, sctp, allAllowed})
	},
	func() Scenario {
		return scenario("deny-all-ingress", "podSelector {} with policyTypes [Ingress] and no rules denies all ingress to x; egress stays open.",
			policies(denyAll("x", ingress)),
			table{80, tcp, xIngressDenied}, table{81, udp, xIngressDenied},
			table{80, tcp, `
-           x/a y/a 203.0.113.9
x/a         .   .   .
203.0.113.9 X   .   -`})
	},
	func() Scenario {
		return scenario("deny-all-ingress-types-omitted", "Without policyTypes a policy isolates ingress even with no ingress rules, and not egress.",
			policies(netpol("x", "default-deny", networkingv1.NetworkPolicySpec{})),
			table{80, tcp, xIngressDenied}, table{81, sctp, xIngressDenied})
	},
	func() Scenario {
		return scenario("allow-all-ingress", "ingress: [{}] allows everything, including addresses outside the cluster; policies add up, so it overrides a deny-all.",
			policies(denyAll("x", ingress), netpol("x", "allow-all", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{}}})),
			table{80, tcp, allAllowed},
			table{81, udp, `
-           x/a x/c
203.0.113.9 .   .`})
	},
	func() Scenario {
		return scenario("deny-all-egress", "podSelector {} with policyTypes [Egress] and no rules denies all egress from x, to pods and addresses.",
			policies(denyAll("x", egress)),
			table{80, tcp, xEgressDenied}, table{80, udp, xEgressDenied},
			table{80, tcp, `
-   203.0.113.9 fd00::9:1
x/a X           X
y/a .           .`})
	},
	func() Scenario {
		return scenario("egress-type-does-not-isolate-ingress", "policyTypes [Egress] ignores the policy's ingress rules: ingress stays open.",
			policies(netpol("x", "egress-only", networkingv1.NetworkPolicySpec{
				PolicyTypes: types(egress),
				Ingress:     []networkingv1.NetworkPolicyIngressRule{from(podsPeer(labels("pod=b")))},
				Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
			})),
			table{80, tcp, allAllowed})
	},
	func() Scenario {
		return scenario("allow-same-namespace", "x accepts traffic from its own pods only (podSelector {} in a peer means the policy's namespace).",
			policies(denyAll("x", ingress), netpol("x", "allow-same-namespace", ingressTo(labels(), from(podsPeer(labels()))))),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b .   .   .   .   .   .   .   .   .
x/c .   .   .   .   .   .   .   .   .
y/a X   X   X   .   .   .   .   .   .
y/b X   X   X   .   .   .   .   .   .
y/c X   X   X   .   .   .   .   .   .
z/a X   X   X   .   .   .   .   .   .
z/b X   X   X   .   .   .   .   .   .
z/c X   X   X   .   .   .   .   .   .`})
	},
	func() Scenario {
		return scenario("allow-from-namespace-by-label", "namespaceSelector alone: every pod of the matching namespaces.",
			policies(netpol("x", "allow-from-y", ingressTo(labels("pod=a"), from(namespacesPeer(labels("ns=y")))))),
			table{80, tcp, xaFromY})
	},
	func() Scenario {
		return scenario("allow-from-namespace-by-name", "Namespaces carry kubernetes.io/metadata.name even when the manifest omits it.",
			policies(netpol("x", "allow-from-y", ingressTo(labels("pod=a"), from(namespacesPeer(labels(corev1.LabelMetadataName+"=y")))))),
			table{80, tcp, xaFromY})
	},
	func() Scenario {
		return scenario("peer-and", "namespaceSelector and podSelector in one peer must both match: only y/b.",
			policies(netpol("x", "allow-y-b", ingressTo(labels("pod=a"), from(networkingv1.NetworkPolicyPeer{
				NamespaceSelector: labels("ns=y"), PodSelector: labels("pod=b"),
			})))),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b X   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a X   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c X   .   .   .   .   .   .   .   .
z/a X   .   .   .   .   .   .   .   .
z/b X   .   .   .   .   .   .   .   .
z/c X   .   .   .   .   .   .   .   .`})
	},
	func() Scenario {
		return scenario("peer-or", "Two peers are alternatives: all of y, or pod=b of x.",
			policies(netpol("x", "allow-y-or-b", ingressTo(labels("pod=a"), from(namespacesPeer(labels("ns=y")), podsPeer(labels("pod=b")))))),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b .   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a .   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a X   .   .   .   .   .   .   .   .
z/b X   .   .   .   .   .   .   .   .
z/c X   .   .   .   .   .   .   .   .`})
	},
	func() Scenario {
		return scenario("all-namespaces", "namespaceSelector {} matches every pod of every namespace, but no address outside the cluster.",
			policies(netpol("x", "allow-all-namespaces", ingressTo(labels("pod=a"), from(namespacesPeer(labels()))))),
			table{80, tcp, allAllowed},
			table{80, tcp, `
-           x/a x/b
203.0.113.9 X   .`})
	},
	func() Scenario {
		return scenario("deny-to-one-pod", "A policy selecting pod=a isolates x/a only.",
			policies(netpol("x", "deny-a", ingressTo(labels("pod=a")))),
			table{80, tcp, xaIngressDenied}, table{81, tcp, xaIngressDenied})
	},
	func() Scenario {
		s := scenario("match-expressions", "In, NotIn, Exists and DoesNotExist; NotIn and DoesNotExist match objects lacking the key (z has no env label).",
			policies(
				netpol("x", "ab-from-non-prod", ingressTo(
					&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr("pod", metav1.LabelSelectorOpIn, "a", "b")}},
					from(namespacesPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr("env", metav1.LabelSelectorOpNotIn, "prod")}})))),
				netpol("x", "c-from-unlabelled", ingressTo(
					&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
						expr("pod", metav1.LabelSelectorOpExists), expr("pod", metav1.LabelSelectorOpNotIn, "a", "b")}},
					from(namespacesPeer(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{expr("env", metav1.LabelSelectorOpDoesNotExist)}})))),
			),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a .   .   X   .   .   .   .   .   .
y/b .   .   X   .   .   .   .   .   .
y/c .   .   X   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`})
		s.Namespaces[0].Labels["env"] = "prod"
		s.Namespaces[1].Labels["env"] = "dev"
		return s
	},
	func() Scenario {
		return scenario("additive-policies", "Two policies selecting x/a add up: y and z may reach it, x may not.",
			policies(
				netpol("x", "allow-from-y", ingressTo(labels("pod=a"), from(namespacesPeer(labels("ns=y"))))),
				netpol("x", "allow-from-z", ingressTo(labels("pod=a"), from(namespacesPeer(labels("ns=z"))))),
			),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b X   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a .   .   .   .   .   .   .   .   .
y/b .   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`})
	},
	func() Scenario {
		return scenario("allow-port-80", "ports [{port: 80}] allows TCP 80 only: the protocol defaults to TCP.",
			policies(netpol("x", "allow-80", ingressTo(labels("pod=a"), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{tcpPort(80)}}))),
			table{80, tcp, allAllowed}, table{81, tcp, xaIngressDenied}, table{80, udp, xaIngressDenied}, table{80, sctp, xaIngressDenied},
			table{80, tcp, `
-           x/a
203.0.113.9 .`})
	},
	func() Scenario {
		return scenario("protocol-without-port", "A port entry with a protocol and no port allows every port of that protocol.",
			policies(netpol("x", "allow-udp", ingressTo(labels("pod=a"), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{anyPort(udp)}}))),
			table{80, udp, allAllowed}, table{81, udp, allAllowed}, table{80, tcp, xaIngressDenied}, table{81, sctp, xaIngressDenied})
	},
	func() Scenario {
		return scenario("sctp-is-distinct", "SCTP 80 and TCP 80 are different ports.",
			policies(netpol("x", "allow-sctp-80", ingressTo(labels("pod=a"), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{port(80, sctp)}}))),
			table{80, sctp, allAllowed}, table{80, tcp, xaIngressDenied}, table{81, sctp, xaIngressDenied})
	},
	func() Scenario {
		return scenario("end-port", "port 79 with endPort 80 includes 80 and stops before 81.",
			policies(netpol("x", "allow-79-80", ingressTo(labels("pod=a"), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{portRange(79, 80, tcp)}}))),
			table{80, tcp, allAllowed}, table{81, tcp, xaIngressDenied}, table{80, udp, xaIngressDenied})
	},
	func() Scenario {
		s := scenario("named-port-per-pod", "A named port resolves on each destination pod: web is 80 on x/a, 81 on x/b, absent on x/c.",
			policies(netpol("x", "allow-web", ingressTo(labels(), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{namedPort("web", tcp)}}))),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b .   .   X   .   .   .   .   .   .
x/c .   X   .   .   .   .   .   .   .
y/a .   X   X   .   .   .   .   .   .
y/b .   X   X   .   .   .   .   .   .
y/c .   X   X   .   .   .   .   .   .
z/a .   X   X   .   .   .   .   .   .
z/b .   X   X   .   .   .   .   .   .
z/c .   X   X   .   .   .   .   .   .`},
			table{81, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a X   .   X   .   .   .   .   .   .
y/b X   .   X   .   .   .   .   .   .
y/c X   .   X   .   .   .   .   .   .
z/a X   .   X   .   .   .   .   .   .
z/b X   .   X   .   .   .   .   .   .
z/c X   .   X   .   .   .   .   .   .`})
		renamePort(findPod(s.Pods, "x", "a"), "serve-80-tcp", "web")
		renamePort(findPod(s.Pods, "x", "b"), "serve-81-tcp", "web")
		return s
	},
	func() Scenario {
		return scenario("named-port-protocol", "serve-80-udp asked for over TCP matches nothing: the name must resolve with the rule's protocol.",
			policies(netpol("x", "allow-udp-name-over-tcp", ingressTo(labels("pod=a"), networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{namedPort("serve-80-udp", tcp)}}))),
			table{80, tcp, xaIngressDenied}, table{80, udp, xaIngressDenied})
	},
	func() Scenario {
		return scenario("named-port-egress", "In an egress rule a named port resolves on the destination pod, and toward an outside address matches nothing.",
			policies(netpol("x", "egress-serve-81", networkingv1.NetworkPolicySpec{
				PodSelector: *labels("pod=a"),
				PolicyTypes: types(egress),
				Egress:      []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{namedPort("serve-81-tcp", tcp)}}},
			})),
			table{81, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c 203.0.113.9
x/a .   .   .   .   .   .   .   .   .   X
y/a .   .   .   .   .   .   .   .   .   .`},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c 203.0.113.9
x/a .   X   X   X   X   X   X   X   X   X
y/a .   .   .   .   .   .   .   .   .   .`})
	},
	func() Scenario {
		return scenario("egress-to-cidr-except", "Egress to 10.0.0.0/16 except 10.0.2.0/24 and fd00::/16 except fd00::2:0/112: z and x are inside, y (10.0.2.x, fd00::2:x) is carved out. ipBlocks match pod IPs.",
			policies(netpol("x", "egress-cidr", networkingv1.NetworkPolicySpec{
				PodSelector: *labels("pod=a"),
				PolicyTypes: types(egress),
				Egress: []networkingv1.NetworkPolicyEgressRule{to(
					cidrPeer("10.0.0.0/16", "10.0.2.0/24"),
					cidrPeer("fd00::/16", "fd00::2:0/112"),
				)},
			})),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c 10.0.9.9 10.0.2.99 8.8.8.8 fd00::9:1 fd00::2:99 2001:db8::1
x/a .   .   .   X   X   X   .   .   .   .        X         X       .         X          X
y/a .   .   .   .   .   .   .   .   .   .        .         .       .         .          .`})
	},
	func() Scenario {
		s := scenario("egress-to-cidr-pods-excluded", "The same policy where ipBlocks do not match pod IPs (Cilium): x/a reaches no pod, and the same addresses outside.",
			policies(netpol("x", "egress-cidr", networkingv1.NetworkPolicySpec{
				PodSelector: *labels("pod=a"),
				PolicyTypes: types(egress),
				Egress: []networkingv1.NetworkPolicyEgressRule{to(
					cidrPeer("10.0.0.0/16", "10.0.2.0/24"),
					cidrPeer("fd00::/16", "fd00::2:0/112"),
				)},
			})),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c 10.0.9.9 10.0.2.99 8.8.8.8 fd00::9:1 fd00::2:99 2001:db8::1
x/a .   X   X   X   X   X   X   X   X   .        X         X       .         X          X`})
		s.IPBlocksExcludePods = true
		return s
	},
	func() Scenario {
		return scenario("ingress-from-cidr", "Ingress from 203.0.113.0/24 admits that range only; pod IPs lie outside it.",
			policies(netpol("x", "allow-from-cidr", ingressTo(labels("pod=a"), from(cidrPeer("203.0.113.0/24"))))),
			table{80, tcp, xaIngressDenied},
			table{80, tcp, `
-              x/a x/b
203.0.113.9    .   .
198.51.100.7   X   .`})
	},
	func() Scenario {
		return scenario("ingress-from-pod-cidr", "An ipBlock covering y's pod IPs admits y's pods when ipBlocks match pod IPs.",
			policies(netpol("x", "allow-from-y-cidr", ingressTo(labels("pod=a"), from(cidrPeer("10.0.2.0/24"))))),
			table{80, tcp, xaFromY})
	},
	func() Scenario {
		s := scenario("ingress-from-pod-cidr-pods-excluded", "The same policy where ipBlocks do not match pod IPs (Cilium): y's pods are refused.",
			policies(netpol("x", "allow-from-y-cidr", ingressTo(labels("pod=a"), from(cidrPeer("10.0.2.0/24"))))),
			table{80, tcp, xaIngressDenied})
		s.IPBlocksExcludePods = true
		return s
	},
	func() Scenario {
		s := scenario("host-network", "x/h uses the host network (node IP 192.168.0.10): no podSelector selects it, as target or peer; it is never isolated; ipBlocks match its IP.",
			policies(
				denyAll("x", ingress, egress),
				netpol("x", "allow-x-to-a", ingressTo(labels("pod=a"), from(podsPeer(labels())))),
				netpol("x", "allow-nodes-to-b", ingressTo(labels("pod=b"), from(cidrPeer("192.168.0.0/24")))),
			),
			table{80, tcp, `
-   x/a x/b x/h y/a
x/a .   X   X   X
x/h X   .   .   .
y/a X   X   .   .`})
		h := servingPod("x", "h", "192.168.0.10")
		h.Labels["pod"] = "h"
		h.Spec.HostNetwork = true
		for i := range h.Spec.Containers[0].Ports {
			// The API requires hostPort == containerPort on the host network.
			h.Spec.Containers[0].Ports[i].HostPort = h.Spec.Containers[0].Ports[i].ContainerPort
		}
		h.Status.HostIP = "192.168.0.10"
		s.Pods = append(s.Pods, h)
		return s
	},
	func() Scenario {
		return scenario("self-traffic", "With everything denied everywhere a pod still reaches itself.",
			policies(denyAll("x", ingress, egress), denyAll("y", ingress, egress), denyAll("z", ingress, egress)),
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   X   X   X   X   X   X
x/b X   .   X   X   X   X   X   X   X
x/c X   X   .   X   X   X   X   X   X
y/a X   X   X   .   X   X   X   X   X
y/b X   X   X   X   .   X   X   X   X
y/c X   X   X   X   X   .   X   X   X
z/a X   X   X   X   X   X   .   X   X
z/b X   X   X   X   X   X   X   .   X
z/c X   X   X   X   X   X   X   X   .`})
	},
	func() Scenario {
		return scenario("egress-dns-only", "x may send DNS (53 over UDP and TCP) anywhere and nothing else.",
			policies(netpol("x", "allow-dns", networkingv1.NetworkPolicySpec{
				PolicyTypes: types(egress),
				Egress:      []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{port(53, udp), port(53, tcp)}}},
			})),
			table{53, udp, allAllowed}, table{53, tcp, allAllowed}, table{80, tcp, xEgressDenied},
			table{53, udp, `
-   8.8.8.8 2001:4860:4860::8888
x/a .       .`},
			table{80, tcp, `
-   8.8.8.8
x/a X`})
	},
}
