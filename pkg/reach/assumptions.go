package reach

import "github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"

// Assumptions are the choices the engine's verdicts rest on, for reports to
// list after the inventory's own (inventory.Snapshot.Assumptions).
func (m *Model) Assumptions() []inventory.Assumption {
	text := "ipBlock peers match pod IPs too (--ipblock-matches-pods=true: as on Calico and Antrea, not on Cilium)"
	if !m.opts.IPBlockMatchesPods {
		text = "ipBlock peers match no pod IP, only addresses outside the cluster (--ipblock-matches-pods=false: as on Cilium)"
	}
	return []inventory.Assumption{{ID: inventory.AssumptionIPBlockMatchesPods, Text: text}}
}
