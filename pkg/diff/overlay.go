package diff

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

type (
	networkingPolicy           = networkingv1.NetworkPolicy
	clusterNetworkPolicy       = npav1beta1.ClusterNetworkPolicy
	adminNetworkPolicy         = npav1alpha1.AdminNetworkPolicy
	baselineAdminNetworkPolicy = npav1alpha1.BaselineAdminNetworkPolicy
)

// OverlayOptions say how manifests change a live state.
type OverlayOptions struct {
	// Prune removes the policies of PruneNamespaces that the files do not
	// hold, as kubectl apply --prune does; cluster-scoped policy kinds are
	// pruned only when the files hold at least one object of that kind.
	Prune           bool
	PruneNamespaces []string
	// Delete holds objects to remove (read from --delete files).
	Delete *inventory.Snapshot
}

// Overlay returns the state kubectl apply of the files would leave on
// live: objects replaced by kind, namespace and name, new ones added, then
// deletions and pruning. A workload in the files (a Deployment, ...) whose
// pods live already has gives those pods the template's labels and
// containers, keeping their names and IPs; a workload live lacks is one pod
// built from its template. live and files are not changed.
func Overlay(live, files *inventory.Snapshot, opts OverlayOptions) *inventory.Snapshot {
	out := &inventory.Snapshot{
		Source:     live.Source,
		NodesKnown: live.NodesKnown,
		Nodes:      live.Nodes,
		Origins:    map[string]inventory.Origin{},
	}
	// A live state names the files applied; manifests gain them.
	out.Source.Files = nil
	if live.Source.Kind == inventory.SourceFiles {
		out.Source.Files = append(out.Source.Files, live.Source.Files...)
	}
	out.Source.Files = append(out.Source.Files, files.Source.Files...)
	out.Warnings = append([]string(nil), live.Warnings...)
	for _, w := range files.Warnings {
		// What the files lack, the live state has: these do not apply.
		if strings.Contains(w, "is used but not defined") || strings.Contains(w, "without pods in the files") {
			continue
		}
		out.Warnings = append(out.Warnings, w)
	}
	for k, v := range files.Origins {
		out.Origins[k] = v
	}

	// Namespaces the files only reference are synthesised with nothing but
	// their name label: only the ones the files define replace live ones.
	var defined []corev1.Namespace
	for _, n := range files.Namespaces {
		if _, ok := files.Origins[inventory.OriginKey("Namespace", "", n.Name)]; ok {
			defined = append(defined, n)
		}
	}
	out.Namespaces = merge(live.Namespaces, defined, func(n *corev1.Namespace) string { return n.Name })
	known := map[string]bool{}
	for _, n := range out.Namespaces {
		known[n.Name] = true
	}
	for _, n := range files.Namespaces {
		if !known[n.Name] {
			out.Namespaces = append(out.Namespaces, n)
		}
	}
	out.Pods = overlayPods(live.Pods, files.Pods)
	out.Policies = merge(live.Policies, files.Policies, func(p *networkingPolicy) string { return p.Namespace + "/" + p.Name })
	out.ClusterNetworkPolicies = merge(live.ClusterNetworkPolicies, files.ClusterNetworkPolicies, func(p *clusterNetworkPolicy) string { return p.Name })
	out.AdminNetworkPolicies = merge(live.AdminNetworkPolicies, files.AdminNetworkPolicies, func(p *adminNetworkPolicy) string { return p.Name })
	out.BaselineAdminNetworkPolicies = merge(live.BaselineAdminNetworkPolicies, files.BaselineAdminNetworkPolicies, func(p *baselineAdminNetworkPolicy) string { return p.Name })

	if opts.Delete != nil {
		deleteObjects(out, opts.Delete)
	}
	if opts.Prune {
		prune(out, files, opts.PruneNamespaces)
	}
	out.Sort()
	return out
}

// merge replaces the items of base whose key the overlay has, in place,
// and appends the others. Items are copied, never shared.
func merge[T any](base, overlay []T, key func(*T) string) []T {
	index := make(map[string]int, len(base))
	out := make([]T, len(base), len(base)+len(overlay))
	copy(out, base)
	for i := range out {
		index[key(&out[i])] = i
	}
	for i := range overlay {
		if j, ok := index[key(&overlay[i])]; ok {
			out[j] = overlay[i]
			continue
		}
		index[key(&overlay[i])] = len(out)
		out = append(out, overlay[i])
	}
	return out
}

func overlayPods(live, files []corev1.Pod) []corev1.Pod {
	byWorkload := map[inventory.Workload][]int{}
	out := make([]corev1.Pod, len(live))
	copy(out, live)
	for i := range out {
		w := inventory.WorkloadOf(&out[i])
		byWorkload[w] = append(byWorkload[w], i)
	}
	var plain []corev1.Pod
	for i := range files {
		p := &files[i]
		if _, ok := p.Annotations[inventory.TemplateAnnotation]; ok {
			if idx := byWorkload[inventory.WorkloadOf(p)]; len(idx) > 0 {
				for _, j := range idx {
					out[j] = fromTemplate(&out[j], p)
				}
				continue
			}
		}
		plain = append(plain, *p)
	}
	return merge(out, plain, func(p *corev1.Pod) string { return p.Namespace + "/" + p.Name })
}

// fromTemplate is a live pod as its workload's new template would make
// it: the template's labels (and the live pod-template-hash, which owner
// resolution relies on) and containers, the live pod's name, owner and IPs.
func fromTemplate(live, tmpl *corev1.Pod) corev1.Pod {
	p := *live.DeepCopy()
	p.Labels = map[string]string{}
	for k, v := range tmpl.Labels {
		p.Labels[k] = v
	}
	if h, ok := live.Labels["pod-template-hash"]; ok {
		p.Labels["pod-template-hash"] = h
	}
	p.Spec.Containers = tmpl.Spec.Containers
	p.Spec.InitContainers = tmpl.Spec.InitContainers
	p.Spec.HostNetwork = tmpl.Spec.HostNetwork
	return p
}

func deleteObjects(s *inventory.Snapshot, del *inventory.Snapshot) {
	gone := map[string]bool{}
	for _, n := range del.Namespaces {
		// Only a namespace the file defines is deleted, not one its
		// objects merely live in.
		if _, ok := del.Origins[inventory.OriginKey("Namespace", "", n.Name)]; ok {
			gone["ns/"+n.Name] = true
		}
	}
	for i := range del.Pods {
		gone["pod/"+del.Pods[i].Namespace+"/"+del.Pods[i].Name] = true
		if _, ok := del.Pods[i].Annotations[inventory.TemplateAnnotation]; ok {
			gone["workload/"+inventory.WorkloadOf(&del.Pods[i]).String()] = true
		}
	}
	for i := range del.Policies {
		gone["np/"+del.Policies[i].Namespace+"/"+del.Policies[i].Name] = true
	}
	for i := range del.ClusterNetworkPolicies {
		gone["cnp/"+del.ClusterNetworkPolicies[i].Name] = true
	}
	for i := range del.AdminNetworkPolicies {
		gone["anp/"+del.AdminNetworkPolicies[i].Name] = true
	}
	for i := range del.BaselineAdminNetworkPolicies {
		gone["banp/"+del.BaselineAdminNetworkPolicies[i].Name] = true
	}
	// Deleting a namespace deletes what it holds.
	s.Namespaces = filter(s.Namespaces, func(n *corev1.Namespace) bool { return !gone["ns/"+n.Name] })
	s.Pods = filter(s.Pods, func(p *corev1.Pod) bool {
		return !gone["ns/"+p.Namespace] && !gone["pod/"+p.Namespace+"/"+p.Name] && !gone["workload/"+inventory.WorkloadOf(p).String()]
	})
	s.Policies = filter(s.Policies, func(p *networkingPolicy) bool {
		return !gone["ns/"+p.Namespace] && !gone["np/"+p.Namespace+"/"+p.Name]
	})
	s.ClusterNetworkPolicies = filter(s.ClusterNetworkPolicies, func(p *clusterNetworkPolicy) bool { return !gone["cnp/"+p.Name] })
	s.AdminNetworkPolicies = filter(s.AdminNetworkPolicies, func(p *adminNetworkPolicy) bool { return !gone["anp/"+p.Name] })
	s.BaselineAdminNetworkPolicies = filter(s.BaselineAdminNetworkPolicies, func(p *baselineAdminNetworkPolicy) bool { return !gone["banp/"+p.Name] })
}

func prune(s, files *inventory.Snapshot, namespaces []string) {
	if len(namespaces) == 0 {
		namespaces = FileNamespaces(files)
	}
	in := map[string]bool{}
	for _, n := range namespaces {
		in[n] = true
	}
	keep := map[string]bool{}
	for i := range files.Policies {
		keep[files.Policies[i].Namespace+"/"+files.Policies[i].Name] = true
	}
	before := len(s.Policies)
	s.Policies = filter(s.Policies, func(p *networkingPolicy) bool { return !in[p.Namespace] || keep[p.Namespace+"/"+p.Name] })
	pruned := before - len(s.Policies)
	if len(files.ClusterNetworkPolicies) > 0 {
		keep := map[string]bool{}
		for i := range files.ClusterNetworkPolicies {
			keep[files.ClusterNetworkPolicies[i].Name] = true
		}
		n := len(s.ClusterNetworkPolicies)
		s.ClusterNetworkPolicies = filter(s.ClusterNetworkPolicies, func(p *clusterNetworkPolicy) bool { return keep[p.Name] })
		pruned += n - len(s.ClusterNetworkPolicies)
	}
	if len(files.AdminNetworkPolicies) > 0 {
		keep := map[string]bool{}
		for i := range files.AdminNetworkPolicies {
			keep[files.AdminNetworkPolicies[i].Name] = true
		}
		n := len(s.AdminNetworkPolicies)
		s.AdminNetworkPolicies = filter(s.AdminNetworkPolicies, func(p *adminNetworkPolicy) bool { return keep[p.Name] })
		pruned += n - len(s.AdminNetworkPolicies)
	}
	if len(files.BaselineAdminNetworkPolicies) > 0 {
		keep := map[string]bool{}
		for i := range files.BaselineAdminNetworkPolicies {
			keep[files.BaselineAdminNetworkPolicies[i].Name] = true
		}
		n := len(s.BaselineAdminNetworkPolicies)
		s.BaselineAdminNetworkPolicies = filter(s.BaselineAdminNetworkPolicies, func(p *baselineAdminNetworkPolicy) bool { return keep[p.Name] })
		pruned += n - len(s.BaselineAdminNetworkPolicies)
	}
	sort.Strings(namespaces)
	s.Warnings = append(s.Warnings, fmt.Sprintf("--prune: %d policies the files do not hold removed from namespaces %v", pruned, namespaces))
}

// FileNamespaces lists the namespaces objects of the files live in or
// declare, sorted: what --prune prunes when -n is not given.
func FileNamespaces(files *inventory.Snapshot) []string {
	set := map[string]bool{}
	for _, n := range files.Namespaces {
		set[n.Name] = true
	}
	for i := range files.Pods {
		set[files.Pods[i].Namespace] = true
	}
	for i := range files.Policies {
		set[files.Policies[i].Namespace] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		if n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func filter[T any](items []T, keep func(*T) bool) []T {
	out := items[:0:0]
	for i := range items {
		if keep(&items[i]) {
			out = append(out, items[i])
		}
	}
	return out
}
