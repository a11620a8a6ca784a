package scenarios

import (
	"net/netip"
	"strings"
	"testing"
)

// TestTablesAreWellFormed guards the grids: a typo in one would silently
// drop probes or name a pod that does not exist.
func TestTablesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range append(All(), Tiers()...) {
		if seen[s.Name] {
			t.Errorf("scenario name %q used twice", s.Name)
		}
		seen[s.Name] = true
		if s.Description == "" || len(s.Expectations) == 0 {
			t.Errorf("%s: got %d expectations and description %q, want both", s.Name, len(s.Expectations), s.Description)
		}
		pods := map[string]bool{}
		for _, p := range s.Pods {
			pods[p.Namespace+"/"+p.Name] = true
		}
		for _, tb := range s.tables {
			if _, err := tb.parse(); err != nil {
				t.Errorf("%s: %v", s.Name, err)
			}
		}
		for _, e := range s.Expectations {
			for _, end := range []string{e.From, e.To} {
				if strings.Contains(end, "/") {
					if !pods[end] {
						t.Errorf("%s: %s names pod %q, which the scenario lacks", s.Name, e, end)
					}
				} else if _, err := netip.ParseAddr(end); err != nil {
					t.Errorf("%s: %s: %v", s.Name, e, err)
				}
			}
			if e.From == e.To && (!e.Allowed || e.Undefined) {
				t.Errorf("%s: %s: a pod always reaches itself", s.Name, e)
			}
		}
	}
}

// TestObjectsAreValid checks what the e2e suite needs to create the objects.
func TestObjectsAreValid(t *testing.T) {
	for _, s := range append(All(), Tiers()...) {
		for _, p := range s.Pods {
			if p.Kind != "Pod" || len(p.Spec.Containers) == 0 || p.Spec.Containers[0].Image == "" || p.Status.PodIP == "" {
				t.Errorf("%s: pod %s/%s: got kind %q, %d containers, podIP %q; want a pod with an image and an IP",
					s.Name, p.Namespace, p.Name, p.Kind, len(p.Spec.Containers), p.Status.PodIP)
			}
		}
		for _, np := range s.Policies {
			if np.Kind != "NetworkPolicy" || np.Namespace == "" || np.Name == "" {
				t.Errorf("%s: policy %s/%s: got kind %q, want a named NetworkPolicy", s.Name, np.Namespace, np.Name, np.Kind)
			}
		}
		for _, p := range s.ClusterNetworkPolicies {
			if p.Kind != "ClusterNetworkPolicy" || p.Name == "" || p.Namespace != "" || p.Spec.Tier == "" || (p.Spec.Subject.Namespaces == nil) == (p.Spec.Subject.Pods == nil) {
				t.Errorf("%s: ClusterNetworkPolicy %q: got kind %q, tier %q, subject %+v; want a named, cluster-scoped policy with a tier and one subject", s.Name, p.Name, p.Kind, p.Spec.Tier, p.Spec.Subject)
			}
		}
		for _, p := range s.AdminNetworkPolicies {
			if p.Kind != "AdminNetworkPolicy" || p.Name == "" {
				t.Errorf("%s: AdminNetworkPolicy %q: got kind %q", s.Name, p.Name, p.Kind)
			}
		}
		for _, p := range s.BaselineAdminNetworkPolicies {
			if p.Kind != "BaselineAdminNetworkPolicy" || p.Name != "default" {
				t.Errorf("%s: BaselineAdminNetworkPolicy %q: got kind %q, want one named default", s.Name, p.Name, p.Kind)
			}
		}
	}
}

// TestAllReturnsFreshCopies: callers (the e2e suite) may edit what they get.
func TestAllReturnsFreshCopies(t *testing.T) {
	first := All()
	first[0].Pods[0].Labels["pod"] = "changed"
	if got := All()[0].Pods[0].Labels["pod"]; got == "changed" {
		t.Errorf("got label %q after editing an earlier result, want a fresh copy", got)
	}
}
