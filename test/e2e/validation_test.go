package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Policies the API server rejects are an input error when read from files,
// naming the file, the object and the field; the same envtest API server
// rejects each one, so the two stay in step.
func TestInvalidPoliciesFromFiles(t *testing.T) {
	tests := []struct {
		name, spec, field string
	}{
		{"except outside cidr", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}", "spec.ingress[0].from[0].ipBlock.except[0]"},
		{"host bits", "{podSelector: {}, egress: [{to: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.1/8}}]}]}", "spec.egress[0].to[1].ipBlock.cidr"},
		{"leading zeros", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 010.0.0.0/8}}]}]}", "spec.ingress[0].from[0].ipBlock.cidr"},
		{"port name", "{podSelector: {}, ingress: [{ports: [{port: Web_Port}]}]}", "spec.ingress[0].ports[0].port"},
		{"endPort below port", "{podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}", "spec.ingress[0].ports[0].endPort"},
		{"policyTypes", "{podSelector: {}, policyTypes: [Inbound]}", "spec.policyTypes[0]"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("invalid-%d", i)
			doc := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: default}\nspec: " + tt.spec + "\n"
			file := writeFile(t, name+".yaml", doc)
			if r := kubectl(t, "", "apply", "--dry-run=server", "-f", file); r.code == 0 || !strings.Contains(r.stderr, tt.field) {
				t.Fatalf("the API server: exit %d, stderr %q; want it to reject %s", r.code, r.stderr, tt.field)
			}
			r := netaudit(t, 3, "-f", file)
			for _, want := range []string{file + ": document 0 (line 1): NetworkPolicy default/" + name + " would be rejected by the API server", tt.field, "Hint: fix the named fields"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("got stderr %q, want it to contain %q", r.stderr, want)
				}
			}
		})
	}
}
