package audit

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var _ = register(Check{
	ID: "NA060", Name: "host-network-pod", Severity: Info,
	Summary: "A pod uses the host network: NetworkPolicy neither selects nor protects it.",
	Run:     hostNetworkPods,
})

var _ = register(Check{
	ID: "NA061", Name: "pod-without-ip", Severity: Info,
	Summary: "A pod has no IP in its status: verdicts an ipBlock decides depend on the IP it gets (DEPENDS).",
	Run:     podsWithoutIP,
})

func hostNetworkPods(in *Input) []Finding {
	return perWorkload(in, func(p *corev1.Pod) bool { return p.Spec.HostNetwork }, func(w inventory.Workload, pods []*corev1.Pod) Finding {
		return Finding{
			Severity: Info,
			Message:  fmt.Sprintf("%s uses the host network: NetworkPolicy does not select it, and its traffic carries the node's address", w),
			Objects:  []Object{objectOfWorkload(w)},
			Fix:      "drop hostNetwork if the workload does not need it; otherwise protect the node with host firewall rules",
			Change:   ChangeReview,
			Details:  []string{"pods: " + podNames(pods, 10)},
		}
	})
}

func podsWithoutIP(in *Input) []Finding {
	if !hasIPBlocks(in) {
		return nil // without ipBlock peers a pod's address decides nothing
	}
	return perWorkload(in, func(p *corev1.Pod) bool {
		// Template pods count too: the inventory warns about them, but
		// warnings go to stderr, and the verdicts that depend on them
		// belong in the report.
		return in.Model.DependsOnIP(p) && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
	}, func(w inventory.Workload, pods []*corev1.Pod) Finding {
		net := in.Model.PodNetwork()
		where := fmt.Sprintf("an ipBlock holding only part of the pod network %s (%s)", net, net.Source)
		if net.Source == reach.PodNetworkUnknown {
			where = "the pod network is unknown (no pod has an IP, no --pod-cidr), and an ipBlock other than 0.0.0.0/0 or ::/0"
		}
		return Finding{
			Severity: Info,
			Message: fmt.Sprintf("%s has %s without an IP (pending, or judged from its template): %s decides traffic to or from it, so those verdicts depend on the IP it gets (DEPENDS)",
				w, plural(len(pods), "pod", "pods"), where),
			Objects: []Object{objectOfWorkload(w)},
			Fix:     "audit the live cluster, give the pod network with --pod-cidr, or include status.podIP in the manifests",
			Change:  ChangeReview,
			Details: []string{"pods: " + podNames(pods, 10)},
		}
	})
}

func perWorkload(in *Input, match func(*corev1.Pod) bool, finding func(inventory.Workload, []*corev1.Pod) Finding) []Finding {
	var hit []*corev1.Pod
	for _, ns := range in.facts.namespaces {
		for _, p := range in.facts.podsByNS[ns] {
			if match(p) {
				hit = append(hit, p)
			}
		}
	}
	order, pods := workloadsOf(hit)
	var out []Finding
	for _, w := range order {
		out = append(out, finding(w, pods[w]))
	}
	return out
}

func hasIPBlocks(in *Input) bool {
	for _, pol := range in.facts.policies {
		for _, r := range rulesOf(pol, true) {
			for _, p := range r.Peers {
				if p.Kind == reach.PeerAddresses {
					return true
				}
			}
		}
	}
	return false
}
