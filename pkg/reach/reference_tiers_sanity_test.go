package reach_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// tierSnapshot reads a multi-document manifest of NetworkPolicies, the
// tier kinds and Nodes into a snapshot with the given pods.
func tierSnapshot(t testing.TB, pods []corev1.Pod, manifests string) *inventory.Snapshot {
	t.Helper()
	snap := &inventory.Snapshot{Pods: pods}
	for _, doc := range strings.Split(manifests, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var tm struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("manifest: %v\n%s", err, doc)
		}
		var err error
		switch tm.Kind {
		case "NetworkPolicy":
			var o networkingv1.NetworkPolicy
			err = yaml.UnmarshalStrict([]byte(doc), &o)
			snap.Policies = append(snap.Policies, o)
		case "ClusterNetworkPolicy":
			var o npav1beta1.ClusterNetworkPolicy
			err = yaml.UnmarshalStrict([]byte(doc), &o)
			snap.ClusterNetworkPolicies = append(snap.ClusterNetworkPolicies, o)
		case "AdminNetworkPolicy":
			var o npav1alpha1.AdminNetworkPolicy
			err = yaml.UnmarshalStrict([]byte(doc), &o)
			snap.AdminNetworkPolicies = append(snap.AdminNetworkPolicies, o)
		case "BaselineAdminNetworkPolicy":
			var o npav1alpha1.BaselineAdminNetworkPolicy
			err = yaml.UnmarshalStrict([]byte(doc), &o)
			snap.BaselineAdminNetworkPolicies = append(snap.BaselineAdminNetworkPolicies, o)
		case "Node":
			var o corev1.Node
			err = yaml.UnmarshalStrict([]byte(doc), &o)
			snap.Nodes = append(snap.Nodes, o)
			snap.NodesKnown = true
		default:
			t.Fatalf("manifest of kind %q", tm.Kind)
		}
		if err != nil {
			t.Fatalf("%s manifest: %v\n%s", tm.Kind, err, doc)
		}
	}
	snap.Sort()
	return snap
}

// tierProbe is "x/a -> x/b 80/TCP allowed|denied|undefined".
type tierProbe struct {
	from, to, proto string
	port            int32
	want            outcomes
}

func parseTierProbe(t testing.TB, line string) tierProbe {
	t.Helper()
	var p tierProbe
	var verdict string
	if _, err := fmt.Sscanf(line, "%s -> %s %d/%s %s", &p.from, &p.to, &p.port, &p.proto, &verdict); err != nil {
		t.Fatalf("probe %q: %v", line, err)
	}
	switch verdict {
	case "allowed":
		p.want = outcomes{allow: true}
	case "denied":
		p.want = outcomes{deny: true}
	case "undefined":
		p.want = outcomes{allow: true, deny: true}
	default:
		t.Fatalf("probe %q: verdict %q", line, verdict)
	}
	return p
}

func refEndIn(snap *inventory.Snapshot, s string) refEnd {
	if ns, name, ok := strings.Cut(s, "/"); ok {
		for i := range snap.Pods {
			if snap.Pods[i].Namespace == ns && snap.Pods[i].Name == name {
				return refEnd{pod: &snap.Pods[i]}
			}
		}
	}
	return refEnd{ip: s}
}

// TestReferenceTiers pins the tier reference evaluator on cases worked out
// by hand from the API's doc comments, so that the property test compares
// the engine with something known to be right.
func TestReferenceTiers(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "a").labels("app=a").ip("10.0.1.10").port("http", corev1.ProtocolTCP, 8080).obj(),
		pod("x", "b").labels("app=b").ip("10.0.1.11").obj(),
		pod("y", "a").labels("app=a").ip("10.0.2.10").port("dns", corev1.ProtocolUDP, 5353).obj(),
		pod("y", "host").ip("192.168.0.1").hostNetwork().obj(),
	}
	tests := []struct {
		name      string
		manifests string
		probes    []string
	}{
		{
			name: "admin deny wins over a NetworkPolicy allow; accept skips a NetworkPolicy deny",
			manifests: `
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
  ingress:
  - {action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
  - {action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}]}
---
kind: NetworkPolicy
metadata: {namespace: x, name: deny-all}
spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 80}]}]}`,
			probes: []string{
				"y/a -> x/b 80/TCP denied",    // admin deny
				"y/a -> x/b 81/TCP allowed",   // admin accept (app=a), NetworkPolicy not consulted
				"x/b -> x/a 81/TCP denied",    // NetworkPolicy isolates, port 81 not allowed
				"x/b -> x/a 80/TCP allowed",   // NetworkPolicy allows
				"x/a -> x/a 80/TCP allowed",   // self
				"y/host -> x/b 80/TCP denied", // NetworkPolicy: namespaceSelector does not match hostNetwork
			},
		},
		{
			name: "pass to NetworkPolicy, then Baseline for pods no NetworkPolicy isolates",
			manifests: `
kind: AdminNetworkPolicy
apiVersion: policy.networking.k8s.io/v1alpha1
metadata: {name: pass}
spec:
  priority: 3
  subject: {namespaces: {}}
  egress:
  - {action: Pass, to: [{networks: [10.0.0.0/8]}]}
  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}
---
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}, podSelector: {}}}]}
---
kind: NetworkPolicy
metadata: {namespace: x, name: web}
spec: {podSelector: {matchLabels: {app: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}]}]}`,
			probes: []string{
				"x/a -> y/a 80/TCP allowed",    // pass, NetworkPolicy allows
				"x/b -> y/a 80/TCP denied",     // pass, not isolated, baseline deny
				"x/b -> x/a 80/TCP allowed",    // pass, baseline does not match: allowed
				"x/b -> 8.8.8.8 80/TCP denied", // admin deny 0.0.0.0/0
				"8.8.8.8 -> x/b 80/TCP allowed",
				"y/host -> x/b 80/TCP allowed", // hostNetwork: no policy applies to its egress
			},
		},
		{
			name: "equal priorities with different actions are undefined; unequal are ordered",
			manifests: `
kind: ClusterNetworkPolicy
metadata: {name: one}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 81}}}}]}]
---
kind: ClusterNetworkPolicy
metadata: {name: two}
spec:
  tier: Admin
  priority: 5
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}
  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}]
---
kind: AdminNetworkPolicy
metadata: {name: three}
spec:
  priority: 4
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
  ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: 80}}]}]`,
			probes: []string{
				"x/b -> x/a 8080/TCP allowed",    // only two matches
				"x/b -> x/a 80/TCP denied",       // only one matches (named port is 8080)
				"x/b -> y/a 80/TCP allowed",      // three (priority 4) first
				"x/b -> y/a 81/TCP denied",       // one
				"x/b -> x/a 8080/UDP allowed",    // named port is TCP
				"x/a -> x/b 8080/TCP allowed",    // x/b has no named port http
				"10.0.0.1 -> x/a 80/TCP allowed", // namespaces peers match no address
			},
		},
		{
			name: "undefined when both equal-priority policies match",
			manifests: `
kind: ClusterNetworkPolicy
metadata: {name: deny}
spec:
  tier: Baseline
  priority: 0
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: [10.0.2.0/24]}]}]
---
kind: ClusterNetworkPolicy
metadata: {name: accept}
spec:
  tier: Baseline
  priority: 0
  subject: {namespaces: {}}
  egress: [{action: Accept, to: [{namespaces: {}}], protocols: [{udp: {}}]}]`,
			probes: []string{
				"x/a -> y/a 53/UDP undefined",
				"x/a -> y/a 53/TCP denied",
				"x/a -> x/b 53/UDP allowed",
				"x/a -> 10.0.2.99 53/UDP denied",
			},
		},
		{
			name: "domainNames and unknown nodes may match an address, never a pod",
			manifests: `
kind: ClusterNetworkPolicy
metadata: {name: egress}
spec:
  tier: Admin
  priority: 0
  subject: {namespaces: {}}
  egress:
  - {action: Accept, to: [{domainNames: ["*.example.com"]}]}
  - {action: Deny, to: [{nodes: {}}]}
  - {action: Deny, to: [{networks: ["0.0.0.0/0"]}], protocols: [{tcp: {destinationPort: {number: 443}}}]}`,
			probes: []string{
				"x/a -> 8.8.8.8 443/TCP undefined",
				"x/a -> 8.8.8.8 80/TCP undefined", // domain, or a node, or neither (allowed)
				"x/a -> y/a 443/TCP denied",       // networks match pod IPs
				"x/a -> y/a 80/TCP allowed",
				"x/a -> y/host 80/TCP undefined", // a hostNetwork pod is a node address
			},
		},
		{
			name: "known nodes decide nodes peers",
			manifests: `
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}, {type: Hostname, address: n1}]}
---
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
kind: ClusterNetworkPolicy
metadata: {name: egress}
spec:
  tier: Admin
  priority: 0
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}`,
			probes: []string{
				"x/a -> 192.168.0.1 80/TCP denied",
				"x/a -> y/host 80/TCP denied",
				"x/a -> 192.168.0.2 80/TCP allowed",
				"x/a -> 8.8.8.8 80/TCP allowed",
			},
		},
		{
			name: "a peer with no known field fails closed",
			manifests: `
kind: ClusterNetworkPolicy
metadata: {name: accept-unknown}
spec:
  tier: Admin
  priority: 0
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
  ingress: [{action: Accept, from: [{}, {namespaces: {}}]}]
---
kind: ClusterNetworkPolicy
metadata: {name: pass-unknown}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
  ingress: [{action: Pass, from: [{}]}]`,
			probes: []string{
				"x/b -> x/a 80/TCP allowed", // the Accept rule matches nothing, nothing else decides
				"x/a -> y/a 80/TCP denied",  // the Pass rule denies everything
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := tierSnapshot(t, pods, tt.manifests)
			for _, line := range tt.probes {
				p := parseTierProbe(t, line)
				got := refTierEvaluate(snap, refOptions{ipBlockMatchesPods: true}, refEndIn(snap, p.from), refEndIn(snap, p.to), p.port, p.proto)
				if got != p.want {
					t.Errorf("%s: got %s", line, got)
				}
			}
		})
	}
}
