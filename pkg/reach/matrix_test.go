package reach_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// access renders CIDRPorts as "cidr cidr=ports; ..." for comparison.
func access(entries []reach.CIDRPorts) string {
	var out []string
	for _, e := range entries {
		var cidrs []string
		for _, c := range e.CIDRs {
			cidrs = append(cidrs, c.String())
		}
		out = append(out, strings.Join(cidrs, " ")+"="+e.Ports.String())
	}
	return strings.Join(out, "; ")
}

func edges(mx *reach.Matrix) string {
	var out []string
	for _, e := range mx.Edges {
		out = append(out, fmt.Sprintf("%s->%s=%s", mx.Nodes[e.From].Name, mx.Nodes[e.To].Name, e.Ports))
	}
	return strings.Join(out, " ")
}

func TestMatrixExternal(t *testing.T) {
	pods := []corev1.Pod{pod("x", "a").labels("app=a").ip("10.0.0.1").obj()}
	tests := []struct {
		name                    string
		policies                []string
		wantEgress, wantIngress string
	}{
		{name: "no policy: one entry for everything",
			wantEgress: "0.0.0.0/0 ::/0=all", wantIngress: "0.0.0.0/0 ::/0=all"},
		{name: "egress to a CIDR with except, on one port",
			policies: []string{`
metadata: {namespace: x, name: out}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 443}]}]`},
			wantEgress:  "10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9=TCP:443",
			wantIngress: "0.0.0.0/0 ::/0=all"},
		{name: "ranges with different ports, both families",
			policies: []string{`
metadata: {namespace: x, name: in}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 192.168.0.0/16}}, {ipBlock: {cidr: "fd00::/8"}}]
    ports: [{port: 22}]
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 443}]`},
			wantEgress: "0.0.0.0/0 ::/0=all",
			wantIngress: "0.0.0.0/1 128.0.0.0/2 192.0.0.0/9 192.128.0.0/11 192.160.0.0/13 192.169.0.0/16 192.170.0.0/15 192.172.0.0/14 192.176.0.0/12 192.192.0.0/10 193.0.0.0/8 194.0.0.0/7 196.0.0.0/6 200.0.0.0/5 208.0.0.0/4 224.0.0.0/3=TCP:443; " +
				"192.168.0.0/16=TCP:22,443; fd00::/8=TCP:22"},
		{name: "named ports match no address",
			policies: []string{`
metadata: {namespace: x, name: named}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: http}]}]`},
			wantEgress: "", wantIngress: "0.0.0.0/0 ::/0=all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pols []networkingv1.NetworkPolicy
			for _, p := range tt.policies {
				pols = append(pols, policy(t, p))
			}
			mx := build(t, snapshot(nil, pods, pols...), reach.DefaultOptions()).Matrix(reach.ByPod)
			if got := access(mx.External[0].Egress); got != tt.wantEgress {
				t.Errorf("egress:\ngot  %s\nwant %s", got, tt.wantEgress)
			}
			if got := access(mx.External[0].Ingress); got != tt.wantIngress {
				t.Errorf("ingress:\ngot  %s\nwant %s", got, tt.wantIngress)
			}
		})
	}
}

func TestMatrixLevels(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "web-1").labels("app=web").replicaOf("web").ip("10.0.0.1").obj(),
		pod("x", "web-0").labels("app=web").replicaOf("web").ip("10.0.0.2").obj(),
		pod("x", "db").labels("app=db").ip("10.0.0.3").obj(),
		pod("x", "agent").labels("app=agent").ip("192.168.0.1").hostNetwork().obj(),
	}
	// db accepts web on 5432; web accepts nothing, so its two replicas may
	// not talk to each other (each still reaches itself, which no edge
	// shows). The hostNetwork agent is matched by no podSelector, so it
	// reaches neither, while both reach it.
	snap := snapshot(nil, pods,
		policy(t, `
metadata: {namespace: x, name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]`),
		policy(t, `
metadata: {namespace: x, name: web}
spec: {podSelector: {matchLabels: {app: web}}}`))
	m := build(t, snap, reach.DefaultOptions())

	tests := []struct {
		name      string
		level     reach.Level
		wantNodes string
		wantEdges string
	}{
		{"by pod", reach.ByPod,
			"x/Pod/agent[agent] hostNetwork, x/Pod/db[db], x/Pod/web-0[web-0], x/Pod/web-1[web-1]",
			"db->agent=all web-0->agent=all web-0->db=TCP:5432 web-1->agent=all web-1->db=TCP:5432"},
		{"by workload", reach.ByWorkload,
			"x/Deployment/web[web-0 web-1], x/Pod/agent[agent] hostNetwork, x/Pod/db[db]",
			"web->agent=all web->db=TCP:5432 db->agent=all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mx := m.Matrix(tt.level)
			var nodes []string
			for _, n := range mx.Nodes {
				s := fmt.Sprintf("%s/%s/%s%v", n.Namespace, n.Kind, n.Name, n.Pods)
				if n.HostNetwork {
					s += " hostNetwork"
				}
				nodes = append(nodes, s)
			}
			if got := strings.Join(nodes, ", "); got != tt.wantNodes {
				t.Errorf("nodes:\ngot  %s\nwant %s", got, tt.wantNodes)
			}
			if got := edges(mx); got != tt.wantEdges {
				t.Errorf("edges:\ngot  %s\nwant %s", got, tt.wantEdges)
			}
			if mx.Level != tt.level || len(mx.External) != len(mx.Nodes) {
				t.Errorf("got level %v and %d external entries, want %v and %d", mx.Level, len(mx.External), tt.level, len(mx.Nodes))
			}
		})
	}
}

// TestMatrixWorkloadUnion: a workload-level edge holds the ports on which at
// least one pod of the source reaches at least one pod of the destination.
func TestMatrixWorkloadUnion(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "api-0").labels("app=api", "canary=true").replicaOf("api").obj(),
		pod("x", "api-1").labels("app=api").replicaOf("api").obj(),
		pod("x", "db").labels("app=db").obj(),
	}
	snap := snapshot(nil, pods, policy(t, `
metadata: {namespace: x, name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
  - from: [{podSelector: {matchLabels: {canary: "true"}}}]
    ports: [{port: 9000}]`))
	mx := build(t, snap, reach.DefaultOptions()).Matrix(reach.ByWorkload)
	if got, want := edges(mx), "api->api=all api->db=TCP:5432,9000 db->api=all"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := mx.Stats, (reach.Stats{Pods: 3, Classes: 3, ClassPairs: 6, PodPairs: 6, AddressClasses: 1}); got != want {
		t.Errorf("stats: got %+v, want %+v", got, want)
	}
}

func TestMatrixJSON(t *testing.T) {
	snap := snapshot(nil, []corev1.Pod{pod("x", "a").ip("10.0.0.1").obj(), pod("x", "b").ip("10.0.0.2").obj()})
	mx := build(t, snap, reach.DefaultOptions()).Matrix(reach.ByPod)
	out, err := json.Marshal(mx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"level":"pod"`, `"options":{"ipBlockMatchesPods":true}`, `"edges":[{"from":0,"to":1,"ports":{"TCP":["1-65535"],"UDP":["1-65535"],"SCTP":["1-65535"]}}`,
		`"external":[{"egress":[{"cidrs":["0.0.0.0/0","::/0"],"ports":{"TCP":["1-65535"],"UDP":["1-65535"],"SCTP":["1-65535"]}}]`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("got %s, want it to contain %s", out, want)
		}
	}
	var back reach.Matrix
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if back.Level != reach.ByPod || !back.Edges[0].Ports.IsAll() {
		t.Errorf("round trip: got level %v, ports %v", back.Level, back.Edges[0].Ports)
	}
}

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want reach.Level
		ok   bool
	}{{"workload", reach.ByWorkload, true}, {"pod", reach.ByPod, true}, {"Pods", reach.ByPod, true}, {"node", 0, false}} {
		got, err := reach.ParseLevel(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLevel(%q): got %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
