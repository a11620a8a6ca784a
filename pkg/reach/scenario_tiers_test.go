package reach_test

import (
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/scenarios"
)

// tierScenarioSnapshot builds the snapshot of a tier scenario.
func tierScenarioSnapshot(s scenarios.Scenario) *inventory.Snapshot {
	snap := &inventory.Snapshot{
		Namespaces: s.Namespaces, Pods: s.Pods, Policies: s.Policies,
		ClusterNetworkPolicies: s.ClusterNetworkPolicies, AdminNetworkPolicies: s.AdminNetworkPolicies,
		BaselineAdminNetworkPolicies: s.BaselineAdminNetworkPolicies, Nodes: s.Nodes, NodesKnown: s.NodesKnown,
	}
	snap.Sort()
	return snap
}

func expectedOutcomes(e scenarios.Expectation) outcomes {
	switch {
	case e.Undefined:
		return outcomes{allow: true, deny: true}
	case e.Allowed:
		return outcomes{allow: true}
	}
	return outcomes{deny: true}
}

// TestTierScenarios checks the tier truth tables against the reference
// evaluator and against the engine.
func TestTierScenarios(t *testing.T) {
	for _, s := range scenarios.Tiers() {
		t.Run(s.Name, func(t *testing.T) {
			snap := tierScenarioSnapshot(s)
			opts := reach.Options{IPBlockMatchesPods: !s.IPBlocksExcludePods}
			m := build(t, snap, opts)
			ref := newRefTierCtx(snap)
			for _, e := range s.Expectations {
				want := expectedOutcomes(e)
				if got := ref.evaluate(refOpts(opts), refEndIn(snap, e.From), refEndIn(snap, e.To), e.Port, e.Protocol); got != want {
					t.Errorf("%s: reference says %s", e, got)
				}
				v := m.Verdict(endpoint(t, m, e.From), endpoint(t, m, e.To), e.Port, reach.Protocol(e.Protocol))
				got, err := engineOutcomes(v)
				if err != nil || got != want {
					t.Errorf("%s: engine says %s (%v)\n  egress: %s\n  ingress: %s", e, got, err, describe(v.Egress), describe(v.Ingress))
				}
			}
		})
	}
}
