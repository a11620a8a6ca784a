package inventory

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// StrictCIDRVersion is the first Kubernetes release whose API server rejects
// non-canonical CIDRs in NetworkPolicy ipBlocks by default (the
// StrictIPCIDRValidation feature gate: alpha and off in 1.33, beta and on
// from 1.36). Older servers accepted them and may still hold such objects.
const StrictCIDRVersion = "1.36"

// InvalidError is an object from a manifest that today's API server would
// reject: kubectl apply fails on it, so no cluster built from the manifests
// holds it as written.
type InvalidError struct {
	Kind, Namespace, Name string
	Errs                  field.ErrorList
}

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		msgs[i] = fieldErrorText(fe)
	}
	name := e.Name
	if e.Namespace != "" {
		name = e.Namespace + "/" + name
	}
	return fmt.Sprintf("%s %s would be rejected by the API server: %s", e.Kind, name, strings.Join(msgs, "; "))
}

// fieldErrorText is field.Error's text plus, for a CIDR the strict rules
// reject, the form to write instead.
func fieldErrorText(fe *field.Error) string {
	text := fe.Error()
	if s, ok := fe.BadValue.(string); ok && fe.Type == field.ErrorTypeInvalid && isCIDRField(fe.Field) {
		if hint := canonicalCIDRHint(s); hint != "" {
			text += " (" + hint + ")"
		}
	}
	return text
}

func isCIDRField(path string) bool {
	return strings.HasSuffix(path, ".cidr") || strings.Contains(path, ".except[")
}

// canonicalCIDRHint says what to write instead of a CIDR that parses only
// by the old, lenient rules, and since when it is rejected.
func canonicalCIDRHint(s string) string {
	ip, n, err := netutils.ParseCIDRSloppy(s)
	if err != nil {
		return ""
	}
	if _, err := netip.ParsePrefix(s); err == nil && ip.Equal(n.IP) {
		return ""
	}
	_, bits := n.Mask.Size()
	hint := fmt.Sprintf("write %q", n.String())
	if !ip.Equal(n.IP) {
		hint = fmt.Sprintf("write %q for the network, or %s/%d for the one address", n.String(), ip, bits)
	}
	return hint + "; servers before Kubernetes " + StrictCIDRVersion + " accepted it"
}

// ValidateNetworkPolicy checks a NetworkPolicy as today's API server does
// (k8s.io/kubernetes pkg/apis/networking/validation with the
// StrictIPCIDRValidation gate on, as it is by default since 1.36) on a
// create: metadata name and namespace, label selectors, peers, ipBlocks
// (canonical CIDRs; every except strictly inside its cidr), ports (numbers
// 1-65535, IANA service names, endPort only after a numeric port and not
// below it), protocols and policyTypes. It returns nothing for a valid
// object. The v1 defaults (protocol TCP) are assumed for unset fields.
func ValidateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	switch {
	case np.Name == "" && np.GenerateName == "":
		errs = append(errs, field.Required(meta.Child("name"), "name or generateName is required"))
	case np.Name != "":
		for _, msg := range validation.IsDNS1123Subdomain(np.Name) {
			errs = append(errs, field.Invalid(meta.Child("name"), np.Name, msg))
		}
	}
	if np.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(np.Namespace) {
			errs = append(errs, field.Invalid(meta.Child("namespace"), np.Namespace, msg))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(np.Labels, meta.Child("labels"))...)

	spec := field.NewPath("spec")
	sel := metav1validation.LabelSelectorValidationOptions{}
	errs = append(errs, metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, sel, spec.Child("podSelector"))...)
	for i, rule := range np.Spec.Ingress {
		p := spec.Child("ingress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePort(&rule.Ports[j], p.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			errs = append(errs, validatePeer(&rule.From[j], p.Child("from").Index(j))...)
		}
	}
	for i, rule := range np.Spec.Egress {
		p := spec.Child("egress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePort(&rule.Ports[j], p.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			errs = append(errs, validatePeer(&rule.To[j], p.Child("to").Index(j))...)
		}
	}
	types := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(np.Spec.PolicyTypes) > len(types) {
		return append(errs, field.Invalid(spec.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), t, types))
		}
	}
	return errs
}

func validatePort(port *networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if pr := port.Protocol; pr != nil && *pr != corev1.ProtocolTCP && *pr != corev1.ProtocolUDP && *pr != corev1.ProtocolSCTP {
		errs = append(errs, field.NotSupported(p.Child("protocol"), *pr, []string{string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)}))
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
			errs = append(errs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
			errs = append(errs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
		}
	}
	return errs
}

func validatePeer(peer *networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	sel := metav1validation.LabelSelectorValidationOptions{}
	n := 0
	if peer.PodSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, sel, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, sel, p.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(peer.IPBlock, p.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(p, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
	}
	return errs
}

func validateIPBlock(ib *networkingv1.IPBlock, p *field.Path) field.ErrorList {
	if ib.CIDR == "" {
		return field.ErrorList{field.Required(p.Child("cidr"), "")}
	}
	errs := validation.IsValidCIDRForLegacyField(p.Child("cidr"), ib.CIDR, true, nil)
	_, cidr, err := netutils.ParseCIDRSloppy(ib.CIDR)
	if err != nil {
		return errs
	}
	cidrLen, _ := cidr.Mask.Size()
	for i, e := range ib.Except {
		ep := p.Child("except").Index(i)
		errs = append(errs, validation.IsValidCIDRForLegacyField(ep, e, true, nil)...)
		_, except, err := netutils.ParseCIDRSloppy(e)
		if err != nil {
			continue
		}
		exceptLen, _ := except.Mask.Size()
		if !cidr.Contains(except.IP) || cidrLen >= exceptLen {
			errs = append(errs, field.Invalid(ep, e, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// warnStoredInvalid adds a warning for each policy read from a cluster that
// today's API server (or, for the tiers, today's CRD schema) would not
// accept: an older one stored it, and it is audited as stored.
func (s *Snapshot) warnStoredInvalid() {
	warn := func(kind, name string, errs field.ErrorList) {
		if len(errs) == 0 {
			return
		}
		msgs := make([]string, len(errs))
		for i, fe := range errs {
			msgs[i] = fieldErrorText(fe)
		}
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s %s would be rejected by today's API server (an older one stored it; audited as stored, the way the API server parses it): %s",
			kind, name, strings.Join(msgs, "; ")))
	}
	for i := range s.Policies {
		np := &s.Policies[i]
		warn("NetworkPolicy", np.Namespace+"/"+np.Name, ValidateNetworkPolicy(np))
	}
	for i := range s.ClusterNetworkPolicies {
		warn(KindClusterNetworkPolicy, s.ClusterNetworkPolicies[i].Name, ValidateTierSchema(&s.ClusterNetworkPolicies[i]))
	}
	for i := range s.AdminNetworkPolicies {
		warn(KindAdminNetworkPolicy, s.AdminNetworkPolicies[i].Name, ValidateTierSchema(&s.AdminNetworkPolicies[i]))
	}
	for i := range s.BaselineAdminNetworkPolicies {
		warn(KindBaselineAdminNetworkPolicy, s.BaselineAdminNetworkPolicies[i].Name, ValidateTierSchema(&s.BaselineAdminNetworkPolicies[i]))
	}
}

// tierRule is what the CRD schemas bound in one rule of a tier policy.
type tierRule struct {
	name         string
	peers, ports int
	portsSet     bool // ports/protocols given (an empty list is rejected)
}

// tierLimits are a tier kind's openAPI bounds (the kubebuilder markers of
// sigs.k8s.io/network-policy-api v0.3.0): rules per direction, peers and
// ports per rule; rule names are at most 100 characters everywhere.
type tierLimits struct {
	rules, peers, ports int
	portsField          string
	priority            bool
}

var (
	cnpLimits  = tierLimits{rules: 25, peers: 25, ports: 25, portsField: "protocols", priority: true}
	anpLimits  = tierLimits{rules: 100, peers: 100, ports: 100, portsField: "ports", priority: true}
	banpLimits = tierLimits{rules: 100, peers: 100, ports: 100, portsField: "ports"}
)

// ValidateTierSchema checks a ClusterNetworkPolicy, AdminNetworkPolicy or
// BaselineAdminNetworkPolicy against the cheap openAPI rules of its CRD:
// priority 0-1000, the most rules, peers and ports a list may hold, at
// least one peer per rule and one entry in a ports list that is given, and
// rule names of at most 100 characters. The CEL rules (CIDR forms, named
// ports with networks peers, port ranges) are left to the engine's own
// checks.
func ValidateTierSchema(obj runtime.Object) field.ErrorList {
	var (
		lim             tierLimits
		priority        int32
		ingress, egress []tierRule
	)
	switch o := obj.(type) {
	case *npav1beta1.ClusterNetworkPolicy:
		lim, priority = cnpLimits, o.Spec.Priority
		for _, r := range o.Spec.Ingress {
			ingress = append(ingress, tierRule{r.Name, len(r.From), len(r.Protocols), r.Protocols != nil})
		}
		for _, r := range o.Spec.Egress {
			egress = append(egress, tierRule{r.Name, len(r.To), len(r.Protocols), r.Protocols != nil})
		}
	case *npav1alpha1.AdminNetworkPolicy:
		lim, priority = anpLimits, o.Spec.Priority
		for _, r := range o.Spec.Ingress {
			ingress = append(ingress, tierRule{r.Name, len(r.From), portCount(r.Ports), r.Ports != nil})
		}
		for _, r := range o.Spec.Egress {
			egress = append(egress, tierRule{r.Name, len(r.To), portCount(r.Ports), r.Ports != nil})
		}
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		lim = banpLimits
		for _, r := range o.Spec.Ingress {
			ingress = append(ingress, tierRule{r.Name, len(r.From), portCount(r.Ports), r.Ports != nil})
		}
		for _, r := range o.Spec.Egress {
			egress = append(egress, tierRule{r.Name, len(r.To), portCount(r.Ports), r.Ports != nil})
		}
	default:
		return nil
	}
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if lim.priority && (priority < 0 || priority > 1000) {
		errs = append(errs, field.Invalid(spec.Child("priority"), priority, "must be from 0 to 1000"))
	}
	for _, dir := range []struct {
		name, peers string
		rules       []tierRule
	}{{"ingress", "from", ingress}, {"egress", "to", egress}} {
		p := spec.Child(dir.name)
		if len(dir.rules) > lim.rules {
			errs = append(errs, field.TooMany(p, len(dir.rules), lim.rules))
		}
		for i, r := range dir.rules {
			rp := p.Index(i)
			if len(r.name) > 100 {
				errs = append(errs, field.TooLong(rp.Child("name"), "", 100))
			}
			switch {
			case r.peers == 0:
				errs = append(errs, field.Required(rp.Child(dir.peers), "at least one peer"))
			case r.peers > lim.peers:
				errs = append(errs, field.TooMany(rp.Child(dir.peers), r.peers, lim.peers))
			}
			switch {
			case r.portsSet && r.ports == 0:
				errs = append(errs, field.Invalid(rp.Child(lim.portsField), "[]", "must have at least 1 item (leave it out to match every port)"))
			case r.ports > lim.ports:
				errs = append(errs, field.TooMany(rp.Child(lim.portsField), r.ports, lim.ports))
			}
		}
	}
	return errs
}

func portCount(p *[]npav1alpha1.AdminNetworkPolicyPort) int {
	if p == nil {
		return 0
	}
	return len(*p)
}

// tierKindName names a tier object for InvalidError.
func tierKindName(obj runtime.Object) (kind, name string) {
	switch o := obj.(type) {
	case *npav1beta1.ClusterNetworkPolicy:
		return KindClusterNetworkPolicy, o.Name
	case *npav1alpha1.AdminNetworkPolicy:
		return KindAdminNetworkPolicy, o.Name
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		return KindBaselineAdminNetworkPolicy, o.Name
	}
	return "", ""
}
