package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// PolicyInventory is the document `kubectl netaudit policies -o json` writes.
type PolicyInventory struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Source     inventory.Source `json:"source"`
	Policies   []PolicySummary  `json:"policies"`
	// ClusterPolicies are the cluster-wide tiers (ClusterNetworkPolicy,
	// AdminNetworkPolicy, BaselineAdminNetworkPolicy) in the order they
	// are consulted.
	ClusterPolicies []ClusterPolicySummary `json:"clusterPolicies,omitempty"`
	Namespaces      []NamespaceSummary     `json:"namespaces"`
	// Assumptions are what the inventory assumed and left out.
	Assumptions []inventory.Assumption `json:"assumptions"`
	// OutsidePolicies count the policies of kinds outside the model
	// (Cilium, Calico, Antrea, MultiNetworkPolicy) per kind and namespace.
	OutsidePolicies []inventory.OutsidePolicies `json:"outsidePolicies,omitempty"`
	Warnings        []string                    `json:"warnings,omitempty"`
}

// ClusterPolicySummary is one cluster-wide policy as the inventory shows it.
type ClusterPolicySummary struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Name       string `json:"name"`
	Tier       string `json:"tier"`
	// Priority orders the policy within its tier (ascending); a
	// BaselineAdminNetworkPolicy has none and is consulted last.
	Priority *int32 `json:"priority,omitempty"`
	// Subject is "namespaces SEL" or "pods namespaceSelector SEL,
	// podSelector SEL".
	Subject      string   `json:"subject"`
	SelectedPods []string `json:"selectedPods"` // ns/name
	PodCount     int      `json:"podCount"`
	IngressRules int      `json:"ingressRules"`
	EgressRules  int      `json:"egressRules"`
}

// PolicySummary is one NetworkPolicy as the inventory shows it.
type PolicySummary struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// PolicyTypes are the effective types, after the API server's defaulting.
	PolicyTypes []string `json:"policyTypes"`
	// PodSelector in label-selector syntax; "" selects every pod of the namespace.
	PodSelector  string   `json:"podSelector"`
	SelectedPods []string `json:"selectedPods"`
	PodCount     int      `json:"podCount"`
	// IngressRules and EgressRules count the rules that take effect;
	// IgnoredRules those the API ignores because policyTypes lacks their
	// direction (audit check NA034).
	IngressRules int `json:"ingressRules"`
	EgressRules  int `json:"egressRules"`
	IgnoredRules int `json:"ignoredRules,omitempty"`
}

// NamespaceSummary says, per namespace, how much policy there is.
type NamespaceSummary struct {
	Name     string `json:"name"`
	Pods     int    `json:"pods"`
	Policies int    `json:"policies"`
	// PodsSelected counts pods at least one policy selects; 0 means every
	// pod of the namespace is open both ways.
	PodsSelected int `json:"podsSelected"`
	// TierSelected counts pods some cluster-wide policy selects.
	TierSelected int `json:"tierSelected,omitempty"`
	// OutsidePolicies counts the policies of kinds outside the model that
	// may apply to the namespace's pods (its own and cluster-wide ones).
	OutsidePolicies int `json:"outsidePolicies,omitempty"`
}

// NewPolicyInventory summarises the snapshot's policies.
func NewPolicyInventory(snap *inventory.Snapshot, model *reach.Model) *PolicyInventory {
	inv := &PolicyInventory{
		APIVersion: APIVersion,
		Kind:       "PolicyInventory",
		Source:     snap.Source,
		Policies:   []PolicySummary{},
		Namespaces: []NamespaceSummary{},
		Warnings:   snap.Warnings,

		Assumptions:     assumptionsOf(snap),
		OutsidePolicies: snap.OutsidePolicies,
	}
	selected := map[string]bool{} // ns/pod
	perNS := map[string]*NamespaceSummary{}
	for _, ns := range snap.Namespaces {
		if snap.Source.Namespace != "" && ns.Name != snap.Source.Namespace {
			continue
		}
		inv.Namespaces = append(inv.Namespaces, NamespaceSummary{Name: ns.Name})
	}
	for i := range inv.Namespaces {
		perNS[inv.Namespaces[i].Name] = &inv.Namespaces[i]
	}
	for i := range snap.Pods {
		if s := perNS[snap.Pods[i].Namespace]; s != nil {
			s.Pods++
		}
	}
	for i := range snap.Policies {
		np := &snap.Policies[i]
		pods := model.SelectedPods(reach.NetworkPolicyRef(np.Namespace, np.Name))
		ps := PolicySummary{
			Kind:         reach.KindNetworkPolicy,
			Namespace:    np.Namespace,
			Name:         np.Name,
			PolicyTypes:  reach.EffectiveTypeNames(np),
			PodSelector:  selectorString(&np.Spec.PodSelector),
			SelectedPods: []string{},
			PodCount:     len(pods),
		}
		if pol := model.Policy(reach.NetworkPolicyRef(np.Namespace, np.Name)); pol != nil {
			ps.IngressRules, ps.EgressRules = len(pol.Rules[reach.Ingress]), len(pol.Rules[reach.Egress])
			ps.IgnoredRules = len(pol.Inactive[reach.Ingress]) + len(pol.Inactive[reach.Egress])
		}
		for _, p := range pods {
			ps.SelectedPods = append(ps.SelectedPods, p.Name)
			selected[p.Namespace+"/"+p.Name] = true
		}
		inv.Policies = append(inv.Policies, ps)
		if s := perNS[np.Namespace]; s != nil {
			s.Policies++
		}
	}
	tierSelected := map[string]bool{}
	for _, pol := range model.Policies() {
		if !pol.ClusterScoped() {
			continue
		}
		pods := model.SelectedPods(pol.Ref)
		cs := ClusterPolicySummary{
			Kind:         pol.Ref.Kind,
			APIVersion:   pol.APIVersion,
			Name:         pol.Ref.Name,
			Tier:         pol.Tier.String(),
			Subject:      subjectText(&pol),
			SelectedPods: []string{},
			PodCount:     len(pods),
			IngressRules: len(pol.Rules[reach.Ingress]),
			EgressRules:  len(pol.Rules[reach.Egress]),
		}
		if pol.Ref.Kind != reach.KindBaselineAdminNetworkPolicy {
			prio := pol.Priority
			cs.Priority = &prio
		}
		for _, p := range pods {
			cs.SelectedPods = append(cs.SelectedPods, p.Namespace+"/"+p.Name)
			tierSelected[p.Namespace+"/"+p.Name] = true
		}
		inv.ClusterPolicies = append(inv.ClusterPolicies, cs)
	}
	for i := range snap.Pods {
		p := &snap.Pods[i]
		s := perNS[p.Namespace]
		if s == nil {
			continue
		}
		if selected[p.Namespace+"/"+p.Name] {
			s.PodsSelected++
		}
		if tierSelected[p.Namespace+"/"+p.Name] {
			s.TierSelected++
		}
	}
	for i := range inv.Namespaces {
		for _, c := range snap.OutsidePoliciesIn(inv.Namespaces[i].Name) {
			inv.Namespaces[i].OutsidePolicies += c.Count
		}
	}
	return inv
}

func subjectText(p *reach.Policy) string {
	sel := func(s interface{ String() string }) string {
		if t := s.String(); t != "" {
			return t
		}
		return "{}"
	}
	if p.PodSelector == nil || p.PodSelector.Empty() {
		return "namespaces " + sel(p.NamespaceSelector)
	}
	return "pods namespaceSelector " + sel(p.NamespaceSelector) + ", podSelector " + sel(p.PodSelector)
}

func selectorString(sel *metav1.LabelSelector) string {
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		return ""
	}
	return metav1.FormatLabelSelector(sel)
}

// PrintPolicyTable writes the policies, then a summary per namespace.
func PrintPolicyTable(w io.Writer, inv *PolicyInventory, wide, noHeaders bool) error {
	t := &Table{NoHeaders: noHeaders, Headers: []string{"NAMESPACE", "NAME", "POLICY-TYPES", "POD-SELECTOR", "PODS", "INGRESS-RULES", "EGRESS-RULES"}}
	if wide {
		t.Headers = append(t.Headers, "SELECTED-PODS")
	}
	for _, p := range inv.Policies {
		sel := p.PodSelector
		if sel == "" {
			sel = "<all pods>"
		}
		in, eg := strconv.Itoa(p.IngressRules), strconv.Itoa(p.EgressRules)
		if p.IgnoredRules > 0 {
			// Say where the rules the API ignores went, next to the count
			// of the direction they were written for.
			types := strings.Join(p.PolicyTypes, ",")
			note := fmt.Sprintf(" (+%d ignored)", p.IgnoredRules)
			if !strings.Contains(types, "Ingress") {
				in += note
			} else {
				eg += note
			}
		}
		row := []string{p.Namespace, p.Name, strings.Join(p.PolicyTypes, ","), sel, strconv.Itoa(p.PodCount), in, eg}
		if wide {
			row = append(row, orNone(strings.Join(p.SelectedPods, ",")))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(inv.Policies) == 0 {
		fmt.Fprintln(w, "No NetworkPolicies found.")
	} else if err := t.Render(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(inv.ClusterPolicies) > 0 {
		ct := &Table{NoHeaders: noHeaders, Headers: []string{"KIND", "NAME", "TIER", "PRIORITY", "SUBJECT", "PODS", "INGRESS-RULES", "EGRESS-RULES"}}
		if wide {
			ct.Headers = append(ct.Headers, "SELECTED-PODS")
		}
		for _, p := range inv.ClusterPolicies {
			prio := "-"
			if p.Priority != nil {
				prio = strconv.Itoa(int(*p.Priority))
			}
			row := []string{p.Kind, p.Name, p.Tier, prio, p.Subject, strconv.Itoa(p.PodCount), strconv.Itoa(p.IngressRules), strconv.Itoa(p.EgressRules)}
			if wide {
				row = append(row, orNone(strings.Join(p.SelectedPods, ",")))
			}
			ct.Rows = append(ct.Rows, row)
		}
		if err := ct.Render(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	ns := &Table{NoHeaders: noHeaders, Headers: []string{"NAMESPACE", "PODS", "POLICIES", "PODS-SELECTED", "STATUS"}}
	for _, n := range inv.Namespaces {
		ns.Rows = append(ns.Rows, []string{n.Name, strconv.Itoa(n.Pods), strconv.Itoa(n.Policies), fmt.Sprintf("%d/%d", n.PodsSelected, n.Pods), namespaceStatus(n)})
	}
	if err := ns.Render(w); err != nil {
		return err
	}
	printAssumptionsAfter(w, inv.Assumptions)
	return nil
}

func namespaceStatus(n NamespaceSummary) string {
	s := selectionStatus(n)
	if n.OutsidePolicies > 0 {
		s += fmt.Sprintf("; %d %s outside the model may apply", n.OutsidePolicies, map[bool]string{true: "policy", false: "policies"}[n.OutsidePolicies == 1])
	}
	return s
}

func selectionStatus(n NamespaceSummary) string {
	switch {
	case n.Pods == 0:
		return "no pods"
	case n.PodsSelected == 0 && n.TierSelected > 0:
		return fmt.Sprintf("no NetworkPolicy; cluster-wide policies select %d/%d pods", n.TierSelected, n.Pods)
	case n.PodsSelected == 0:
		return "open: no pod selected by any policy"
	case n.PodsSelected < n.Pods:
		return "partial: some pods selected by no policy"
	}
	return "every pod selected"
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
