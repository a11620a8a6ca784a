package audit

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

var _ = register(Check{
	ID: "NA001", Name: "namespace-without-policy", Severity: High,
	Summary: "A namespace has pods but no NetworkPolicy: every pod there accepts and sends any traffic.",
	Run:     namespaceWithoutPolicy,
})

var _ = register(Check{
	ID: "NA002", Name: "pod-not-ingress-isolated", Severity: Medium,
	Summary: "A workload is not ingress-isolated while other pods of its namespace are: it was likely forgotten or mislabelled.",
	Run:     func(in *Input) []Finding { return forgotten(in, "ingress") },
})

var _ = register(Check{
	ID: "NA003", Name: "pod-not-egress-isolated", Severity: Low,
	Summary: "A workload is not egress-isolated while other pods of its namespace are.",
	Run:     func(in *Input) []Finding { return forgotten(in, "egress") },
})

var _ = register(Check{
	ID: "NA004", Name: "unlabeled-workload", Severity: Low,
	Summary: "A workload's pods have no labels of their own: only podSelector {} can select them.",
	Run:     unlabeledWorkloads,
})

func namespaceWithoutPolicy(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		pods := in.facts.podsByNS[ns]
		if len(pods) == 0 || len(in.facts.policiesByNS[ns]) > 0 || allHostNetwork(pods) {
			continue
		}
		// Admin or Baseline Deny rules for every pod's ingress: the
		// namespace is not open; coverage names the tier protecting it.
		var tiers []string
		covered := true
		for _, p := range pods {
			by := in.facts.protectedBy(p, "ingress")
			if !p.Spec.HostNetwork && len(by) == 0 {
				covered = false
			}
			tiers = append(tiers, by...)
		}
		if covered {
			continue
		}
		exp := in.facts.exposure(ns)
		sev := Medium
		from := "no other namespace"
		if len(exp.fromNamespaces) > 0 {
			sev = High
			from = plural(len(exp.fromNamespaces), "other namespace", "other namespaces") + " (" + truncateList(exp.fromNamespaces, 3) + ")"
		}
		outside := ""
		if exp.fromOutside {
			sev = High
			outside = " and from outside the cluster"
		}
		out = append(out, Finding{
			Severity: sev,
			Message: fmt.Sprintf("namespace %s has no NetworkPolicy: %s traffic from %s%s, and may send anywhere",
				ns, plural(len(pods), "pod accepts", "pods accept"), from, outside),
			Objects: []Object{{Kind: "Namespace", Name: ns}},
			Fix:     "add a default-deny policy (podSelector: {}, policyTypes: [Ingress, Egress]) and allow only the traffic the workloads need",
			Change:  ChangeAddDefaultDeny,
			Details: append([]string{"pods: " + podNames(pods, 10)}, tierDetails(tiers)...),
		})
	}
	return out
}

// tierDetails names, once each, the cluster-wide policies that protect
// part of what a finding calls open.
func tierDetails(tiers []string) []string {
	if len(tiers) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var names []string
	for _, t := range tiers {
		if !seen[t] {
			seen[t] = true
			names = append(names, t)
		}
	}
	sort.Strings(names)
	return []string{"protected in part by: " + strings.Join(names, ", ")}
}

func allHostNetwork(pods []*corev1.Pod) bool {
	for _, p := range pods {
		if !p.Spec.HostNetwork {
			return false
		}
	}
	return true
}

// forgotten reports workloads left open in a direction while neighbours are
// isolated in it.
func forgotten(in *Input, dir string) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		var open, isolated []*corev1.Pod
		for _, p := range in.facts.podsByNS[ns] {
			if p.Spec.HostNetwork {
				continue
			}
			if len(in.facts.protectedBy(p, dir)) > 0 {
				isolated = append(isolated, p)
			} else {
				open = append(open, p)
			}
		}
		if len(isolated) == 0 || len(open) == 0 {
			continue
		}
		policies := map[string]bool{}
		for _, p := range isolated {
			for _, r := range in.facts.protectedBy(p, dir) {
				policies[r] = true
			}
		}
		var names []string
		for n := range policies {
			names = append(names, n)
		}
		sort.Strings(names)
		order, pods := workloadsOf(open)
		for _, w := range order {
			what := "any pod and any address outside the cluster can reach it"
			if dir == "egress" {
				what = "it may send to any pod and any address"
			}
			out = append(out, Finding{
				Severity: map[string]Severity{"ingress": Medium, "egress": Low}[dir],
				Message: fmt.Sprintf("%s is not %s-isolated while %s in %s (by %s): %s",
					w, dir, plural(len(isolated), "other pod is", "other pods are"), ns, truncateList(names, 3), what),
				Objects: []Object{objectOfWorkload(w)},
				Fix:     fmt.Sprintf("give its pods the labels an existing %s policy selects, or add a policy selecting them", dir),
				Change:  ChangeIsolate,
				Details: []string{"pods: " + podNames(pods[w], 10), "labels: " + labelsText(pods[w][0].Labels)},
			})
		}
	}
	return out
}

// controllerLabels are added by controllers, not chosen by people; a pod
// with only these is unlabeled for policy purposes.
var controllerLabels = map[string]bool{
	"pod-template-hash":                        true,
	"controller-revision-hash":                 true,
	"pod-template-generation":                  true,
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"controller-uid":                           true,
	"job-name":                                 true,
	"batch.kubernetes.io/controller-uid":       true,
	"batch.kubernetes.io/job-name":             true,
	"batch.kubernetes.io/job-completion-index": true,
}

func ownLabels(p *corev1.Pod) int {
	n := 0
	for k := range p.Labels {
		if !controllerLabels[k] {
			n++
		}
	}
	return n
}

func unlabeledWorkloads(in *Input) []Finding {
	var out []Finding
	for _, ns := range in.facts.namespaces {
		var bare []*corev1.Pod
		for _, p := range in.facts.podsByNS[ns] {
			if ownLabels(p) == 0 && !p.Spec.HostNetwork {
				bare = append(bare, p)
			}
		}
		order, pods := workloadsOf(bare)
		for _, w := range order {
			out = append(out, Finding{
				Severity: Low,
				Message:  fmt.Sprintf("%s has no labels of its own: no policy can select it except with podSelector: {}", w),
				Objects:  []Object{objectOfWorkload(w)},
				Fix:      "label its pod template (e.g. app.kubernetes.io/name) so policies can select it",
				Change:   ChangeAlignLabels,
				Details:  []string{"pods: " + podNames(pods[w], 10)},
			})
		}
	}
	return out
}

func labelsText(l map[string]string) string {
	if len(l) == 0 {
		return "<none>"
	}
	var kv []string
	for k, v := range l {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}
