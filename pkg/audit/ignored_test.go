package audit

import (
	"strings"
	"testing"
)

func TestIgnoredRules(t *testing.T) {
	const pods = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: web}]}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: db}]}
status: {podIP: 10.0.1.2}
---
`
	tests := []struct {
		name, spec string
		// want are the messages of NA034 findings, in order; fields their
		// details.
		want, details []string
	}{
		{"egress rules with policyTypes Ingress",
			"{podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}, {ports: [{port: 53, protocol: UDP}]}]}",
			[]string{"shop/p has 2 egress rules, but its policyTypes lacks Egress: the API ignores them, and this policy does not restrict the egress of the 1 pod it selects"},
			[]string{"ignored: spec.egress[0], spec.egress[1]"}},
		{"ingress rules with policyTypes Egress",
			"{podSelector: {}, policyTypes: [Egress], ingress: [{from: [{podSelector: {}}]}]}",
			[]string{"shop/p has 1 ingress rule, but its policyTypes lacks Ingress: the API ignores them, and this policy does not restrict the ingress of the 2 pods it selects"},
			[]string{"ignored: spec.ingress[0]"}},
		{"no policyTypes: both count", "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}], egress: [{to: [{podSelector: {}}]}]}", nil, nil},
		{"both listed", "{podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}]}", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAudit(t, pods+"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: "+tt.spec+"\n")
			got := findingsOf(res, "NA034")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d NA034 findings %+v, want %d", len(got), got, len(tt.want))
			}
			for i, f := range got {
				if f.Message != tt.want[i] {
					t.Errorf("got message %q, want %q", f.Message, tt.want[i])
				}
				if strings.Join(f.Details, "; ") != tt.details[i] {
					t.Errorf("got details %q, want %q", f.Details, tt.details[i])
				}
				if f.Severity != Medium || f.Objects[0].Field != "spec.policyTypes" || !strings.Contains(f.Fix, "spec.policyTypes") {
					t.Errorf("got %+v, want a medium finding on spec.policyTypes saying how to fix it", f)
				}
			}
		})
	}
}
