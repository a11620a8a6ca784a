package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// diffPods is the size of the two states the diff is timed on.
const diffPods = 10000

// diff times `kubectl-netaudit diff --base A -f B` against the two audits a
// user would otherwise run and compare by eye (`kubectl-netaudit -f A` and
// `-f B`), end to end: decoding, engines, findings and printing. B is A
// after a pull request, large (a default-deny added to every 10th
// namespace and every 20th policy deleted: most namespaces' files change)
// or small (3 namespaces gain a default-deny, 2 policies are deleted). The
// target: the diff costs no more CPU than the two audits together.
func (r *runner) diff() error {
	progress("diff of two %d-pod states", diffPods)
	base, snap, err := r.writeCluster(gen.Config{Pods: diffPods, Seed: 1}, gen.YAML)
	if err != nil {
		return err
	}
	run := func(args ...string) (usage, error) {
		return best(r.o.runs, func() (usage, error) { return measure(r.o.workDir, "", r.o.bin, args...) })
	}
	a, err := run("-f", base)
	if err != nil {
		return err
	}
	rows := [][]string{{"-", "audit -f A", a.String(), "-"}}
	for _, pr := range []struct {
		name                string
		denyEvery, delEvery int
	}{{"large", 10, 20}, {"small", 70, 1000}} {
		proposed := filepath.Join(r.o.workDir, fmt.Sprintf("pods-%d-%s-pull-request-yaml", diffPods, pr.name))
		if _, err := gen.WriteManifests(pullRequest(snap, pr.denyEvery, pr.delEvery), proposed, gen.YAML); err != nil {
			return err
		}
		b, err := run("-f", proposed)
		if err != nil {
			return err
		}
		d, err := run("diff", "--base", base, "-f", proposed)
		if err != nil {
			return err
		}
		two := usage{wall: a.wall + b.wall, cpu: a.cpu + b.cpu, rss: max(a.rss, b.rss)}
		rows = append(rows,
			[]string{pr.name, "audit -f B", b.String(), "-"},
			[]string{pr.name, "the two audits", two.String(), "-"},
			[]string{pr.name, "diff --base A -f B", d.String(), fmt.Sprintf("CPU <= the two audits (%.2fx): %s", d.cpu.Seconds()/two.cpu.Seconds(), verdict(d.cpu <= two.cpu))})
	}
	r.table("Diff of two "+strconv.Itoa(diffPods)+"-pod states against two audits",
		fmt.Sprintf("best of %d runs each; large pull request: a default-deny in every 10th namespace, every 20th policy deleted; small: in every 70th namespace, every 1000th policy deleted; table output discarded; RSS of the two audits is the larger one", r.o.runs),
		"PULL-REQUEST\tCOMMAND\tCPU-S\tWALL-S\tMAX-RSS-MIB\tTARGET", rows)
	return nil
}

// pullRequest is snap with a default-deny added to every denyEvery-th
// namespace and every delEvery-th policy deleted.
func pullRequest(snap *inventory.Snapshot, denyEvery, delEvery int) *inventory.Snapshot {
	out := *snap
	out.Policies = nil
	for i := range snap.Policies {
		if i%delEvery != 0 {
			out.Policies = append(out.Policies, snap.Policies[i])
		}
	}
	for i, ns := range snap.Namespaces {
		if i%denyEvery == 0 {
			out.Policies = append(out.Policies, networkingv1.NetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "pr-default-deny"},
				Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
			})
		}
	}
	return &out
}
