package cmd

import (
	"github.com/spf13/pflag"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// EngineOptions are the semantic choices NetworkPolicy leaves to the CNI,
// shared by every command that computes reachability.
type EngineOptions struct {
	IPBlockMatchesPods bool
}

// NewEngineOptions sets the defaults: the behaviour of Calico, Antrea and the
// upstream e2e tests.
func NewEngineOptions() *EngineOptions {
	return &EngineOptions{IPBlockMatchesPods: reach.DefaultOptions().IPBlockMatchesPods}
}

// AddFlags binds the engine flags.
func (o *EngineOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.IPBlockMatchesPods, "ipblock-matches-pods", o.IPBlockMatchesPods,
		"ipBlock peers match in-cluster pod IPs, as on Calico, Antrea and kube-router; set false for CNIs like Cilium, where they match only traffic from outside the cluster")
}

// Build compiles the snapshot; an object the engine cannot evaluate is an
// input error naming the object and field.
func (o *EngineOptions) Build(snap *inventory.Snapshot) (*reach.Model, error) {
	m, err := reach.Build(snap, reach.Options{IPBlockMatchesPods: o.IPBlockMatchesPods})
	if err != nil {
		return nil, inputError(err, "fix the named object; the API server would reject most such values")
	}
	return m, nil
}
