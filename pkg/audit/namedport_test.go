package audit

import (
	"strings"
	"testing"
)

// A rule whose port entries name a port no pod it applies to declares
// matches nothing there: the open-rule checks must not call it open while
// NA033 says it allows nothing.
func TestUnresolvedNamedPortWording(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.1.1}
---
`
	policy := func(ingress string) string {
		return pod + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: [" + ingress + "]}\n"
	}
	tests := []struct {
		name, ingress string
		// open is the message of the open-rule finding (NA010-NA013), "" for none.
		open, na033 string
	}{
		{"only port unresolved, no peers", "{ports: [{port: metrics}]}", "",
			`shop/p ingress rule 1 port "metrics"/TCP resolves on none of the 1 pod it applies to: the entry matches nothing on pods without that name; the rule has no other port, so it allows nothing at all until a pod declares the name`},
		{"only port unresolved, world", "{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: metrics}]}", "", "allows nothing at all"},
		{"only port unresolved, all namespaces", "{from: [{namespaceSelector: {}}], ports: [{port: metrics}]}", "", "allows nothing at all"},
		{"one of two ports unresolved", "{ports: [{port: metrics}, {port: http}]}",
			"shop/p ingress rule 1 has no from peers: it admits every pod and every address outside the cluster to 1 pod (api) on http/TCP",
			`shop/p ingress rule 1 port "metrics"/TCP resolves on none of the 1 pod it applies to: the entry matches nothing on pods without that name`},
		{"resolved port", "{ports: [{port: http}]}",
			"shop/p ingress rule 1 has no from peers: it admits every pod and every address outside the cluster to 1 pod (api) on http/TCP", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAudit(t, policy(tt.ingress))
			var open []string
			for _, id := range []string{"NA010", "NA011", "NA012", "NA013"} {
				for _, f := range findingsOf(res, id) {
					open = append(open, f.Message)
				}
			}
			switch {
			case tt.open == "" && len(open) > 0:
				t.Errorf("got open-rule findings %q for a rule that allows nothing", open)
			case tt.open != "" && (len(open) != 1 || open[0] != tt.open):
				t.Errorf("got open-rule findings %q, want [%q]", open, tt.open)
			}
			na033 := findingsOf(res, "NA033")
			switch {
			case tt.na033 == "" && len(na033) > 0:
				t.Errorf("got NA033 %+v, want none", na033)
			case tt.na033 != "" && (len(na033) != 1 || !strings.Contains(na033[0].Message, tt.na033)):
				t.Errorf("got NA033 %+v, want one containing %q", na033, tt.na033)
			case tt.na033 != "" && strings.Contains(tt.open, "http") && strings.Contains(na033[0].Message, "at all"):
				t.Errorf("got NA033 %q: the rule's other port resolves", na033[0].Message)
			}
		})
	}
}
