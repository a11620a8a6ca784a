package audit

import (
	"strings"
	"testing"
)

// A policy whose rules allow nothing changes no allowances, so the engine
// finds it redundant; but deleting it would only hide that the traffic it
// was written for is blocked. NA040 says that instead of "delete it".
func TestRedundantPolicyWithDeadRules(t *testing.T) {
	const base = `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: web}]}
status: {podIP: 10.0.1.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}
---
`
	tests := []struct {
		name, rule, field string
	}{
		{"peer matches no pod", "{from: [{podSelector: {matchLabels: {app: frontend}}}]}", "spec.ingress[0]"},
		{"port name resolves nowhere", "{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: grpc}]}", "spec.ingress[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAudit(t, base+"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: dead, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: ["+tt.rule+"]}\n")
			var got *Finding
			for _, f := range findingsOf(res, "NA040") {
				if strings.HasPrefix(f.Message, "shop/dead ") {
					f := f
					got = &f
				}
			}
			if got == nil {
				t.Fatalf("got NA040 findings %+v, want one for shop/dead", findingsOf(res, "NA040"))
			}
			want := "shop/dead changes no pod's allowances because 1 of its rules allows nothing: the traffic it was meant to allow is blocked"
			if got.Message != want || got.Objects[0].Field != tt.field || strings.Contains(got.Fix, "delete it") || got.Severity != Medium {
				t.Errorf("got %+v, want message %q on %s, medium, and no advice to delete", got, want, tt.field)
			}
		})
	}
	// A redundant policy whose rules allow something is still called redundant.
	res := runAudit(t, base+"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: copy, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}, {port: 8081}]}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: wider, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {}}]}]}\n")
	found := false
	for _, f := range findingsOf(res, "NA040") {
		if strings.HasPrefix(f.Message, "shop/copy is redundant") && strings.Contains(f.Fix, "delete it") {
			found = true
		}
	}
	if !found {
		t.Errorf("got NA040 findings %+v, want shop/copy called redundant", findingsOf(res, "NA040"))
	}
}
