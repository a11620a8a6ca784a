package audit

// exposure says who can reach a namespace's workloads.
type exposure struct {
	fromNamespaces []string // other namespaces with a pod that reaches one of its pods
	fromOutside    bool     // some address outside the cluster reaches one of its pods
}

// exposure returns a namespace's exposure, from the engine's per-class
// answer (reach.Exposure): its cost follows the classes, not the pairs of
// workloads.
func (f *facts) exposure(ns string) exposure {
	e := exposure{fromNamespaces: f.reach.FromNamespaces[ns]}
	for _, p := range f.podsByNS[ns] {
		if c, ok := f.podClass[podKey(p)]; ok && f.reach.ClassFromOutside[c] {
			e.fromOutside = true
			break
		}
	}
	return e
}
