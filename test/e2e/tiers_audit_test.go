package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/scenarios"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// tierCheckFindings are the findings of the tier checks that
// testdata/audit-tiers.yaml holds one instance of each, by their objects:
// the rule at fault, then the rules it concerns.
var tierCheckFindings = []string{
	"NA080 clusternetworkpolicy/allow-cli spec.ingress[0], clusternetworkpolicy/deny-other spec.ingress[0]",
	"NA081 clusternetworkpolicy/monitoring spec.ingress[0]",
	"NA082 clusternetworkpolicy/late-deny spec.ingress[0], clusternetworkpolicy/monitoring spec.ingress[0]",
	"NA083 adminnetworkpolicy/egress-world spec.egress[0].to[0].networks[0]",
	"NA084 clusternetworkpolicy/docs-site spec.egress[0].to[0]",
}

// TestTierChecksLiveAndFiles loads one object set that triggers each of
// NA080-NA084, with ClusterNetworkPolicy v1beta1 and v1alpha2 and
// AdminNetworkPolicy v1alpha1, into an API server serving the CRDs, and
// checks that `kubectl netaudit` finds the same findings (IDs and objects)
// live and from the same file, each tier check among them, and that the
// coverage names the Baseline policy guarding the namespace without
// NetworkPolicies.
func TestTierChecksLiveAndFiles(t *testing.T) {
	// Its own API server: it runs beside the other tests of its kind.
	t.Parallel()
	const manifest = "testdata/audit-tiers.yaml"
	files, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{manifest}})
	if err != nil {
		t.Fatal(err)
	}
	c := startTierCluster(t)
	c.apply(t, scenarios.Scenario{
		Namespaces: files.Namespaces, Pods: files.Pods, Policies: files.Policies,
		ClusterNetworkPolicies: files.ClusterNetworkPolicies, AdminNetworkPolicies: files.AdminNetworkPolicies,
		BaselineAdminNetworkPolicies: files.BaselineAdminNetworkPolicies,
	}, false)

	findings := map[string][]string{}
	protected := map[string]map[string][]string{}
	for name, extra := range map[string][]string{"files": {"-f", manifest}, "live": nil} {
		r := c.run(t, append([]string{"-o", "json"}, extra...)...)
		if strings.Contains(r.stderr, "Warning") {
			t.Errorf("%s: the audit warned:\n%s", name, r.stderr)
		}
		var ar report.AuditReport
		if err := json.Unmarshal([]byte(r.stdout), &ar); err != nil {
			t.Fatalf("%s: audit -o json (exit %d): %v\n%s", name, r.code, err, r.stderr)
		}
		for _, f := range ar.Findings {
			findings[name] = append(findings[name], f.Key())
		}
		slices.Sort(findings[name])
		protected[name] = map[string][]string{}
		for _, ns := range ar.Coverage.Namespaces {
			if strings.HasPrefix(ns.Name, "at-") {
				protected[name][ns.Name] = ns.ProtectedBy
			}
		}
	}
	if !slices.Equal(findings["live"], findings["files"]) {
		t.Errorf("audit findings differ:\nlive:  %q\nfiles: %q", findings["live"], findings["files"])
	}
	for _, want := range tierCheckFindings {
		for _, name := range []string{"live", "files"} {
			if !slices.Contains(findings[name], want) {
				t.Errorf("%s: no finding %q among %q", name, want, findings[name])
			}
		}
	}
	for _, name := range []string{"live", "files"} {
		if got := protected[name]["at-other"]; !slices.Equal(got, []string{"Baseline tier: cnp/base"}) {
			t.Errorf("%s: at-other protected by %q, want the Baseline tier's cnp/base", name, got)
		}
	}
}
