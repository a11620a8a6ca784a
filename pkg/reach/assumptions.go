package reach

import (
	"strconv"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Assumptions are the choices the engine's verdicts rest on, for reports to
// list after the inventory's own (inventory.Snapshot.Assumptions).
func (m *Model) Assumptions() []inventory.Assumption {
	text := "ipBlock peers match pod IPs too (--ipblock-matches-pods=true: as on Calico and Antrea, not on Cilium)"
	if !m.opts.IPBlockMatchesPods {
		text = "ipBlock peers match no pod IP, only addresses outside the cluster (--ipblock-matches-pods=false: as on Cilium)"
	}
	out := []inventory.Assumption{{ID: inventory.AssumptionIPBlockMatchesPods, Text: text}}
	if text, ok := m.podNetworkAssumption(); ok {
		out = append(out, inventory.Assumption{ID: inventory.AssumptionPodNetwork, Text: text})
	}
	return out
}

// podNetworkAssumption says where pods without an IP were placed, when
// some pod has none or --pod-cidr was given.
func (m *Model) podNetworkAssumption() (string, bool) {
	n := 0
	for i := range m.pods {
		if len(m.pods[i].ips) == 0 && !m.pods[i].hostNetwork {
			n++
		}
	}
	if n == 0 && m.podNet.Source != PodNetworkFlag {
		return "", false
	}
	pods, are := "pods without an IP", " are"
	switch n {
	case 0:
		pods = "pods without an IP (none here)"
	case 1:
		pods, are = "1 pod without an IP", " is"
	default:
		pods = strconv.Itoa(n) + " pods without an IP"
	}
	const effect = "; an ipBlock or networks peer holding only part of it makes their verdicts depend on the IP (DEPENDS)"
	switch m.podNet.Source {
	case PodNetworkUnknown:
		return pods + " may have any address (no pod has an IP and --pod-cidr is not set): ipBlock and networks peers other than 0.0.0.0/0 and ::/0 make their verdicts depend on the IP (DEPENDS); set --pod-cidr", true
	case PodNetworkInferred:
		return pods + are + " placed in the pod network " + m.podNet.String() + ", " + PodNetworkInferred +
			" (the smallest prefix covering them per family, at least /16 or /48; set --pod-cidr to say otherwise)" + effect, true
	}
	return pods + are + " placed in the pod network " + m.podNet.String() + " (" + m.podNet.Source + ")" + effect, true
}
