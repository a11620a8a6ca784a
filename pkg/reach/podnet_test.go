package reach_test

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// TestPodWithoutIP: a pod without an IP (a template, a pending pod) is
// somewhere in the pod network. An ipBlock holding all of it matches, one
// holding none of it does not, and one holding part of it makes the
// verdict depend on the pod's IP, in Verdict and in the matrix alike.
func TestPodWithoutIP(t *testing.T) {
	pods := []corev1.Pod{
		pod("x", "a").labels("app=a").ip("10.244.1.9").obj(),
		pod("x", "c").labels("app=c").ip("10.244.200.7").obj(),
		pod("x", "tmpl").labels("app=t").obj(),
	}
	np := policy(t, `
metadata: {namespace: x, name: in}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - {from: [{ipBlock: {cidr: 10.244.0.0/16}}], ports: [{port: 80}]}
  - {from: [{ipBlock: {cidr: 10.244.1.0/24}}], ports: [{port: 81}]}
  - {from: [{ipBlock: {cidr: 192.168.0.0/16}}], ports: [{port: 82}]}
  - {from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.244.0.0/16]}}], ports: [{port: 83}]}
  - {from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.244.5.0/24]}}], ports: [{port: 84}]}
  - {from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 85}]}`)
	tests := []struct {
		name     string
		pods     []corev1.Pod
		podCIDRs []string
		source   string
		network  string
		want     map[int32]string // port: allowed, denied or depends
	}{
		{name: "inferred from the pods' IPs", pods: pods, source: reach.PodNetworkInferred, network: "10.244.0.0/16",
			want: map[int32]string{80: "allowed", 81: "depends", 82: "denied", 83: "denied", 84: "depends", 85: "allowed"}},
		{name: "--pod-cidr", pods: pods, podCIDRs: []string{"10.244.1.0/24", "fd00::/64"}, source: reach.PodNetworkFlag, network: "10.244.1.0/24, fd00::/64",
			want: map[int32]string{80: "allowed", 81: "allowed", 82: "denied", 83: "denied", 84: "allowed", 85: "allowed"}},
		{name: "unknown: no pod has an IP", pods: []corev1.Pod{pod("x", "a").labels("app=a").obj(), pods[2]}, source: reach.PodNetworkUnknown, network: "0.0.0.0/0, ::/0",
			want: map[int32]string{80: "depends", 81: "depends", 82: "depends", 83: "depends", 84: "depends", 85: "allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := reach.DefaultOptions()
			for _, c := range tt.podCIDRs {
				opts.PodCIDRs = append(opts.PodCIDRs, netip.MustParsePrefix(c))
			}
			snap := snapshot([]corev1.Namespace{namespace("x")}, tt.pods, np)
			m := build(t, snap, opts)
			if got := m.PodNetwork(); got.Source != tt.source || got.String() != tt.network {
				t.Errorf("pod network %s (%s), want %s (%s)", got, got.Source, tt.network, tt.source)
			}
			var a, tmpl *corev1.Pod
			for i := range snap.Pods {
				switch snap.Pods[i].Name {
				case "a":
					a = &snap.Pods[i]
				case "tmpl":
					tmpl = &snap.Pods[i]
				}
			}
			mx := m.Matrix(reach.ByPod)
			var dep reach.PortSet
			for _, e := range mx.Depends {
				if mx.Nodes[e.From].Name == "tmpl" && mx.Nodes[e.To].Name == "a" {
					dep = e.Ports
				}
			}
			for port, want := range tt.want {
				v := m.Verdict(reach.PodEndpoint(tmpl), reach.PodEndpoint(a), port, reach.TCP)
				got := "denied"
				switch {
				case v.Allowed:
					got = "allowed"
				case v.Depends && v.Undefined:
					got = "depends"
				}
				if got != want {
					t.Errorf("x/tmpl -> x/a %d: %s (%q), want %s", port, got, v.Ingress.Reason, want)
				}
				if want == "depends" && (!strings.HasPrefix(v.Ingress.Reason, reach.ReasonDepends+": x/tmpl has no IP, and ipBlock ") ||
					!strings.Contains(v.Ingress.Reason, "(x/in spec.ingress[")) {
					t.Errorf("x/tmpl -> x/a %d: reason %q names neither the pod nor the ipBlock", port, v.Ingress.Reason)
				}
				if dep.Contains(reach.TCP, port) != (want == "depends") {
					t.Errorf("matrix Depends x/tmpl -> x/a %v, verdict on %d is %s", dep, port, want)
				}
			}
			found := false
			for _, as := range m.Assumptions() {
				if as.ID == inventory.AssumptionPodNetwork {
					found = strings.Contains(as.Text, tt.network) || tt.source == reach.PodNetworkUnknown && strings.Contains(as.Text, "--pod-cidr is not set")
				}
			}
			if !found {
				t.Errorf("assumptions do not give the pod network: %v", m.Assumptions())
			}
		})
	}
}

// TestPodNetworkFromNodes: Node objects' spec.podCIDRs are the pod network
// when the snapshot has them.
func TestPodNetworkFromNodes(t *testing.T) {
	snap := snapshot(nil, []corev1.Pod{pod("x", "a").ip("10.244.1.9").obj()})
	snap.NodesKnown = true
	snap.Nodes = []corev1.Node{{Spec: corev1.NodeSpec{PodCIDR: "10.244.0.0/24", PodCIDRs: []string{"10.244.0.0/24", "fd00:10:244::/64"}}},
		{Spec: corev1.NodeSpec{PodCIDR: "10.244.1.0/24"}}}
	m := build(t, snap, reach.DefaultOptions())
	if got := m.PodNetwork(); got.Source != reach.PodNetworkNodes || got.String() != "10.244.0.0/24, 10.244.1.0/24, fd00:10:244::/64" {
		t.Errorf("pod network %s (%s), want the nodes' podCIDRs", got, got.Source)
	}
}
