package audit

import (
	"sort"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Coverage says how much of the cluster the policies isolate.
type Coverage struct {
	Namespaces []NamespaceCoverage `json:"namespaces"`
	Cluster    ClusterCoverage     `json:"cluster"`
}

// NamespaceCoverage is one namespace's share.
type NamespaceCoverage struct {
	Name            string `json:"name"`
	Pods            int    `json:"pods"`
	Policies        int    `json:"policies"`
	IngressIsolated int    `json:"ingressIsolated"`
	EgressIsolated  int    `json:"egressIsolated"`
	// ReachableFrom lists other namespaces with a pod that can reach a pod here.
	ReachableFrom []string `json:"reachableFrom"`
	// ReachableFromOutside is true when an address outside the cluster can
	// reach a pod here.
	ReachableFromOutside bool `json:"reachableFromOutside"`
	// ProtectedBy names the Admin and Baseline tier policies with Deny
	// rules for pods here ("Baseline tier: banp/default"); such pods count
	// as isolated in that direction.
	ProtectedBy []string `json:"protectedBy,omitempty"`
}

// ClusterCoverage sums the namespaces up.
type ClusterCoverage struct {
	Pods            int `json:"pods"`
	IngressIsolated int `json:"ingressIsolated"`
	EgressIsolated  int `json:"egressIsolated"`
	// NamespacePairs counts ordered pairs of distinct namespaces with pods;
	// ReachableNamespacePairs those where some pod of the first reaches some
	// pod of the second.
	NamespacePairs          int `json:"namespacePairs"`
	ReachableNamespacePairs int `json:"reachableNamespacePairs"`
	// Workloads, and those an address outside the cluster can reach.
	Workloads                     int `json:"workloads"`
	WorkloadsReachableFromOutside int `json:"workloadsReachableFromOutside"`
}

func coverage(in *Input) Coverage {
	f := in.facts
	c := Coverage{Namespaces: []NamespaceCoverage{}}
	withPods := 0
	for _, ns := range f.namespaces {
		nc := NamespaceCoverage{Name: ns, Pods: len(f.podsByNS[ns]), Policies: len(f.policiesByNS[ns]), ReachableFrom: []string{}}
		for _, p := range f.podsByNS[ns] {
			if len(f.protectedBy(p, "ingress")) > 0 {
				nc.IngressIsolated++
			}
			if len(f.protectedBy(p, "egress")) > 0 {
				nc.EgressIsolated++
			}
		}
		nc.ProtectedBy = f.tierProtection(ns)
		e := f.exposure(ns)
		nc.ReachableFrom = append(nc.ReachableFrom, e.fromNamespaces...)
		nc.ReachableFromOutside = e.fromOutside
		c.Namespaces = append(c.Namespaces, nc)
		c.Cluster.Pods += nc.Pods
		c.Cluster.IngressIsolated += nc.IngressIsolated
		c.Cluster.EgressIsolated += nc.EgressIsolated
		c.Cluster.ReachableNamespacePairs += len(nc.ReachableFrom)
		if nc.Pods > 0 {
			withPods++
		}
	}
	c.Cluster.NamespacePairs = withPods * (withPods - 1)
	if withPods < 2 {
		c.Cluster.NamespacePairs = 0
	}
	// A workload is reached from outside when one of its pods' classes is.
	for _, ns := range f.namespaces {
		outside := map[inventory.Workload]bool{}
		for _, p := range f.podsByNS[ns] {
			w := inventory.WorkloadOf(p)
			c, ok := f.podClass[podKey(p)]
			outside[w] = outside[w] || (ok && f.reach.ClassFromOutside[c])
		}
		c.Cluster.Workloads += len(outside)
		for _, o := range outside {
			if o {
				c.Cluster.WorkloadsReachableFromOutside++
			}
		}
	}
	sort.Slice(c.Namespaces, func(i, j int) bool { return c.Namespaces[i].Name < c.Namespaces[j].Name })
	return c
}

// tierProtection lists the cluster-wide policies with Deny rules for pods
// of the namespace, sorted.
func (f *facts) tierProtection(ns string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range f.podsByNS[ns] {
		c, ok := f.podClass[podKey(p)]
		if !ok {
			continue
		}
		for d := range f.tierDeny {
			for _, t := range f.tierDeny[d][c] {
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
