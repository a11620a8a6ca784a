package audit

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func truncateList(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// portsText renders a rule's ports as written: "all ports", or
// "8080/TCP, http/TCP, 53/UDP, 1000-2000/TCP".
func portsText(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return "all ports"
	}
	var out []string
	for _, p := range ports {
		proto := "TCP"
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		switch {
		case p.Port == nil:
			out = append(out, "all/"+proto)
		case p.EndPort != nil:
			out = append(out, fmt.Sprintf("%s-%d/%s", p.Port.String(), *p.EndPort, proto))
		default:
			out = append(out, p.Port.String()+"/"+proto)
		}
	}
	return strings.Join(out, ", ")
}

func selectorText(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return "{}"
	}
	return metav1.FormatLabelSelector(s)
}

// rules gives uniform access to a policy's ingress or egress rules.
type ruleView struct {
	dir   string // "ingress" or "egress"
	index int
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

func (r ruleView) field() string { return fmt.Sprintf("spec.%s[%d]", r.dir, r.index) }

func (r ruleView) peerField(i int) string {
	word := "from"
	if r.dir == "egress" {
		word = "to"
	}
	return fmt.Sprintf("%s.%s[%d]", r.field(), word, i)
}

// label is "ingress rule 1" (1-based, as people count).
func (r ruleView) label() string { return fmt.Sprintf("%s rule %d", r.dir, r.index+1) }

func rulesOf(np *networkingv1.NetworkPolicy) []ruleView {
	var out []ruleView
	for i, r := range np.Spec.Ingress {
		out = append(out, ruleView{dir: "ingress", index: i, peers: r.From, ports: r.Ports})
	}
	for i, r := range np.Spec.Egress {
		out = append(out, ruleView{dir: "egress", index: i, peers: r.To, ports: r.Ports})
	}
	return out
}
