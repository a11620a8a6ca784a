package reach_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/scenarios"
)

// TestScenarios checks the truth tables of the shared scenarios (namespaces
// x, y, z; pods a, b, c; ports 80 and 81 over TCP, UDP and SCTP) against the
// engine, and the reference evaluator against the same tables, so a wrong
// table cannot hide behind agreeing implementations.
func TestScenarios(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			snap := snapshot(s.Namespaces, s.Pods, s.Policies...)
			opts := reach.Options{IPBlockMatchesPods: !s.IPBlocksExcludePods}
			checkExpectations(t, snap, opts, s.Expectations)
		})
	}
}

func checkExpectations(t *testing.T, snap *inventory.Snapshot, opts reach.Options, expectations []scenarios.Expectation) {
	t.Helper()
	m := build(t, snap, opts)
	refEndpoint := func(s string) refEnd {
		if ns, name, ok := strings.Cut(s, "/"); ok {
			return refEnd{pod: m.Pod(ns, name)}
		}
		return refEnd{ip: s}
	}
	for _, e := range expectations {
		v := m.Verdict(endpoint(t, m, e.From), endpoint(t, m, e.To), e.Port, reach.Protocol(e.Protocol))
		if v.Allowed != e.Allowed {
			t.Errorf("%s -> %s %d/%s: got %s, want %s\n  egress: %s\n  ingress: %s", e.From, e.To, e.Port, e.Protocol,
				allowedText(v.Allowed), allowedText(e.Allowed), describe(v.Egress), describe(v.Ingress))
		}
		ref := refEvaluate(snap, refOpts(opts), refEndpoint(e.From), refEndpoint(e.To), e.Port, e.Protocol)
		if ref.allowed != e.Allowed {
			t.Errorf("%s -> %s %d/%s: reference says %s, table says %s", e.From, e.To, e.Port, e.Protocol, allowedText(ref.allowed), allowedText(e.Allowed))
		}
	}
}

func describe(d reach.Direction) string {
	s := fmt.Sprintf("%s: %s", d.Subject, d.Reason)
	if len(d.IsolatedBy) > 0 {
		s += fmt.Sprintf(" (isolated by %v)", d.IsolatedBy)
	}
	if r := rules(d); r != "" {
		s += "; " + r
	}
	return s
}

// TestScenariosEngineOnly holds cases the shared scenarios cannot: objects a
// current API server would refuse or rewrite (non-canonical CIDRs), and
// snapshots shaped by how they were read (a namespace missing, pods without
// IPs or with only the legacy podIP field).
func TestScenariosEngineOnly(t *testing.T) {
	expect := func(lines ...string) []scenarios.Expectation {
		var out []scenarios.Expectation
		for _, l := range lines {
			var e scenarios.Expectation
			var verdict string
			if _, err := fmt.Sscanf(l, "%s -> %s %d/%s %s", &e.From, &e.To, &e.Port, &e.Protocol, &verdict); err != nil {
				t.Fatalf("expectation %q: %v", l, err)
			}
			e.Allowed = verdict == "allowed"
			out = append(out, e)
		}
		return out
	}
	tests := []struct {
		name         string
		matchPods    bool
		namespaces   []corev1.Namespace
		pods         []corev1.Pod
		policies     []string
		expectations []scenarios.Expectation
	}{
		{
			name: "non-canonical CIDR means its masked prefix", matchPods: true,
			pods: []corev1.Pod{pod("x", "a").ip("10.0.1.10").obj(), pod("x", "b").ip("10.9.0.1").obj()},
			policies: []string{`
metadata: {namespace: x, name: egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.1.10/16}}]
    ports: [{port: 80}]
  - to: [{ipBlock: {cidr: 10.0.0.5/0, except: [10.0.0.5/8]}}]
    ports: [{port: 443}]`},
			expectations: expect(
				"x/b -> x/a 80/TCP allowed", "x/a -> x/b 80/TCP denied", "x/a -> 10.0.200.1 80/TCP allowed",
				"x/a -> 8.8.8.8 443/TCP allowed", "x/a -> 10.200.0.1 443/TCP denied", "x/a -> x/b 443/TCP denied"),
		},
		{
			name: "namespace missing from the snapshot still has its name label", matchPods: true,
			namespaces: []corev1.Namespace{namespace("x")},
			pods:       []corev1.Pod{pod("x", "a").obj(), pod("ghost", "b").obj()},
			policies: []string{`
metadata: {namespace: x, name: from-ghost}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [ghost]}]}}]}]`},
			expectations: expect("ghost/b -> x/a 80/TCP allowed"),
		},
		{
			name: "a pod without an IP is somewhere in the pod network, which 0.0.0.0/0 holds", matchPods: true,
			pods: []corev1.Pod{pod("x", "a").labels("app=a").obj(), pod("x", "b").labels("app=b").obj(), pod("x", "c").labels("app=c").ip("10.0.0.3").obj()},
			policies: []string{`
metadata: {namespace: x, name: in}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]}, {from: [{podSelector: {matchLabels: {app: c}}}], ports: [{port: 81}]}]`},
			expectations: expect("x/b -> x/a 80/TCP allowed", "x/c -> x/a 80/TCP allowed", "x/c -> x/a 81/TCP allowed", "x/b -> x/a 81/TCP allowed"),
		},
		{
			name: "legacy podIP field alone is the pod's address", matchPods: true,
			pods: []corev1.Pod{pod("x", "a").labels("app=a").obj(), func() corev1.Pod {
				p := pod("x", "b").obj()
				p.Status.PodIP = "10.0.0.2"
				return p
			}()},
			policies: []string{`
metadata: {namespace: x, name: in}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24}}]}]`},
			expectations: expect("x/b -> x/a 80/TCP allowed"),
		},
		{
			name: "sidecar ports count, plain init container ports do not", matchPods: true,
			pods: []corev1.Pod{
				pod("x", "a").labels("app=a").obj(),
				pod("x", "sidecar").initPort("metrics", corev1.ProtocolTCP, 9090, true).obj(),
				pod("x", "init").initPort("metrics", corev1.ProtocolTCP, 9090, false).obj(),
			},
			policies: []string{`
metadata: {namespace: x, name: scrape}
spec:
  podSelector: {}
  ingress: [{ports: [{port: metrics}]}]`},
			expectations: expect("x/a -> x/sidecar 9090/TCP allowed", "x/a -> x/init 9090/TCP denied"),
		},
		{
			name: "named port toward a hostNetwork pod matches nothing", matchPods: true,
			pods: []corev1.Pod{
				pod("x", "a").labels("app=a").obj(),
				pod("x", "node").ip("192.168.0.1").hostNetwork().port("metrics", corev1.ProtocolTCP, 9100).obj(),
			},
			policies: []string{`
metadata: {namespace: x, name: out}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: metrics}]}, {ports: [{port: 9101}]}]`},
			expectations: expect("x/a -> x/node 9100/TCP denied", "x/a -> x/node 9101/TCP allowed", "x/node -> x/a 9100/TCP allowed"),
		},
		{
			name: "dual-stack pod matched by either address", matchPods: true,
			pods: []corev1.Pod{pod("x", "a").labels("app=a").obj(), pod("x", "b").ip("10.0.0.2", "fd00::2").obj()},
			policies: []string{`
metadata: {namespace: x, name: v6-only}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: "fd00::/64"}}]}]`},
			expectations: expect("x/b -> x/a 80/TCP allowed", "fd00::9 -> x/a 80/TCP allowed", "10.0.0.2 -> x/a 80/TCP denied"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pols []networkingv1.NetworkPolicy
			for _, p := range tt.policies {
				pols = append(pols, policy(t, p))
			}
			checkExpectations(t, snapshot(tt.namespaces, tt.pods, pols...), reach.Options{IPBlockMatchesPods: tt.matchPods}, tt.expectations)
		})
	}
}
