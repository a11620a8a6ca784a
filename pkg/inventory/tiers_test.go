package inventory

import (
	"slices"
	"strings"
	"testing"
)

func TestFromFilesTiers(t *testing.T) {
	snap, err := FromFiles(FileOptions{Paths: []string{"testdata/tiers.yaml"}, Namespace: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range snap.ClusterNetworkPolicies {
		got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion+" ns="+p.Namespace+" tier="+string(p.Spec.Tier))
	}
	for _, p := range snap.AdminNetworkPolicies {
		got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion)
	}
	for _, p := range snap.BaselineAdminNetworkPolicies {
		got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion)
	}
	want := []string{
		"ClusterNetworkPolicy/baseline policy.networking.k8s.io/v1alpha2 ns= tier=Baseline",
		"ClusterNetworkPolicy/guard policy.networking.k8s.io/v1beta1 ns= tier=Admin",
		"AdminNetworkPolicy/legacy policy.networking.k8s.io/v1alpha1",
		"BaselineAdminNetworkPolicy/default policy.networking.k8s.io/v1alpha1",
		"BaselineAdminNetworkPolicy/other policy.networking.k8s.io/v1alpha1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got objects\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// The decoded fields, in both port spellings.
	anp := snap.AdminNetworkPolicies[0]
	if ports := *anp.Spec.Ingress[0].Ports; len(ports) != 3 || ports[0].PortNumber.Port != 80 || *ports[1].NamedPort != "http" || ports[2].PortRange.End != 2000 {
		t.Errorf("AdminNetworkPolicy ports decoded as %+v", ports)
	}
	base := snap.ClusterNetworkPolicies[0]
	if r := base.Spec.Ingress[0].Protocols[0].TCP.DestinationPort.Range; r == nil || r.Start != 80 || r.End != 90 {
		t.Errorf("ClusterNetworkPolicy port range decoded as %+v", base.Spec.Ingress[0].Protocols[0])
	}
	if p := base.Spec.Ingress[0].From[1]; p.Namespaces != nil || p.Pods != nil {
		t.Errorf("a peer with only an unknown field must stay empty, got %+v", p)
	}
	if !snap.NodesKnown || len(snap.Nodes) != 1 || snap.Nodes[0].Name != "node-1" {
		t.Errorf("got nodes %v (known %v), want node-1 from the List", snap.Nodes, snap.NodesKnown)
	}
	if !snap.HasNodesPeer() {
		t.Error("HasNodesPeer: got false, want true (guard has a nodes peer)")
	}

	wantWarnings := []string{
		`testdata/tiers.yaml: document 1 (line 24): ClusterNetworkPolicy "baseline" (policy.networking.k8s.io/v1alpha2): unknown field "spec.ingress[0].from[1].services", which`,
		`testdata/tiers.yaml: document 1 (line 24): ClusterNetworkPolicy "baseline" (policy.networking.k8s.io/v1alpha2): unknown field "spec.ingress[0].protocols[0].weight", which`,
		`testdata/tiers.yaml: document 4 (line 77): ClusterNetworkPolicy "future": apiVersion policy.networking.k8s.io/v1 is not one netaudit reads (policy.networking.k8s.io/v1beta1, v1alpha2); skipped`,
		`testdata/tiers.yaml: document 5 (line 86): BaselineAdminNetworkPolicy "other": the API accepts only one, named "default"`,
	}
	if len(snap.Warnings) != len(wantWarnings) {
		t.Fatalf("got %d warnings, want %d:\n  %s", len(snap.Warnings), len(wantWarnings), strings.Join(snap.Warnings, "\n  "))
	}
	for i, w := range wantWarnings {
		if !strings.HasPrefix(snap.Warnings[i], w) {
			t.Errorf("warning %d:\n got %s\nwant %s...", i, snap.Warnings[i], w)
		}
	}

	origins := map[string]Origin{
		OriginKey("ClusterNetworkPolicy", "", "guard"):         {File: "testdata/tiers.yaml", Document: 0, Line: 2},
		OriginKey("ClusterNetworkPolicy", "", "baseline"):      {File: "testdata/tiers.yaml", Document: 1, Line: 24},
		OriginKey("AdminNetworkPolicy", "", "legacy"):          {File: "testdata/tiers.yaml", Document: 2, Line: 45},
		OriginKey("BaselineAdminNetworkPolicy", "", "default"): {File: "testdata/tiers.yaml", Document: 3, Line: 61},
		OriginKey("Node", "", "node-1"):                        {File: "testdata/tiers.yaml", Document: 3, Line: 70},
		OriginKey("BaselineAdminNetworkPolicy", "", "other"):   {File: "testdata/tiers.yaml", Document: 5, Line: 86}, // the item, not its List
	}
	for k, want := range origins {
		if got := snap.Origins[k]; got != want {
			t.Errorf("origin of %s: got %+v, want %+v", k, got, want)
		}
	}
}
