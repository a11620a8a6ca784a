package reach_test

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

func podNames(pods []*corev1.Pod) []string {
	out := []string{}
	for _, p := range pods {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

func TestQueryPeersAndNamedPorts(t *testing.T) {
	snap := snapshot(
		[]corev1.Namespace{namespace("x", "team=x"), namespace("y", "team=ops")},
		[]corev1.Pod{
			pod("x", "a").labels("app=a").ip("10.0.0.1").port("http", corev1.ProtocolTCP, 8080).obj(),
			pod("x", "b").labels("app=b").ip("10.0.0.2").initPort("metrics", corev1.ProtocolTCP, 9090, false).obj(),
			pod("y", "a").labels("app=a").ip("10.0.1.1").initPort("metrics", corev1.ProtocolTCP, 9090, true).obj(),
			pod("y", "h").labels("app=a").ip("10.0.1.9").hostNetwork().obj(),
		},
		policy(t, `metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}, {namespaceSelector: {matchLabels: {team: ops}}}, {ipBlock: {cidr: 10.0.1.0/24}}]
    ports: [{port: http}, {port: metrics}, {port: http, protocol: UDP}]
  egress:
  - ports: [{port: metrics}]
`),
		policy(t, `metadata: {name: ignored, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}]}]
`),
	)
	m := build(t, snap, reach.DefaultOptions())
	q := m.Query()
	ref := reach.NetworkPolicyRef("x", "p")

	for _, tt := range []struct {
		peer      int
		pods, nss []string
	}{
		{0, []string{"x/a"}, []string{"x"}},
		{1, []string{"y/a"}, []string{"y"}}, // never the hostNetwork pod
		{2, []string{"y/a", "y/h"}, nil},    // addresses see pod IPs, host ones too
	} {
		if got := podNames(q.PeerPods(ref, reach.Ingress, 0, tt.peer)); !reflect.DeepEqual(got, tt.pods) {
			t.Errorf("peer %d: got pods %v, want %v", tt.peer, got, tt.pods)
		}
		if got := q.PeerNamespaces(ref, reach.Ingress, 0, tt.peer); !reflect.DeepEqual(got, tt.nss) {
			t.Errorf("peer %d: got namespaces %v, want %v", tt.peer, got, tt.nss)
		}
	}
	// A rule the API ignores is answered all the same.
	if got := podNames(q.PeerPods(reach.NetworkPolicyRef("x", "ignored"), reach.Egress, 0, 0)); !reflect.DeepEqual(got, []string{"x/a", "y/a"}) {
		t.Errorf("ignored rule: got pods %v, want x/a and y/a", got)
	}

	for _, tt := range []struct {
		dir  reach.Dir
		port int
		want reach.NamedPortUse
	}{
		{reach.Ingress, 0, reach.NamedPortUse{Destinations: 2, Resolved: 1}},
		// only a plain init container of x/b declares it: nothing resolves
		{reach.Ingress, 1, reach.NamedPortUse{Destinations: 2}},
		{reach.Ingress, 2, reach.NamedPortUse{Destinations: 2, OtherProtocol: reach.TCP}},
		// egress without peers: every pod; the sidecar of y/a resolves
		{reach.Egress, 0, reach.NamedPortUse{Destinations: 4, Resolved: 1}},
	} {
		got, ok := q.NamedPort(ref, tt.dir, 0, tt.port)
		if !ok || got != tt.want {
			t.Errorf("%s port %d: got %+v, %v; want %+v", tt.dir, tt.port, got, ok, tt.want)
		}
	}
	if _, ok := q.NamedPort(ref, reach.Ingress, 0, 5); ok {
		t.Error("a port entry the rule lacks: got ok")
	}

	classes := q.Classes()
	for _, p := range snap.Pods {
		c := q.ClassOf(p.Namespace, p.Name)
		if c < 0 || (len(classes[c].IsolatedBy[reach.Ingress]) > 0) != (p.Namespace == "x") {
			t.Errorf("%s/%s: class %d, isolated by %v", p.Namespace, p.Name, c, classes[c].IsolatedBy)
		}
	}
}

// TestNamedPortMatchesReference: NamedPort, which decides once per class,
// counts the destinations and resolutions the reference evaluator finds pod
// by pod, on random snapshots; asking twice (memoised) answers alike.
func TestNamedPortMatchesReference(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	entries := 0
	for i := 0; i < n; i++ {
		seed := *flagSeed + uint64(i)
		snap := reachtest.GenerateCase(reachtest.Seeded(seed)).Snapshot
		for _, opts := range []reach.Options{{IPBlockMatchesPods: true}, {IPBlockMatchesPods: false}} {
			m, err := reach.Build(snap, opts)
			if err != nil {
				t.Fatal(err)
			}
			q := m.Query()
			o := refOpts(opts)
			byRef := map[reach.PolicyRef]*networkingv1.NetworkPolicy{}
			for k := range snap.Policies {
				np := &snap.Policies[k]
				byRef[reach.NetworkPolicyRef(np.Namespace, np.Name)] = np
			}
			for _, pol := range m.Policies() {
				np := byRef[pol.Ref]
				if np == nil {
					continue
				}
				for d, rules := range pol.Rules {
					for _, r := range rules {
						var peers []networkingv1.NetworkPolicyPeer
						if reach.Dir(d) == reach.Ingress {
							peers = np.Spec.Ingress[r.Index].From
						} else {
							peers = np.Spec.Egress[r.Index].To
						}
						for pi, p := range r.Ports {
							if p.Name == "" {
								continue
							}
							entries++
							var want reach.NamedPortUse
							others := map[reach.Protocol]bool{}
							for k := range snap.Pods {
								pod := &snap.Pods[k]
								var dest bool
								if reach.Dir(d) == reach.Ingress {
									dest = !pod.Spec.HostNetwork && pod.Namespace == np.Namespace && refSelectorMatches(&np.Spec.PodSelector, pod.Labels)
								} else {
									dest = refPeersMatch(snap, o, np, peers, refEnd{pod: pod}) == matchYes
								}
								if !dest {
									continue
								}
								want.Destinations++
								if refNamedPort(refEnd{pod: pod}, p.Name, string(p.Protocol)) != 0 {
									want.Resolved++
								}
								// The name a pod declares with another protocol
								// counts even on a hostNetwork pod, where it
								// resolves to nothing.
								declared := *pod
								declared.Spec.HostNetwork = false
								for _, proto := range []reach.Protocol{reach.TCP, reach.UDP, reach.SCTP} {
									if proto != p.Protocol && refNamedPort(refEnd{pod: &declared}, p.Name, string(proto)) != 0 {
										others[proto] = true
									}
								}
							}
							got, ok := q.NamedPort(pol.Ref, reach.Dir(d), r.Index, pi)
							again, _ := q.NamedPort(pol.Ref, reach.Dir(d), r.Index, pi)
							if !ok || got != again || got.Destinations != want.Destinations || got.Resolved != want.Resolved ||
								(got.OtherProtocol != "") != (want.Resolved == 0 && len(others) > 0) || got.OtherProtocol != "" && !others[got.OtherProtocol] {
								t.Fatalf("seed %d, %+v: %s %s port %q/%s: got %+v (again %+v), want %+v with another protocol among %v\n%s",
									seed, opts, pol.Ref, r.Field, p.Name, p.Protocol, got, again, want, others, reachtest.DumpSnapshot(snap))
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d named port entries checked", entries)
}
