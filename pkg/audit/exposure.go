package audit

import "sort"

// exposure says who can reach a namespace's workloads.
type exposure struct {
	fromNamespaces []string // other namespaces with a pod that reaches one of its pods
	fromOutside    bool     // some address outside the cluster reaches one of its pods
}

func (f *facts) exposure(ns string) exposure {
	var e exposure
	seen := map[string]bool{}
	for _, edge := range f.matrix.Edges {
		from, to := f.matrix.Nodes[edge.From], f.matrix.Nodes[edge.To]
		if to.Namespace == ns && from.Namespace != ns && !seen[from.Namespace] {
			seen[from.Namespace] = true
			e.fromNamespaces = append(e.fromNamespaces, from.Namespace)
		}
	}
	sort.Strings(e.fromNamespaces)
	for i, n := range f.matrix.Nodes {
		if n.Namespace == ns && len(f.matrix.External[i].Ingress) > 0 {
			e.fromOutside = true
		}
	}
	return e
}
