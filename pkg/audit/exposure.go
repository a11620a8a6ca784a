package audit

import "sort"

// exposure says who can reach a namespace's workloads.
type exposure struct {
	fromNamespaces []string // other namespaces with a pod that reaches one of its pods
	fromOutside    bool     // some address outside the cluster reaches one of its pods
}

// exposure returns a namespace's exposure. Every namespace's is computed in
// one pass over the matrix, the first time one is asked for.
func (f *facts) exposure(ns string) exposure {
	if f.exposures == nil {
		f.exposures = map[string]*exposure{}
		get := func(ns string) *exposure {
			e, ok := f.exposures[ns]
			if !ok {
				e = &exposure{}
				f.exposures[ns] = e
			}
			return e
		}
		seen := map[[2]string]bool{}
		for _, edge := range f.matrix.Edges {
			from, to := f.matrix.Nodes[edge.From].Namespace, f.matrix.Nodes[edge.To].Namespace
			if from != to && !seen[[2]string{from, to}] {
				seen[[2]string{from, to}] = true
				e := get(to)
				e.fromNamespaces = append(e.fromNamespaces, from)
			}
		}
		for i, n := range f.matrix.Nodes {
			if len(f.matrix.External[i].Ingress) > 0 {
				get(n.Namespace).fromOutside = true
			}
		}
		for _, e := range f.exposures {
			sort.Strings(e.fromNamespaces)
		}
	}
	if e, ok := f.exposures[ns]; ok {
		return *e
	}
	return exposure{}
}
