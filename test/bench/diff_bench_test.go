package bench

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// pullRequest is the proposed state of a sizeable policy change: every
// 20th policy deleted and a default-deny added to every 10th namespace.
func pullRequest(base *inventory.Snapshot) *inventory.Snapshot {
	files := &inventory.Snapshot{}
	for i, ns := range base.Namespaces {
		if i%10 == 0 {
			files.Policies = append(files.Policies, networkingv1.NetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "pr-default-deny"},
				Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
			})
		}
	}
	del := &inventory.Snapshot{Namespaces: []corev1.Namespace{}}
	for i := range base.Policies {
		if i%20 == 0 {
			del.Policies = append(del.Policies, base.Policies[i])
		}
	}
	return diff.Overlay(base, files, diff.OverlayOptions{Delete: del})
}

// BenchmarkDiff compares two 10,000-pod states, a cluster and the same
// after a pull request (pullRequest): both engines built and the diff
// computed, findings included, per op. It also times two audits (build and
// audit.Run, twice) and reports the ratio as diff/two-audits: the diff must
// cost no more than two audits, ratio <= 1.
func BenchmarkDiff(b *testing.B) {
	cfg := gen.Config{Pods: 10000, Seed: 1}
	b.Run(fmt.Sprintf("pods=%dk", cfg.Pods/1000), func(b *testing.B) {
		base := cluster(b, cfg)
		proposed := pullRequest(base)
		start := time.Now()
		const rounds = 3
		for range rounds {
			for _, s := range []*inventory.Snapshot{base, proposed} {
				if _, err := audit.Run(s, build(b, s), audit.DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
		}
		twoAudits := time.Since(start) / rounds

		b.ReportAllocs()
		peak := startPeakHeap()
		var d *diff.PolicyDiff
		ops := 0
		start = time.Now()
		for b.Loop() {
			var err error
			d, err = diff.Compute(diff.State{Snap: base, Model: build(b, base)}, diff.State{Snap: proposed, Model: build(b, proposed)},
				diff.Options{Level: reach.ByWorkload, Audit: audit.DefaultConfig()})
			if err != nil {
				b.Fatal(err)
			}
			ops++
		}
		perDiff := time.Since(start) / time.Duration(ops)
		peak.report(b)
		b.ReportMetric(float64(len(d.Changes)), "changes")
		b.ReportMetric(float64(d.Summary.NewFindings+d.Summary.ResolvedFindings), "findings-changed")
		b.ReportMetric(twoAudits.Seconds()*1000, "two-audits-ms")
		b.ReportMetric(perDiff.Seconds()/twoAudits.Seconds(), "diff/two-audits")
	})
}
