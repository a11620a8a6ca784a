package bench

import (
	"fmt"
	"syscall"
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
// computed, findings included. Each op also runs two audits of the same
// states (build and audit.Run, twice), interleaved with the diff so that
// both see the same machine, and the process CPU time (user+sys, GC
// included) of each is summed: diff/two-audits is their ratio, and the diff
// must cost no more than two audits, ratio <= 1. CPU time, not wall time,
// so that the ratio holds on a busy machine; ns/op covers both halves.
func BenchmarkDiff(b *testing.B) {
	cfg := gen.Config{Pods: 10000, Seed: 1}
	b.Run(fmt.Sprintf("pods=%dk", cfg.Pods/1000), func(b *testing.B) {
		base := cluster(b, cfg)
		proposed := pullRequest(base)
		b.ReportAllocs()
		peak := startPeakHeap()
		var d *diff.PolicyDiff
		var auditsCPU, diffCPU time.Duration
		ops := 0
		for b.Loop() {
			t0 := cpuTime(b)
			for _, s := range []*inventory.Snapshot{base, proposed} {
				if _, err := audit.Run(s, build(b, s), audit.DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
			t1 := cpuTime(b)
			var err error
			d, err = diff.Compute(diff.State{Snap: base, Model: build(b, base)}, diff.State{Snap: proposed, Model: build(b, proposed)},
				diff.Options{Level: reach.ByWorkload, Audit: audit.DefaultConfig()})
			if err != nil {
				b.Fatal(err)
			}
			t2 := cpuTime(b)
			auditsCPU += t1 - t0
			diffCPU += t2 - t1
			ops++
		}
		peak.report(b)
		b.ReportMetric(float64(len(d.Changes)), "changes")
		b.ReportMetric(float64(d.Summary.NewFindings+d.Summary.ResolvedFindings), "findings-changed")
		b.ReportMetric(auditsCPU.Seconds()*1000/float64(ops), "two-audits-cpu-ms")
		b.ReportMetric(diffCPU.Seconds()*1000/float64(ops), "diff-cpu-ms")
		b.ReportMetric(diffCPU.Seconds()/auditsCPU.Seconds(), "diff/two-audits")
	})
}

// cpuTime is the process's user+sys CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
