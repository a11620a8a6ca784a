package reach_test

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// TestBuildRejects: what the API server would refuse and a verdict would
// have to guess at is an error naming the policy and the field.
func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want string
	}{
		{"bad selector operator", `
spec:
  podSelector: {matchExpressions: [{key: app, operator: Within, values: [a]}]}`,
			"networkpolicy x/bad: spec.podSelector: "},
		{"In without values", `
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchExpressions: [{key: app, operator: In}]}}]}]`,
			"networkpolicy x/bad: spec.ingress[0].from[0].podSelector: "},
		{"unparsable cidr", `
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/33}}]}]`,
			`networkpolicy x/bad: spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0.0/33"`},
		{"unparsable except", `
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0]}}]}]`,
			`networkpolicy x/bad: spec.egress[0].to[0].ipBlock.except[0]: invalid CIDR "10.1.0.0"`},
		{"port 0", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 0}]}]`,
			"networkpolicy x/bad: spec.ingress[0].ports[0].port: 0 is not a port number"},
		{"port too large", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}, {port: 65536}]}]`,
			"spec.ingress[0].ports[1].port: 65536 is not a port number"},
		{"endPort before port", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 90, endPort: 80}]}]`,
			"spec.ingress[0].ports[0].endPort: 80 must be from port (90) to 65535"},
		{"endPort with a named port", `
spec:
  podSelector: {}
  egress: [{ports: [{port: http, endPort: 90}]}]`,
			`spec.egress[0].ports[0].endPort: may not be set with the named port "http"`},
		{"endPort without port", `
spec:
  podSelector: {}
  ingress: [{ports: [{endPort: 90}]}]`,
			"spec.ingress[0].ports[0].endPort: may not be set without port"},
		{"unknown protocol", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, protocol: ICMP}]}]`,
			`spec.ingress[0].ports[0].protocol: unsupported value "ICMP"`},
		{"protocols are case-sensitive in the API", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, protocol: tcp}]}]`,
			`spec.ingress[0].ports[0].protocol: unsupported value "tcp"`},
		{"quoted number is no port name", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: "80"}]}]`,
			`spec.ingress[0].ports[0].port: "80" is neither a port number nor a port name`},
		{"ipBlock with a selector", `
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]`,
			"spec.ingress[0].from[0]: ipBlock may not be combined with podSelector or namespaceSelector"},
		{"empty peer", `
spec:
  podSelector: {}
  ingress: [{from: [{}]}]`,
			"spec.ingress[0].from[0]: must specify podSelector, namespaceSelector or ipBlock"},
		{"unknown policy type", `
spec:
  podSelector: {}
  policyTypes: [Ingres]`,
			`spec.policyTypes: unsupported value "Ingres"`},
		{"rules of a direction not in policyTypes are still checked", `
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress: [{ports: [{port: 0}]}]`,
			"spec.egress[0].ports[0].port: 0 is not a port number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			np := policy(t, "metadata: {namespace: x, name: bad}"+tt.spec)
			_, err := reach.Build(snapshot(nil, nil, np), reach.DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	snap := snapshot(nil,
		[]corev1.Pod{pod("x", "a").ip("10.0.0.300").obj()},
		policy(t, "metadata: {namespace: x, name: one}\nspec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}"),
		policy(t, "metadata: {namespace: z, name: two}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: nonsense}}]}]}"),
	)
	_, err := reach.Build(snap, reach.DefaultOptions())
	if err == nil {
		t.Fatal("got no error, want three")
	}
	for _, want := range []string{"networkpolicy x/one:", "networkpolicy z/two:", `pod x/a: status.podIPs[0].ip: invalid IP "10.0.0.300"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %q", err, want)
		}
	}
}

// TestBuildNormalises: forms the API server stores are accepted and read
// as it reads them.
func TestBuildNormalises(t *testing.T) {
	tests := []struct {
		name     string
		cidr     string
		inside   string
		outside  string
		wantPeer string
	}{
		{"host bits set", "10.0.0.5/0", "192.0.2.1", "", "ipBlock 0.0.0.0/0 (written 10.0.0.5/0)"},
		{"host bits set, /16", "10.0.1.6/16", "10.0.200.1", "10.1.0.1", "ipBlock 10.0.0.0/16 (written 10.0.1.6/16)"},
		{"IPv6 host bits set", "fd00::1/64", "fd00::ffff", "fd00:0:0:1::1", "ipBlock fd00::/64 (written fd00::1/64)"},
		{"legacy leading zeros", "010.000.000.000/8", "10.9.9.9", "11.0.0.1", "ipBlock 10.0.0.0/8 (written 010.000.000.000/8)"},
		{"canonical", "10.0.0.0/8", "10.9.9.9", "11.0.0.1", "ipBlock 10.0.0.0/8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			np := policy(t, `
metadata: {namespace: x, name: from-block}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: "`+tt.cidr+`"}}]}]`)
			m := build(t, snapshot(nil, []corev1.Pod{pod("x", "a").ip("10.0.0.9").obj()}, np), reach.DefaultOptions())
			dst := endpoint(t, m, "x/a")
			v := m.Verdict(reach.IPEndpoint(netip.MustParseAddr(tt.inside)), dst, 80, reach.TCP)
			if !v.Allowed || len(v.Ingress.AllowedBy) != 1 || v.Ingress.AllowedBy[0].Peer != tt.wantPeer {
				t.Errorf("from %s: got %s by %+v, want allowed by peer %q", tt.inside, allowedText(v.Allowed), v.Ingress.AllowedBy, tt.wantPeer)
			}
			if tt.outside != "" {
				if v := m.Verdict(reach.IPEndpoint(netip.MustParseAddr(tt.outside)), dst, 80, reach.TCP); v.Allowed {
					t.Errorf("from %s: got allowed, want denied", tt.outside)
				}
			}
		})
	}
}
