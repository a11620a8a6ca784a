package cmd

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// PoliciesOptions holds the flags of `kubectl netaudit policies`.
type PoliciesOptions struct {
	*InventoryOptions
	*EngineOptions
	Output    string
	NoHeaders bool
	format    *format
}

// formats are the -o values of policies.
func (o *PoliciesOptions) formats() formats {
	return formats{
		textFormat("table", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintPolicyTable(w, out.doc.(*report.PolicyInventory), false, o.NoHeaders)
		}),
		textFormat("wide", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintPolicyTable(w, out.doc.(*report.PolicyInventory), true, o.NoHeaders)
		}),
		jsonFormat(),
		yamlFormat(),
	}
}

// NewPoliciesOptions sets every default.
func NewPoliciesOptions(inv *InventoryOptions) *PoliciesOptions {
	return &PoliciesOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "table"}
}

// NewPoliciesCommand builds `kubectl netaudit policies`.
func NewPoliciesCommand(inv *InventoryOptions) *cobra.Command {
	o := NewPoliciesOptions(inv)
	c := &cobra.Command{
		Use:     "policies",
		Aliases: []string{"policy", "netpol", "netpols"},
		Short:   "List NetworkPolicies with the pods they select, and which namespaces have none",
		Long: `List every NetworkPolicy with its effective policy types (after the API
server's defaulting: Ingress always, Egress only when egress rules exist or
policyTypes says so), its pod selector, how many pods it selects and how many
ingress and egress rules it has. A summary per namespace follows: pods,
policies, and how many pods any policy selects at all.

` + exitCodeHelp,
		Example: `  # Every policy in the current context
  kubectl netaudit policies

  # One namespace, with the selected pods
  kubectl netaudit policies -n prod -o wide

  # Manifests instead of a cluster, as JSON
  kubectl netaudit policies -f manifests/ -R -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c)
		},
	}
	o.formats().bind(c.Flags(), &o.Output)
	c.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "omit table headers")
	o.formats().complete(c)
	return c
}

// Complete fills the derived fields: the format and the contexts to run on.
func (o *PoliciesOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	return o.InventoryOptions.Complete()
}

// Validate checks flags without touching the cluster.
func (o *PoliciesOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	return o.InventoryOptions.Validate()
}

// Run prints the inventory of each snapshot source.
func (o *PoliciesOptions) Run(c *cobra.Command) error {
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "PolicyInventory", format: o.format, noVerdicts: true,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			return &outcome{doc: report.NewPolicyInventory(snap, model)}, nil
		},
	}
	return cmd.run(c.Context())
}
