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
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", o.Output, "output format: table, wide, json or yaml")
	c.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "omit table headers")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// Validate checks flags without touching the cluster.
func (o *PoliciesOptions) Validate() error {
	if err := validateOutput(o.Output, "table", "wide", "json", "yaml"); err != nil {
		return err
	}
	return o.InventoryOptions.Validate()
}

// Run prints the inventory of each snapshot source.
func (o *PoliciesOptions) Run(c *cobra.Command) error {
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "PolicyInventory", output: o.Output,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			return &outcome{doc: report.NewPolicyInventory(snap, model)}, nil
		},
		printText: func(w io.Writer, out *outcome) error {
			return report.PrintPolicyTable(w, out.doc.(*report.PolicyInventory), o.Output == "wide", o.NoHeaders)
		},
	}
	return cmd.run(c.Context())
}
