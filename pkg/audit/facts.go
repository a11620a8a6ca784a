package audit

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// facts are computed once and shared by the checks.
type facts struct {
	podsByNS     map[string][]*corev1.Pod
	policiesByNS map[string][]*networkingv1.NetworkPolicy
	// selected maps a policy to the pods it applies to.
	selected map[reach.PolicyRef][]*corev1.Pod
	// ingressBy and egressBy map "ns/pod" to the policies isolating it.
	ingressBy, egressBy map[string][]reach.PolicyRef
	matrix              *reach.Matrix
	redundancy          reach.Redundancy
	namespaces          []string // sorted, in scope
	scope               map[string]bool
	labels              *labelIndex
	exposures           map[string]*exposure // see exposure
}

func (f *facts) inScope(ns string) bool { return f.scope[ns] }

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

func refOf(np *networkingv1.NetworkPolicy) reach.PolicyRef {
	return reach.NetworkPolicyRef(np.Namespace, np.Name)
}

func gatherFacts(in *Input) *facts {
	f := &facts{
		podsByNS:     map[string][]*corev1.Pod{},
		policiesByNS: map[string][]*networkingv1.NetworkPolicy{},
		selected:     map[reach.PolicyRef][]*corev1.Pod{},
		ingressBy:    map[string][]reach.PolicyRef{},
		egressBy:     map[string][]reach.PolicyRef{},
	}
	for i := range in.Snap.Pods {
		p := &in.Snap.Pods[i]
		f.podsByNS[p.Namespace] = append(f.podsByNS[p.Namespace], p)
	}
	f.labels = newLabelIndex(in, f.podsByNS)
	for i := range in.Snap.Policies {
		np := &in.Snap.Policies[i]
		f.policiesByNS[np.Namespace] = append(f.policiesByNS[np.Namespace], np)
		ref := refOf(np)
		pods := in.Model.SelectedPods(ref)
		f.selected[ref] = pods
		ing, eg := reach.EffectiveTypes(np)
		for _, p := range pods {
			if ing {
				f.ingressBy[podKey(p)] = append(f.ingressBy[podKey(p)], ref)
			}
			if eg {
				f.egressBy[podKey(p)] = append(f.egressBy[podKey(p)], ref)
			}
		}
	}
	for _, ns := range in.Snap.Namespaces {
		if in.Snap.Source.Namespace == "" || ns.Name == in.Snap.Source.Namespace {
			f.namespaces = append(f.namespaces, ns.Name)
		}
	}
	sort.Strings(f.namespaces)
	f.scope = map[string]bool{}
	for _, ns := range f.namespaces {
		f.scope[ns] = true
	}
	f.matrix = in.Model.Matrix(reach.ByWorkload)
	f.redundancy = in.Model.Redundancy()
	return f
}

// objectOfPolicy names a policy, optionally a field inside it.
func objectOfPolicy(np *networkingv1.NetworkPolicy, field string) Object {
	return Object{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name, Field: field}
}

func objectOfWorkload(w inventory.Workload) Object {
	return Object{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}
}

// workloadsOf groups pods by workload, in a stable order.
func workloadsOf(pods []*corev1.Pod) ([]inventory.Workload, map[inventory.Workload][]*corev1.Pod) {
	by := map[inventory.Workload][]*corev1.Pod{}
	var order []inventory.Workload
	for _, p := range pods {
		w := inventory.WorkloadOf(p)
		if _, ok := by[w]; !ok {
			order = append(order, w)
		}
		by[w] = append(by[w], p)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].String() < order[j].String() })
	return order, by
}

// podNames lists up to max pod names, then a count of the rest.
func podNames(pods []*corev1.Pod, max int) string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return truncateList(names, max)
}
