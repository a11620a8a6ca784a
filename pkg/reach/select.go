package reach

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// SelectedPods returns the pods of the snapshot a policy applies to: pods of
// its namespace matching spec.podSelector. hostNetwork pods are never
// selected: they share the node's network namespace and are outside
// NetworkPolicy control on most CNIs.
func SelectedPods(snap *inventory.Snapshot, np *networkingv1.NetworkPolicy) ([]*corev1.Pod, error) {
	sel, err := ParseSelector(&np.Spec.PodSelector, "spec.podSelector")
	if err != nil {
		return nil, fmt.Errorf("networkpolicy %s/%s: %w", np.Namespace, np.Name, err)
	}
	var out []*corev1.Pod
	for i := range snap.Pods {
		p := &snap.Pods[i]
		if p.Namespace == np.Namespace && !p.Spec.HostNetwork && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out, nil
}
