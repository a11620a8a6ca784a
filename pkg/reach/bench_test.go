package reach_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// syntheticCluster builds a cluster shaped like real ones: namespaces of
// Deployments with replicas, a default deny in every namespace, DNS egress,
// same-namespace ingress on a named port, one frontend->backend rule, an
// internet egress rule with an ipBlock, and scraping from a monitoring
// namespace. Replicas and unreferenced workloads share classes, so classes
// stay far fewer than pods.
func syntheticCluster(tb testing.TB, namespaces, workloads, replicas int, withPolicies bool) *inventory.Snapshot {
	var nss []corev1.Namespace
	var pods []corev1.Pod
	var pols []networkingv1.NetworkPolicy
	nss = append(nss, namespace("kube-system"), namespace("monitoring", "purpose=monitoring"))
	for n := 0; n < namespaces; n++ {
		ns := fmt.Sprintf("team-%03d", n)
		nss = append(nss, namespace(ns, "tier=apps"))
		for w := 0; w < workloads; w++ {
			for r := 0; r < replicas; r++ {
				i := (n*workloads+w)*replicas + r
				pods = append(pods, pod(ns, fmt.Sprintf("app-%02d-%d", w, r)).
					labels(fmt.Sprintf("app=app-%02d", w)).replicaOf(fmt.Sprintf("app-%02d", w)).
					ip(fmt.Sprintf("10.%d.%d.%d", 1+i/65536, i/256%256, i%256), fmt.Sprintf("fd00::%x", i+1)).
					port("http", corev1.ProtocolTCP, int32(8080+w%2)).port("metrics", corev1.ProtocolTCP, 9090).obj())
			}
		}
		if !withPolicies {
			continue
		}
		for _, manifest := range []string{`
metadata: {name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`, `
metadata: {name: allow-dns}
spec:
  podSelector: {}
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`, `
metadata: {name: allow-same-namespace}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}], ports: [{port: http}]}]
  egress: [{to: [{podSelector: {}}]}]`, `
metadata: {name: frontend-to-backend}
spec:
  podSelector: {matchLabels: {app: app-01}}
  ingress: [{from: [{podSelector: {matchLabels: {app: app-00}}}], ports: [{port: 8080}]}]`, `
metadata: {name: internet-egress}
spec:
  podSelector: {matchLabels: {app: app-02}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 192.168.0.0/16]}}], ports: [{port: 443}]}]`, `
metadata: {name: allow-scraping}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {purpose: monitoring}}}]
    ports: [{port: metrics}]`} {
			np := policy(tb, manifest)
			np.Namespace = ns
			pols = append(pols, np)
		}
	}
	return snapshot(nss, pods, pols...)
}

func BenchmarkMatrix(b *testing.B) {
	for _, size := range []struct {
		name                           string
		namespaces, workloads, replica int
		policies                       bool
		level                          reach.Level
	}{
		{"pods=1000", 10, 10, 10, true, reach.ByWorkload},
		{"pods=10000", 50, 20, 10, true, reach.ByWorkload},
		// Without policies every workload reaches every other: the matrix
		// is as large as it gets, a million edges.
		{"pods=10000/no-policies", 50, 20, 10, false, reach.ByWorkload},
		// 10,000 nodes, two million edges.
		{"pods=10000/by-pod", 50, 20, 10, true, reach.ByPod},
		// The same cluster with 50 Admin and 20 Baseline
		// ClusterNetworkPolicies on top (issue: within 1.5x of pods=10000).
		{"pods=10000/tiers", 50, 20, 10, true, reach.ByWorkload},
	} {
		b.Run(size.name, func(b *testing.B) {
			snap := syntheticCluster(b, size.namespaces, size.workloads, size.replica, size.policies)
			if strings.HasSuffix(size.name, "/tiers") {
				snap.ClusterNetworkPolicies = syntheticTiers(b, 50, 20, size.namespaces)
			}
			var mx *reach.Matrix
			b.ResetTimer()
			for b.Loop() {
				m, err := reach.Build(snap, reach.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				mx = m.Matrix(size.level)
			}
			b.ReportMetric(float64(mx.Stats.Pods), "pods")
			b.ReportMetric(float64(mx.Stats.Classes), "classes")
			b.ReportMetric(float64(mx.Stats.ClassPairs), "class-pairs")
			b.ReportMetric(float64(mx.Stats.PodPairs), "pod-pairs")
			b.ReportMetric(float64(len(mx.Nodes)), "nodes")
			b.ReportMetric(float64(len(mx.Edges)), "edges")
		})
	}
}

// syntheticTiers makes Admin and Baseline ClusterNetworkPolicies shaped like
// an administrator's: per-namespace guards that deny one other namespace,
// pass monitoring on to NetworkPolicy, accept DNS and deny the internet;
// and Baseline defaults per namespace.
func syntheticTiers(tb testing.TB, admin, baseline, namespaces int) []npav1beta1.ClusterNetworkPolicy {
	var out []npav1beta1.ClusterNetworkPolicy
	for i := 0; i < admin; i++ {
		ns := fmt.Sprintf("team-%03d", i%namespaces)
		other := fmt.Sprintf("team-%03d", (i+7)%namespaces)
		out = append(out, cnp(tb, fmt.Sprintf(`
metadata: {name: admin-%02d}
spec:
  tier: Admin
  priority: %d
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: %s}}}
  ingress:
  - action: Pass
    from: [{namespaces: {matchLabels: {purpose: monitoring}}}]
  - action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: %s}}}]
    protocols: [{tcp: {destinationPort: {range: {start: 8000, end: 8100}}}}]
  egress:
  - action: Accept
    to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {number: 53}}}]
  - action: Deny
    to: [{networks: ["0.0.0.0/0"]}]
    protocols: [{tcp: {destinationPort: {number: 25}}}]
`, i, i, ns, other)))
	}
	for i := 0; i < baseline; i++ {
		ns := fmt.Sprintf("team-%03d", i%namespaces)
		out = append(out, cnp(tb, fmt.Sprintf(`
metadata: {name: baseline-%02d}
spec:
  tier: Baseline
  priority: %d
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: %s}}}
  ingress:
  - action: Accept
    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: app-00}}}}]
  - action: Deny
    from: [{namespaces: {}}]
`, i, i, ns)))
	}
	return out
}
