package reach_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// explainPods is the small cluster the explanation tests share.
func explainPods() ([]corev1.Namespace, []corev1.Pod) {
	return []corev1.Namespace{namespace("x", "ns=x"), namespace("y", "ns=y")},
		[]corev1.Pod{
			pod("x", "web").labels("app=web").ip("10.0.1.1", "fd00::1:1").port("http", corev1.ProtocolTCP, 8080).obj(),
			pod("x", "db").labels("app=db").ip("10.0.1.2").obj(),
			pod("y", "client").labels("app=client").ip("10.0.2.1").obj(),
			pod("y", "node-agent").labels("app=agent").ip("192.168.0.10").hostNetwork().obj(),
		}
}

// rules renders AllowedBy as "ns/name#rule peer=... port=...", one per match.
func rules(d reach.Direction) string {
	var out []string
	for _, r := range d.AllowedBy {
		out = append(out, fmt.Sprintf("%s#%d peer=%q port=%q", r.Policy, r.Rule, r.Peer, r.Port))
	}
	return strings.Join(out, "; ")
}

func TestVerdictExplains(t *testing.T) {
	tests := []struct {
		name     string
		policies []string
		from, to string
		port     int32
		proto    reach.Protocol
		// side is the Direction under test: "egress" or "ingress".
		side                 string
		wantAllowed          bool
		wantReason           string
		wantIsolatedBy       string
		wantRules            string
		wantVerdictEvaluated bool
	}{
		{name: "AND peer, named port resolved on the destination",
			policies: []string{`
metadata: {namespace: x, name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {app: client}}}], ports: [{port: http}]}]`},
			from: "y/client", to: "x/web", port: 8080, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonAllowed, wantIsolatedBy: "x/web",
			wantRules: `x/web#0 peer="namespaceSelector ns=y, podSelector app=client" port="http(=8080)/TCP"`},
		{name: "named port elsewhere does not match",
			policies: []string{`
metadata: {namespace: x, name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]`},
			from: "y/client", to: "x/web", port: 80, proto: reach.TCP, side: "ingress",
			wantReason: reach.ReasonNoRule, wantIsolatedBy: "x/web"},
		{name: "every policy and rule that allows is listed, sorted",
			policies: []string{`
metadata: {namespace: x, name: b-ports}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 443}]}, {ports: [{port: 80, endPort: 90}, {protocol: UDP}, {port: 85}]}]`, `
metadata: {namespace: x, name: a-any}
spec:
  podSelector: {}
  ingress: [{}]`},
			from: "y/client", to: "x/db", port: 85, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonAllowed, wantIsolatedBy: "x/a-any, x/b-ports",
			wantRules: `x/a-any#0 peer="any peer" port="all ports"; x/b-ports#1 peer="any peer" port="80-90/TCP, 85/TCP"`},
		{name: "protocol-only port",
			policies: []string{`
metadata: {namespace: x, name: udp}
spec:
  podSelector: {}
  ingress: [{ports: [{protocol: UDP}]}]`},
			from: "y/client", to: "x/db", port: 5353, proto: reach.UDP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonAllowed, wantIsolatedBy: "x/udp",
			wantRules: `x/udp#0 peer="any peer" port="all/UDP"`},
		{name: "egress ipBlock with except, matched on the second pod IP",
			policies: []string{`
metadata: {namespace: "y", name: out}
spec:
  podSelector: {matchLabels: {app: client}}
  egress: [{to: [{ipBlock: {cidr: "fd00::/16", except: ["fd00::2:0/112"]}}, {podSelector: {}}]}]`},
			from: "y/client", to: "x/web", port: 80, proto: reach.TCP, side: "egress",
			wantAllowed: true, wantReason: reach.ReasonAllowed, wantIsolatedBy: "y/out",
			wantRules: `y/out#0 peer="ipBlock fd00::/16 except fd00::2:0/112" port="all ports"`},
		{name: "several matching peers of one rule",
			policies: []string{`
metadata: {namespace: x, name: two-peers}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]`},
			from: "y/client", to: "x/db", port: 80, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonAllowed, wantIsolatedBy: "x/two-peers",
			wantRules: `x/two-peers#0 peer="namespaceSelector {}; ipBlock 10.0.0.0/8" port="all ports"`},
		{name: "not isolated",
			from: "y/client", to: "x/db", port: 80, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonNotIsolated},
		{name: "policyTypes Egress leaves ingress open",
			policies: []string{`
metadata: {namespace: x, name: egress-only}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: nobody}}}]}]`},
			from: "y/client", to: "x/db", port: 80, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonNotIsolated},
		{name: "hostNetwork destination is not evaluated",
			policies: []string{`
metadata: {namespace: "y", name: deny}
spec: {podSelector: {}}`},
			from: "x/db", to: "y/node-agent", port: 80, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonHostNetwork},
		{name: "hostNetwork source is not selected by podSelector {}",
			policies: []string{`
metadata: {namespace: x, name: same-ns-and-y}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]`},
			from: "y/node-agent", to: "x/db", port: 80, proto: reach.TCP, side: "ingress",
			wantReason: reach.ReasonNoRule, wantIsolatedBy: "x/same-ns-and-y"},
		{name: "external source",
			from: "203.0.113.1", to: "x/db", port: 80, proto: reach.TCP, side: "egress",
			wantAllowed: true, wantReason: reach.ReasonExternal},
		{name: "self",
			policies: []string{`
metadata: {namespace: x, name: deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`},
			from: "x/db", to: "x/db", port: 80, proto: reach.TCP, side: "ingress",
			wantAllowed: true, wantReason: reach.ReasonSelf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nss, pods := explainPods()
			var pols []networkingv1.NetworkPolicy
			for _, p := range tt.policies {
				pols = append(pols, policy(t, p))
			}
			m := build(t, snapshot(nss, pods, pols...), reach.DefaultOptions())
			v := m.Verdict(endpoint(t, m, tt.from), endpoint(t, m, tt.to), tt.port, tt.proto)
			d := v.Ingress
			if tt.side == "egress" {
				d = v.Egress
			}
			var isolatedBy []string
			for _, r := range d.IsolatedBy {
				isolatedBy = append(isolatedBy, r.String())
			}
			if d.Allowed != tt.wantAllowed || d.Reason != tt.wantReason || strings.Join(isolatedBy, ", ") != tt.wantIsolatedBy || rules(d) != tt.wantRules {
				t.Errorf("%s side:\ngot  %s, %q, isolated by %q, rules %q\nwant %s, %q, isolated by %q, rules %q",
					tt.side, allowedText(d.Allowed), d.Reason, strings.Join(isolatedBy, ", "), rules(d),
					allowedText(tt.wantAllowed), tt.wantReason, tt.wantIsolatedBy, tt.wantRules)
			}
			if v.From != tt.from || v.To != tt.to || v.Port != tt.port || v.Protocol != tt.proto {
				t.Errorf("got verdict for %s -> %s %d/%s, want %s -> %s %d/%s", v.From, v.To, v.Port, v.Protocol, tt.from, tt.to, tt.port, tt.proto)
			}
		})
	}
}

func TestVerdictNamespaces(t *testing.T) {
	// The snapshot lacks namespace "team" (namespaces could not be listed):
	// it still carries kubernetes.io/metadata.name.
	pods := []corev1.Pod{
		pod("team", "api").labels("app=api").ip("10.0.3.1").obj(),
		pod("x", "web").labels("app=web").ip("10.0.1.1").obj(),
	}
	np := policy(t, `
metadata: {namespace: x, name: from-team}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team}}}]}]`)
	m := build(t, snapshot([]corev1.Namespace{namespace("x")}, pods, np), reach.DefaultOptions())
	if v := m.Verdict(endpoint(t, m, "team/api"), endpoint(t, m, "x/web"), 80, reach.TCP); !v.Allowed {
		t.Errorf("team/api -> x/web: got denied (%s), want allowed", v.Ingress.Reason)
	}

	// A pod the snapshot lacks is judged on its own labels.
	stranger := pod("team", "new").labels("app=new").ip("10.0.3.9").obj()
	if v := m.Verdict(reach.PodEndpoint(&stranger), endpoint(t, m, "x/web"), 80, reach.TCP); !v.Allowed || v.From != "team/new" {
		t.Errorf("team/new -> x/web: got %s from %q, want allowed from team/new", allowedText(v.Allowed), v.From)
	}
}

// TestVerdictOptions shows the one implementation-defined choice.
func TestVerdictOptions(t *testing.T) {
	nss, pods := explainPods()
	np := policy(t, `
metadata: {namespace: x, name: from-cidr}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.2.0/24}}, {ipBlock: {cidr: 192.168.0.0/24}}]}]`)
	snap := snapshot(nss, pods, np)
	tests := []struct {
		name      string
		matchPods bool
		from      string
		want      bool
	}{
		{"pod IP matched (Calico, Antrea)", true, "y/client", true},
		{"pod IP not matched (Cilium)", false, "y/client", false},
		{"hostNetwork pod's node IP always matched", false, "y/node-agent", true},
		{"outside address always matched", false, "10.0.2.77", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(t, snap, reach.Options{IPBlockMatchesPods: tt.matchPods})
			if v := m.Verdict(endpoint(t, m, tt.from), endpoint(t, m, "x/web"), 80, reach.TCP); v.Allowed != tt.want {
				t.Errorf("%s -> x/web: got %s, want %s", tt.from, allowedText(v.Allowed), allowedText(tt.want))
			}
		})
	}
	if !reach.DefaultOptions().IPBlockMatchesPods {
		t.Errorf("DefaultOptions: got IPBlockMatchesPods false, want true")
	}
}

func TestEndpointString(t *testing.T) {
	p := pod("x", "a").obj()
	for _, tt := range []struct {
		e    reach.Endpoint
		want string
	}{
		{reach.PodEndpoint(&p), "x/a"},
		{reach.IPEndpoint(netip.MustParseAddr("fd00::1")), "fd00::1"},
		{reach.Endpoint{}, "<no endpoint>"},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
