// Package reach is the reachability engine: it compiles the NetworkPolicies of
// an inventory.Snapshot and answers whether one endpoint may send traffic to
// another on a port, and why, with the exact semantics of the Kubernetes API.
// It never prints and never imports cobra.
//
// Model.Verdict explains one connection; Model.Matrix says who can talk to
// whom, computed on equivalence classes of pods (see classes.go) so its cost
// grows with the number of distinct pod behaviours, not pods.
//
// Where the API leaves a choice, the engine decides as follows, and the
// tests (reference_test.go, scenarios/) pin each decision:
//   - ipBlock peers match pod IPs iff Options.IPBlockMatchesPods (default
//     true, as Calico, Antrea and the upstream e2e suite; Cilium: false).
//     A pod with several IPs is matched if any is inside; a pod without IPs
//     matches no ipBlock.
//   - hostNetwork pods are outside the policy model: no podSelector selects
//     them, as target or peer; their side of a verdict is not evaluated
//     (always allowed); ipBlocks match their (node) IPs whatever the option;
//     toward them, as toward any address, a named port matches nothing.
//   - A pod always reaches itself; the matrix never shows that as an edge.
//   - A pod and its own node (status.hostIP/hostIPs) always reach each
//     other, whatever any tier says; the matrix's External leaves that
//     per-pod exception out. A hostNetwork pod is its node: it and a pod
//     off the host network on the same node always reach each other too,
//     and the matrix's edges, at both levels, hold every port between
//     their nodes. "Same node" is read from what a snapshot holds: the
//     same spec.nodeName, or a shared node address, a node's addresses
//     being a pod's status.hostIP(s) and a hostNetwork pod's own IPs
//     (sameNode). Redundancy and Exposure, which judge what policies
//     allow, leave node-local traffic out.
//   - Named ports resolve on the destination pod's containers and sidecars
//     (init containers with restartPolicy Always, kubernetes 125285), with
//     the rule's protocol.
//   - An Endpoint IP is outside the model even if a pod holds that address.
//   - Non-canonical CIDRs (10.0.0.5/0) are masked; legacy leading zeros are
//     read as the API server reads them; except entries outside their cidr
//     remove nothing.
//   - Namespaces always carry kubernetes.io/metadata.name, including ones
//     the snapshot lacks but pods reference.
package reach

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// EffectiveTypes returns whether a policy isolates ingress and egress for the
// pods it selects. When policyTypes is absent the API server's defaulting
// applies: Ingress always, Egress iff the policy has egress rules.
func EffectiveTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// EffectiveTypeNames renders EffectiveTypes as the API spells them.
func EffectiveTypeNames(np *networkingv1.NetworkPolicy) []string {
	in, eg := EffectiveTypes(np)
	var out []string
	if in {
		out = append(out, string(networkingv1.PolicyTypeIngress))
	}
	if eg {
		out = append(out, string(networkingv1.PolicyTypeEgress))
	}
	return out
}

// ParseSelector converts a label selector, naming the field in its error.
// A nil selector selects nothing; an empty one selects everything.
func ParseSelector(sel *metav1.LabelSelector, field string) (labels.Selector, error) {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return s, nil
}
