// Package reach is the reachability engine: it compiles the NetworkPolicies of
// an inventory.Snapshot and answers whether one endpoint may send traffic to
// another on a port, and why, with the exact semantics of the Kubernetes API.
// It never prints and never imports cobra.
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
