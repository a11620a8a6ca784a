package audit

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// facts are computed once and shared by the checks. They come from the
// compiled model (reach.Policy views) and the engine's answers, never from
// the policy objects, so that the audit and the verdicts read every policy
// the same way.
type facts struct {
	podsByNS map[string][]*corev1.Pod
	// policies are every compiled policy, in Model.Policies order;
	// policiesByNS the NetworkPolicies of each namespace among them.
	policies     []*reach.Policy
	policiesByNS map[string][]*reach.Policy
	// selected maps a policy to the pods it applies to.
	selected map[reach.PolicyRef][]*corev1.Pod
	// query answers per-rule questions; classes are the pods every policy
	// treats alike, podClass maps "ns/pod" to its class.
	query    *reach.Query
	classes  []reach.PodClass
	podClass map[string]int
	// reach says which namespaces reach which, and which classes are
	// reached from outside (see exposure).
	reach      *reach.Exposure
	redundancy reach.Redundancy
	namespaces []string // sorted, in scope
	scope      map[string]bool
	labels     *labelIndex
	// tierDeny[d][class] names the cluster-wide policies selecting the
	// class with a Deny rule in direction d ("Baseline tier: banp/x").
	tierDeny [2][][]string
}

// protectedBy returns what protects the pod in the direction: the
// NetworkPolicies isolating it, then the Admin or Baseline policies with a
// Deny rule for it. Either way the pod is not open to everything.
func (f *facts) protectedBy(p *corev1.Pod, dir string) []string {
	c, ok := f.podClass[podKey(p)]
	if !ok {
		return nil
	}
	var out []string
	for _, r := range f.classes[c].IsolatedBy[dirOf(dir)] {
		out = append(out, r.String())
	}
	return append(out, f.tierDeny[dirOf(dir)][c]...)
}

func (f *facts) inScope(ns string) bool { return f.scope[ns] }

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// isolatedBy returns the policies isolating the pod in the direction
// ("ingress" or "egress"), sorted.
func (f *facts) isolatedBy(p *corev1.Pod, dir string) []reach.PolicyRef {
	c, ok := f.podClass[podKey(p)]
	if !ok {
		return nil
	}
	return f.classes[c].IsolatedBy[dirOf(dir)]
}

func dirOf(dir string) reach.Dir {
	if dir == "egress" {
		return reach.Egress
	}
	return reach.Ingress
}

func gatherFacts(in *Input) *facts {
	f := &facts{
		podsByNS:     map[string][]*corev1.Pod{},
		policiesByNS: map[string][]*reach.Policy{},
		selected:     map[reach.PolicyRef][]*corev1.Pod{},
		podClass:     map[string]int{},
	}
	for i := range in.Snap.Pods {
		p := &in.Snap.Pods[i]
		f.podsByNS[p.Namespace] = append(f.podsByNS[p.Namespace], p)
	}
	f.labels = newLabelIndex(in, f.podsByNS)
	policies := in.Model.Policies()
	for i := range policies {
		pol := &policies[i]
		f.policies = append(f.policies, pol)
		if pol.ClusterScoped() {
			continue
		}
		f.policiesByNS[pol.Ref.Namespace] = append(f.policiesByNS[pol.Ref.Namespace], pol)
		f.selected[pol.Ref] = in.Model.SelectedPods(pol.Ref)
	}
	f.query = in.Model.Query()
	f.classes = f.query.Classes()
	for c := range f.classes {
		for _, p := range f.classes[c].Pods {
			f.podClass[podKey(p)] = c
		}
	}
	byRef := map[reach.PolicyRef]*reach.Policy{}
	for _, pol := range f.policies {
		byRef[pol.Ref] = pol
	}
	for d := range f.tierDeny {
		f.tierDeny[d] = make([][]string, len(f.classes))
		for c := range f.classes {
			for _, ref := range f.classes[c].Tiers {
				pol := byRef[ref]
				if pol == nil {
					continue
				}
				for _, r := range pol.Rules[d] {
					if r.Action == reach.ActionDeny {
						f.tierDeny[d][c] = append(f.tierDeny[d][c], pol.Tier.String()+" tier: "+ref.String())
						break
					}
				}
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
	f.reach = in.Model.Exposure()
	f.redundancy = in.Model.Redundancy()
	return f
}

// objectOfPolicy names a policy, optionally a field inside it.
func objectOfPolicy(ref reach.PolicyRef, field string) Object {
	return Object{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: field}
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

// policy returns the compiled policy with that reference, or nil.
func (f *facts) policy(ref reach.PolicyRef) *reach.Policy {
	if ref.Kind == reach.KindNetworkPolicy {
		for _, pol := range f.policiesByNS[ref.Namespace] {
			if pol.Ref == ref {
				return pol
			}
		}
		return nil
	}
	for _, pol := range f.policies {
		if pol.Ref == ref {
			return pol
		}
	}
	return nil
}
