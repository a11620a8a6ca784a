package scenarios

// Truth tables for the cluster-wide tiers of sigs.k8s.io/network-policy-api,
// on the same model (namespaces x, y, z; pods a, b, c; ports 80 and 81 over
// TCP, UDP and SCTP). Each scenario is written here, for this model; its
// comment names the scenario of network-policy-api's conformance suite it
// mirrors (conformance/tests in v0.3.0 for ClusterNetworkPolicy, in v0.1.7
// for the v1alpha1 kinds). A "?" cell is a connection the API leaves
// undefined: either outcome is possible.

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"
)

// Tiers returns every tier scenario, freshly built. They are kept apart from
// All because loading them into a cluster needs the CRDs.
func Tiers() []Scenario {
	var out []Scenario
	for _, build := range tierCatalog {
		out = append(out, build())
	}
	return out
}

// tierObjects holds a scenario's tier objects and nodes.
type tierObjects struct {
	cnps  []npav1beta1.ClusterNetworkPolicy
	anps  []npav1alpha1.AdminNetworkPolicy
	banps []npav1alpha1.BaselineAdminNetworkPolicy
	nodes []corev1.Node
}

func tierScenario(name, description string, nps []networkingv1.NetworkPolicy, objs tierObjects, tables ...table) Scenario {
	s := scenario(name, description, nps, tables...)
	s.ClusterNetworkPolicies, s.AdminNetworkPolicies, s.BaselineAdminNetworkPolicies = objs.cnps, objs.anps, objs.banps
	s.Nodes, s.NodesKnown = objs.nodes, objs.nodes != nil
	return s
}

// decode reads a manifest the scenario author wrote; a typo is a bug in
// this package, which its tests catch.
func decode[T any](manifest string) T {
	var obj T
	if err := yaml.UnmarshalStrict([]byte(manifest), &obj); err != nil {
		panic(fmt.Sprintf("scenario manifest: %v\n%s", err, manifest))
	}
	return obj
}

// cnp reads a ClusterNetworkPolicy spec, in v1beta1 or (same schema) v1alpha2.
func cnp(apiVersion, name, spec string) npav1beta1.ClusterNetworkPolicy {
	p := decode[npav1beta1.ClusterNetworkPolicy]("spec:\n" + spec)
	p.TypeMeta = metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/" + apiVersion, Kind: "ClusterNetworkPolicy"}
	p.Name = name
	return p
}

func anp(name, spec string) npav1alpha1.AdminNetworkPolicy {
	p := decode[npav1alpha1.AdminNetworkPolicy]("spec:\n" + spec)
	p.TypeMeta = metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "AdminNetworkPolicy"}
	p.Name = name
	return p
}

func banp(spec string) npav1alpha1.BaselineAdminNetworkPolicy {
	p := decode[npav1alpha1.BaselineAdminNetworkPolicy]("spec:\n" + spec)
	p.TypeMeta = metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "BaselineAdminNetworkPolicy"}
	p.Name = "default" // the only name the API accepts
	return p
}

func node(name string, labels map[string]string, addresses ...string) corev1.Node {
	n := corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	for _, a := range addresses {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	return n
}

// NodeAddresses are the addresses of the Nodes the nodes scenarios hold.
var NodeAddresses = []string{"192.0.2.1", "192.0.2.2"}

var tierCatalog = []func() Scenario{
	// Mirrors CNPAdminTierIngressTCP and CNPAdminTierIngressUDP: Admin
	// Accept and Deny rules on ingress, per protocol and port, over a
	// NetworkPolicy default-deny that Accept bypasses.
	func() Scenario {
		return tierScenario("cnp-admin-ingress-accept-deny",
			"Admin tier, ingress into x: Accept from z on 80/TCP, then Deny from every namespace on 80/TCP and 81/UDP; Accept skips x's NetworkPolicy default-deny, which decides the rest.",
			policies(denyAll("x", ingress)),
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{cnp("v1beta1", "x-ingress", `
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: accept-z-80
    action: Accept
    from: [{namespaces: {matchLabels: {ns: z}}}]
    protocols: [{tcp: {destinationPort: {number: 80}}}]
  - name: deny-80-tcp-81-udp
    action: Deny
    from: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {number: 80}}}, {udp: {destinationPort: {number: 81}}}]`)}},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a X   X   X   .   .   .   .   .   .
y/b X   X   X   .   .   .   .   .   .
y/c X   X   X   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`},
			table{81, udp, xIngressDenied}, table{81, tcp, xIngressDenied}, table{80, udp, xIngressDenied},
			table{80, tcp, `
-           x/a y/a
203.0.113.9 X   .`})
	},
	// Mirrors CNPAdminTierEgressInlineCIDRPeers: networks peers, which match
	// pod IPs too ("Deny to 0.0.0.0/0 denies all IPv4 pod-to-pod traffic").
	func() Scenario {
		return tierScenario("cnp-admin-egress-networks",
			"Admin tier, egress from y: Accept to 10.0.3.0/24 (z's pods), then Deny to 0.0.0.0/0 and ::/0: y reaches z and nothing else, pods or addresses.",
			nil,
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{cnp("v1beta1", "y-egress", `
  tier: Admin
  priority: 5
  subject: {namespaces: {matchLabels: {ns: "y"}}}
  egress:
  - {name: accept-z, action: Accept, to: [{networks: [10.0.3.0/24]}]}
  - {name: deny-rest, action: Deny, to: [{networks: [0.0.0.0/0, "::/0"]}]}`)}},
			table{80, tcp, yEgressToZOnly}, table{81, sctp, yEgressToZOnly},
			table{80, udp, `
-   10.0.3.99 203.0.113.9 fd00::9:1
y/a .         X           X
x/a .         .           .`})
	},
	// Mirrors CNPAdminTierIntegration (conformance/base/api_integration): an
	// Admin Pass hands the connection to the NetworkPolicy tier where a
	// NetworkPolicy isolates the pod, and to the Baseline tier where none
	// does; rule order inside the Admin policy matters.
	func() Scenario {
		return tierScenario("tier-chain-pass-networkpolicy-baseline",
			"Admin: into x, Pass from y, then Deny 81/TCP from everyone; NetworkPolicy: x/a accepts y; Baseline: Deny from y everywhere.",
			policies(netpol("x", "a-from-y", ingressTo(labels("pod=a"), from(namespacesPeer(labels("ns=y")))))),
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{
				cnp("v1beta1", "admin-pass-y", `
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {name: pass-y, action: Pass, from: [{namespaces: {matchLabels: {ns: "y"}}}]}
  - {name: deny-81, action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}`),
				cnp("v1alpha2", "baseline-deny-y", `
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  ingress:
  - {name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}]}`),
			}},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b X   .   .   .   .   .   .   .   .
x/c X   .   .   .   .   .   .   .   .
y/a .   X   X   .   X   X   X   X   X
y/b .   X   X   X   .   X   X   X   X
y/c .   X   X   X   X   .   X   X   X
z/a X   .   .   .   .   .   .   .   .
z/b X   .   .   .   .   .   .   .   .
z/c X   .   .   .   .   .   .   .   .`},
			table{81, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a .   X   X   .   X   X   X   X   X
y/b .   X   X   X   .   X   X   X   X
y/c .   X   X   X   X   .   X   X   X
z/a X   X   X   .   .   .   .   .   .
z/b X   X   X   .   .   .   .   .   .
z/c X   X   X   .   .   .   .   .   .`})
	},
	// Mirrors CNPAdminTierPriorityField: the lower priority number is
	// consulted first, whatever the order of the objects.
	func() Scenario {
		return tierScenario("cnp-admin-priority",
			"Admin, into x: priority 50 denies 80/TCP from everyone, priority 20 accepts it from y, priority 10 denies everything from y/b to x/a.",
			nil,
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{
				cnp("v1beta1", "deny-80", `
  tier: Admin
  priority: 50
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]`),
				cnp("v1beta1", "accept-y-80", `
  tier: Admin
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{action: Accept, from: [{namespaces: {matchLabels: {ns: "y"}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]`),
				cnp("v1beta1", "deny-yb-to-xa", `
  tier: Admin
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}}
  ingress: [{action: Deny, from: [{pods: {namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {pod: b}}}}]}]`),
			}},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a .   .   .   .   .   .   .   .   .
y/b X   .   .   .   .   .   .   .   .
y/c .   .   .   .   .   .   .   .   .
z/a X   X   X   .   .   .   .   .   .
z/b X   X   X   .   .   .   .   .   .
z/c X   X   X   .   .   .   .   .   .`},
			table{81, tcp, `
-   x/a x/b x/c
x/b .   .   .
y/b X   .   .
z/a .   .   .`})
	},
	// Mirrors AdminNetworkPolicyIngressTCP, AdminNetworkPolicyIntegration and
	// BaselineAdminNetworkPolicyIngressTCP of the v1alpha1 suite (v0.1.7):
	// Allow, Pass, the BaselineAdminNetworkPolicy named default, and the
	// v1alpha1 port spellings.
	func() Scenario {
		return tierScenario("anp-banp-v1alpha1",
			"AdminNetworkPolicy into x/a: Allow 80/TCP from y, Pass from z; BaselineAdminNetworkPolicy: x denies all ingress except 81/UDP (portRange) from y.",
			nil,
			tierObjects{
				anps: []npav1alpha1.AdminNetworkPolicy{anp("xa-ingress", `
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}}
  ingress:
  - {name: allow-y-80, action: Allow, from: [{namespaces: {matchLabels: {ns: "y"}}}], ports: [{portNumber: {protocol: TCP, port: 80}}]}
  - {name: pass-z, action: Pass, from: [{namespaces: {matchLabels: {ns: z}}}]}`)},
				banps: []npav1alpha1.BaselineAdminNetworkPolicy{banp(`
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {name: allow-y-udp, action: Allow, from: [{namespaces: {matchLabels: {ns: "y"}}}], ports: [{portRange: {protocol: UDP, start: 81, end: 90}}]}
  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}`)},
			},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a .   X   X   .   .   .   .   .   .
y/b .   X   X   .   .   .   .   .   .
y/c .   X   X   .   .   .   .   .   .
z/a X   X   X   .   .   .   .   .   .
z/b X   X   X   .   .   .   .   .   .
z/c X   X   X   .   .   .   .   .   .`},
			table{81, udp, `
-   x/a x/b x/c y/a
x/b X   .   X   .
y/a .   .   .   .
z/a X   X   X   .`},
			table{81, tcp, xIngressDenied}, table{80, sctp, xIngressDenied},
			table{80, tcp, `
-           x/a y/a
203.0.113.9 .   .`})
	},
	// Mirrors CNPAdminTierSamePriority, whose policies share a priority
	// with disjoint rules (all apply); here two of them also overlap with
	// different actions, which the API leaves undefined.
	func() Scenario {
		return tierScenario("cnp-admin-same-priority",
			"Admin, into x at priority 7: one policy denies 80/TCP from y, another accepts 80/TCP from every namespace and 81/TCP from z: y to x on 80/TCP may go either way.",
			policies(denyAll("x", ingress)),
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{
				cnp("v1beta1", "deny-y", `
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]`),
				cnp("v1beta1", "accept-all", `
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
  - {action: Accept, from: [{namespaces: {matchLabels: {ns: z}}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}`),
			}},
			table{80, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b .   .   .   .   .   .   .   .   .
x/c .   .   .   .   .   .   .   .   .
y/a ?   ?   ?   .   .   .   .   .   .
y/b ?   ?   ?   .   .   .   .   .   .
y/c ?   ?   ?   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`},
			table{81, tcp, `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   X   X   .   .   .   .   .   .
x/b X   .   X   .   .   .   .   .   .
x/c X   X   .   .   .   .   .   .   .
y/a X   X   X   .   .   .   .   .   .
y/b X   X   X   .   .   .   .   .   .
y/c X   X   X   .   .   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`})
	},
	// Mirrors CNPBaselineTierPortRange and CNPBaselineTierIngressNamedPort:
	// a port range, a whole protocol and a named port resolved on the
	// destination pod with that container port's own protocol.
	func() Scenario {
		return tierScenario("cnp-baseline-ports",
			"Baseline, into z: Accept the named port serve-81-udp, then Deny TCP 80-81 and SCTP 1-65535 (the CRD requires a port in each protocol entry); everything else falls through to allowed.",
			nil,
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{cnp("v1beta1", "z-ports", `
  tier: Baseline
  priority: 3
  subject: {namespaces: {matchLabels: {ns: z}}}
  ingress:
  - {action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: serve-81-udp}]}
  - {action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 81}}}}, {sctp: {destinationPort: {range: {start: 1, end: 65535}}}}]}`)}},
			table{80, tcp, zIngressDenied}, table{81, tcp, zIngressDenied}, table{80, sctp, zIngressDenied}, table{81, sctp, zIngressDenied},
			table{81, udp, allAllowed}, table{80, udp, allAllowed})
	},
	// Mirrors CNPBaselineTierEgressNodePeers (and
	// BaselineAdminNetworkPolicyEgressNodePeers): nodes peers match the
	// addresses of the Node objects their selector picks.
	func() Scenario {
		return tierScenario("cnp-baseline-egress-nodes",
			"Baseline, egress from x: Deny to nodes labelled role=infra (192.0.2.1); the other node (192.0.2.2) stays reachable.",
			nil,
			tierObjects{
				cnps: []npav1beta1.ClusterNetworkPolicy{cnp("v1beta1", "x-not-infra", `
  tier: Baseline
  priority: 0
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress: [{action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}]`)},
				nodes: []corev1.Node{node("infra-1", map[string]string{"role": "infra"}, NodeAddresses[0]), node("worker-1", map[string]string{"role": "worker"}, NodeAddresses[1])},
			},
			table{80, tcp, `
-   192.0.2.1 192.0.2.2 y/a
x/a X         .         .
y/a .         .         .`})
	},
	// Mirrors the same nodes peer without Node objects (no upstream
	// scenario: conformance always has nodes): outside the model.
	func() Scenario {
		return tierScenario("nodes-peer-without-nodes",
			"Admin, egress from x: Deny to nodes while the Node objects are unknown: toward any address either outcome is possible; pods are never nodes.",
			nil,
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{cnp("v1beta1", "x-not-nodes", `
  tier: Admin
  priority: 0
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress: [{action: Deny, to: [{nodes: {}}]}]`)}},
			table{80, tcp, `
-   192.0.2.1 203.0.113.9 y/a
x/a ?         ?           .
y/a .         .           .`})
	},
	// Mirrors the DomainNames doc comment of apis/v1beta1 (there is no
	// upstream conformance scenario for domain names): an Accept allowlist
	// above a lower-precedence deny.
	func() Scenario {
		return tierScenario("domain-names-allowlist",
			"Admin, egress from x: Accept to *.example.com; Baseline: Deny to 0.0.0.0/0 and ::/0. Which addresses the names resolve to is not in the objects: either outcome; pods are denied.",
			nil,
			tierObjects{cnps: []npav1beta1.ClusterNetworkPolicy{
				cnp("v1beta1", "x-allowlist", `
  tier: Admin
  priority: 0
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress: [{action: Accept, to: [{domainNames: ["*.example.com"]}]}]`),
				cnp("v1beta1", "x-deny-egress", `
  tier: Baseline
  priority: 0
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress: [{action: Deny, to: [{networks: [0.0.0.0/0, "::/0"]}]}]`),
			}},
			table{443, tcp, `
-   203.0.113.9 fd00::9:1 x/b y/a
x/a ?           ?         X   X
y/a .           .         .   .`})
	},
}

// More grids.
const (
	yEgressToZOnly = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   .   .   .
x/b .   .   .   .   .   .   .   .   .
x/c .   .   .   .   .   .   .   .   .
y/a X   X   X   .   X   X   .   .   .
y/b X   X   X   X   .   X   .   .   .
y/c X   X   X   X   X   .   .   .   .
z/a .   .   .   .   .   .   .   .   .
z/b .   .   .   .   .   .   .   .   .
z/c .   .   .   .   .   .   .   .   .`

	zIngressDenied = `
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a .   .   .   .   .   .   X   X   X
x/b .   .   .   .   .   .   X   X   X
x/c .   .   .   .   .   .   X   X   X
y/a .   .   .   .   .   .   X   X   X
y/b .   .   .   .   .   .   X   X   X
y/c .   .   .   .   .   .   X   X   X
z/a .   .   .   .   .   .   .   X   X
z/b .   .   .   .   .   .   X   .   X
z/c .   .   .   .   .   .   X   X   .`
)
