package cmd

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// ExplainOptions holds the flags of `kubectl netaudit explain`.
type ExplainOptions struct {
	*InventoryOptions
	*EngineOptions
	Output   string
	From, To string
	Port     string

	format *format
}

// formats are explain's -o values.
func (o *ExplainOptions) formats() formats {
	return formats{
		textFormat("text", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintExplanation(w, out.doc.(*report.Explanation))
		}),
		jsonFormat(),
		yamlFormat(),
	}
}

// NewExplainOptions sets every default.
func NewExplainOptions(inv *InventoryOptions) *ExplainOptions {
	return &ExplainOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "text"}
}

// NewExplainCommand builds `kubectl netaudit explain`.
func NewExplainCommand(inv *InventoryOptions) *cobra.Command {
	o := NewExplainOptions(inv)
	c := &cobra.Command{
		Use:   "explain --from A --to B --port PORT[/PROTOCOL]",
		Short: "Say whether A may reach B on a port, and which policies and rules decide it",
		Long: `Decide whether traffic from A to B on PORT is allowed, and say why for
each direction: whether the source is egress-isolated and by which policies,
whether the destination is ingress-isolated, and which policy, rule, peer and
port allow it (or that none does).

A and B are a pod (namespace/pod), a workload (namespace/kind/name, e.g.
prod/deployment/web) or an IP address. An address owned by one pod is that
pod; any other address is outside the cluster. For a workload every pod pair
is evaluated: the answer is ALLOWED only if all are, PARTIAL if some are.
PROTOCOL is TCP (default), UDP or SCTP.

` + exitCodeHelp,
		Example: `  # May the web pods reach the database?
  kubectl netaudit explain --from prod/deployment/web --to prod/statefulset/db --port 5432

  # May a pod reach an address outside the cluster over UDP?
  kubectl netaudit explain --from prod/api-7d9f8c-x2x4z --to 203.0.113.5 --port 53/UDP -o json`,
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
	fs := c.Flags()
	fs.StringVar(&o.From, "from", "", "source: namespace/pod, namespace/kind/name or an IP address (required)")
	fs.StringVar(&o.To, "to", "", "destination: namespace/pod, namespace/kind/name or an IP address (required)")
	fs.StringVar(&o.Port, "port", "", "destination port as PORT or PORT/PROTOCOL (required)")
	o.formats().bind(fs, &o.Output)
	o.EngineOptions.AddFlags(fs)
	o.formats().complete(c)
	targets := func(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return o.InventoryOptions.completeTargets(c.Context(), toComplete)
	}
	_ = c.RegisterFlagCompletionFunc("from", targets)
	_ = c.RegisterFlagCompletionFunc("to", targets)
	return c
}

// completeTargets offers the workloads and pods of the inventory the other
// flags name (-f, -k, -n, --context, ...), read as the command would read
// it but within one request timeout (--request-timeout, 30s by default), so
// that a TAB never hangs on a black-holed server. Nothing is printed: a
// failed read offers nothing. Standard input is never read.
func (o *InventoryOptions) completeTargets(ctx context.Context, toComplete string) ([]string, cobra.ShellCompDirective) {
	const directive = cobra.ShellCompDirectiveNoFileComp
	if slices.Contains(o.Filenames, "-") {
		return nil, directive
	}
	if ctx == nil {
		ctx = context.Background()
	}
	timeout := defaultRequestTimeout
	if cfg, err := o.ConfigFlags.ToRESTConfig(); err == nil && cfg.Timeout > 0 {
		timeout = cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	quiet := *o
	quiet.progress = nil
	snap, err := quiet.load(ctx)
	if err != nil {
		return nil, directive
	}
	var out []string
	for _, name := range snap.TargetNames() {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return out, directive
}

// Complete fills the derived fields: the format and the contexts to run on.
func (o *ExplainOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	return o.InventoryOptions.Complete()
}

// Validate checks flags without touching the cluster.
func (o *ExplainOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	for flag, v := range map[string]string{"--from": o.From, "--to": o.To, "--port": o.Port} {
		if v == "" {
			return usageErrorf("%s is required", flag)
		}
	}
	if _, _, err := parsePort(o.Port); err != nil {
		return usageErrorf("--port: %v", err)
	}
	for flag, v := range map[string]string{"--from": o.From, "--to": o.To} {
		if p, err := netip.ParsePrefix(v); err == nil {
			return &Error{Code: ExitUsage, Err: errorf("%s %s: explain takes one address, not a range", flag, v),
				Hint: fmt.Sprintf("give one address inside it, e.g. %s %s; 'kubectl netaudit matrix' lists the ranges each workload reaches", flag, p.Addr().Next())}
		}
	}
	return o.InventoryOptions.Validate()
}

// Run explains the verdict on each snapshot source.
func (o *ExplainOptions) Run(c *cobra.Command) error {
	port, proto, _ := parsePort(o.Port)
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "Explanation", format: o.format,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			from, err := resolve(snap, "--from", o.From)
			if err != nil {
				return nil, err
			}
			to, err := resolve(snap, "--to", o.To)
			if err != nil {
				return nil, err
			}
			return &outcome{doc: report.Explain(snap, model, from, to, port, proto)}, nil
		},
	}
	return cmd.run(c.Context())
}

func resolve(snap *inventory.Snapshot, flag, ref string) (inventory.Target, error) {
	t, err := snap.Resolve(ref)
	if err != nil {
		return t, &Error{Code: ExitUsage, Err: errorf("%s: %v", flag, err), Hint: "list pods with 'kubectl get pods -n NAMESPACE', or check the namespace with -n/--context/-f"}
	}
	return t, nil
}
