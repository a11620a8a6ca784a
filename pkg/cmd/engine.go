package cmd

import (
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// EngineOptions are the semantic choices NetworkPolicy leaves to the CNI,
// shared by every command that computes reachability.
type EngineOptions struct {
	IPBlockMatchesPods bool
	// PodCIDRs is --pod-cidr: the pod network, where pods without an IP
	// are placed.
	PodCIDRs []string
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
	fs.StringSliceVar(&o.PodCIDRs, "pod-cidr", o.PodCIDRs,
		"the pod network (repeatable or comma-separated, IPv4 and IPv6), where pods without an IP (templates, pending pods) are placed; default: the nodes' spec.podCIDRs when Node objects were read, else the smallest prefix covering the pods' IPs (at least /16, or /48 for IPv6)")
}

// options turns the flags into the engine's Options.
func (o *EngineOptions) options() (reach.Options, error) {
	opts := reach.Options{IPBlockMatchesPods: o.IPBlockMatchesPods}
	for _, c := range o.PodCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return opts, usageErrorf("--pod-cidr %q: want a CIDR such as 10.244.0.0/16 or fd00:10:244::/56", c)
		}
		opts.PodCIDRs = append(opts.PodCIDRs, p.Masked())
	}
	return opts, nil
}

// Build compiles the snapshot; an object the engine cannot evaluate is an
// input error naming the object and field.
func (o *EngineOptions) Build(snap *inventory.Snapshot) (*reach.Model, error) {
	opts, err := o.options()
	if err != nil {
		return nil, err
	}
	m, err := reach.Build(snap, opts)
	if err != nil {
		return nil, inputError(err, "fix the named object; the API server would reject most such values")
	}
	return m, nil
}
