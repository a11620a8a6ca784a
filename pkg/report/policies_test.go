package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Rules the API ignores (policyTypes lacks their direction) are not counted
// as rules of the policy; the table says how many were ignored.
func TestPolicyInventoryCountsOnlyActiveRules(t *testing.T) {
	const manifests = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
  egress: [{to: [{podSelector: {}}]}, {ports: [{port: 53, protocol: UDP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: both, namespace: shop}
spec:
  podSelector: {}
  ingress: [{}]
  egress: [{}]
`
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	inv := NewPolicyInventory(snap, model)
	want := map[string][3]int{ // ingress, egress, ignored
		"ingress-only": {1, 0, 2},
		"egress-only":  {0, 0, 1},
		"both":         {1, 1, 0},
	}
	for _, p := range inv.Policies {
		if got := [3]int{p.IngressRules, p.EgressRules, p.IgnoredRules}; got != want[p.Name] {
			t.Errorf("%s: got ingress, egress, ignored rules %v, want %v", p.Name, got, want[p.Name])
		}
	}
	var out bytes.Buffer
	if err := PrintPolicyTable(&out, inv, false, false); err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]string{
		{"shop", "ingress-only", "Ingress", "<all pods>", "0", "1", "0 (+2 ignored)"},
		{"shop", "egress-only", "Egress", "<all pods>", "0", "0 (+1 ignored)", "0"},
	} {
		found := false
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Join(strings.Fields(line), " ") == strings.Join(row, " ") {
				found = true
			}
		}
		if !found {
			t.Errorf("table lacks the row %q:\n%s", row, out.String())
		}
	}
}
