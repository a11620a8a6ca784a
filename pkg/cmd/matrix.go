package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// MatrixOptions holds the flags of `kubectl netaudit matrix`.
type MatrixOptions struct {
	*InventoryOptions
	*EngineOptions
	Output    string
	NoHeaders bool
	Pods      bool
	From, To  string
	Port      string
	GroupBy   string

	port   *report.PortFilter
	format *format
}

// formats are the matrix's -o values. CSV and dot hold one context each.
func (o *MatrixOptions) formats() formats {
	doc := func(out *outcome) *report.ReachabilityMatrix { return out.doc.(*report.ReachabilityMatrix) }
	return formats{
		textFormat("table", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintMatrixTable(w, doc(out), false, o.NoHeaders)
		}),
		textFormat("wide", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintMatrixTable(w, doc(out), true, o.NoHeaders)
		}),
		jsonFormat(),
		yamlFormat(),
		{name: "csv", ext: "csv", print: func(w io.Writer, out *outcome) error {
			return report.PrintMatrixCSV(w, doc(out), o.NoHeaders)
		}},
		{name: "dot", ext: "dot", print: func(w io.Writer, out *outcome) error {
			return report.PrintMatrixDot(w, doc(out))
		}},
		htmlFormat("Reachability matrix", matrixHTML),
	}
}

// NewMatrixOptions sets every default.
func NewMatrixOptions(inv *InventoryOptions) *MatrixOptions {
	return &MatrixOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "table"}
}

// NewMatrixCommand builds `kubectl netaudit matrix`.
func NewMatrixCommand(inv *InventoryOptions) *cobra.Command {
	o := NewMatrixOptions(inv)
	c := &cobra.Command{
		Use:   "matrix",
		Short: "Show who can talk to whom, on which ports, and with which addresses outside the cluster",
		Long: `Compute the traffic the NetworkPolicies allow between every pair of
workloads (or pods, with --pods), and between each of them and addresses
outside the cluster, with exact NetworkPolicy semantics.

A workload pair lists the ports on which at least one pod of the source
reaches at least one pod of the destination. A pod's traffic to itself is
always allowed and not listed. Pods every policy treats alike (same
namespace, labels, named ports and ipBlock matches) are evaluated once.

--group-by namespace sums the matrix up per pair of namespaces: the union
of the ports and the number of workload (or pod) pairs that allow traffic.
Pairs are printed while they are computed, so memory grows with workloads
and classes, not with pairs.

` + exitCodeHelp,
		Example: `  # Workload-to-workload matrix of the current context
  kubectl netaudit matrix

  # Who can reach the database pods on 5432, pod by pod
  kubectl netaudit matrix --pods --to prod/statefulset/db --port 5432

  # Which namespaces reach which, with how many workload pairs
  kubectl netaudit matrix --group-by namespace

  # Graph of the manifests in a folder
  kubectl netaudit matrix -f deploy/ -R -o dot | dot -Tsvg > matrix.svg`,
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
	o.formats().bind(fs, &o.Output)
	fs.BoolVar(&o.NoHeaders, "no-headers", false, "omit table and CSV headers")
	fs.BoolVar(&o.Pods, "pods", false, "one node per pod instead of per workload")
	fs.StringVar(&o.From, "from", "", "only sources in this namespace, workload (ns/kind/name) or pod (ns/pod)")
	fs.StringVar(&o.To, "to", "", "only destinations in this namespace, workload (ns/kind/name) or pod (ns/pod)")
	fs.StringVar(&o.Port, "port", "", "only traffic allowed on this port, as PORT or PORT/PROTOCOL (TCP, UDP, SCTP; default TCP)")
	fs.StringVar(&o.GroupBy, "group-by", "", "namespace: one node per namespace; each pair has the union of the ports of the workload (or pod) pairs between two namespaces and how many there are")
	_ = c.RegisterFlagCompletionFunc("group-by", cobra.FixedCompletions([]string{"namespace"}, cobra.ShellCompDirectiveNoFileComp))
	o.EngineOptions.AddFlags(fs)
	o.formats().complete(c)
	return c
}

// Complete fills the derived fields: the format, the port filter and the
// contexts to run on.
func (o *MatrixOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	if port, proto, err := parsePort(o.Port); err == nil && o.Port != "" {
		o.port = &report.PortFilter{Port: port, Protocol: proto}
	}
	return o.InventoryOptions.Complete()
}

// Validate checks flags without touching the cluster.
func (o *MatrixOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	if o.Port != "" {
		if _, _, err := parsePort(o.Port); err != nil {
			return usageErrorf("--port: %v", err)
		}
	}
	if o.GroupBy != "" && o.GroupBy != "namespace" {
		return usageErrorf("--group-by %q: the matrix groups by namespace only; use --group-by namespace, or leave it out for one node per workload (or pod)", o.GroupBy)
	}
	return o.InventoryOptions.Validate()
}

// Run computes and prints the matrix of each snapshot source.
func (o *MatrixOptions) Run(c *cobra.Command) error {
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "ReachabilityMatrix", format: o.format,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			level := reach.ByWorkload
			if o.Pods {
				level = reach.ByPod
			}
			from, err := nodeFilter(snap, "--from", o.From)
			if err != nil {
				return nil, err
			}
			to, err := nodeFilter(snap, "--to", o.To)
			if err != nil {
				return nil, err
			}
			// The pairs are computed while they are printed: a big cluster's
			// matrix has millions.
			filter := report.MatrixFilter{From: from, To: to, Port: o.port}
			if o.GroupBy == "namespace" {
				return &outcome{doc: report.NewNamespaceMatrix(snap, model.MatrixStream(level), filter)}, nil
			}
			return &outcome{doc: report.NewReachabilityMatrixStream(snap, model.MatrixStream(level), filter)}, nil
		},
	}
	return cmd.run(c.Context())
}

// nodeFilter turns --from/--to into a predicate on matrix nodes: a
// namespace, or the pods a workload or pod reference names.
func nodeFilter(snap *inventory.Snapshot, flag, ref string) (func(reach.Node) bool, error) {
	if ref == "" {
		return nil, nil
	}
	if !strings.Contains(ref, "/") {
		if snap.Namespace(ref) == nil {
			return nil, usageErrorf("%s: namespace %q not found", flag, ref)
		}
		return func(n reach.Node) bool { return n.Namespace == ref }, nil
	}
	t, err := snap.Resolve(ref)
	if err != nil {
		return nil, usageErrorf("%s: %v", flag, err)
	}
	if len(t.Pods) == 0 {
		return nil, usageErrorf("%s: %q is an address outside the cluster; the matrix lists address ranges per workload, and explain takes addresses", flag, ref)
	}
	pods := map[string]bool{}
	for _, p := range t.Pods {
		pods[p.Namespace+"/"+p.Name] = true
	}
	return func(n reach.Node) bool {
		for _, p := range n.Pods {
			if pods[n.Namespace+"/"+p] {
				return true
			}
		}
		return false
	}, nil
}

// parsePort reads PORT or PORT/PROTOCOL.
func parsePort(s string) (int32, reach.Protocol, error) {
	num, proto, found := strings.Cut(s, "/")
	p := reach.TCP
	if found {
		p = reach.Protocol(strings.ToUpper(proto))
		if p != reach.TCP && p != reach.UDP && p != reach.SCTP {
			return 0, "", fmt.Errorf("unknown protocol %q in %q: want TCP, UDP or SCTP", proto, s)
		}
	}
	var n int32
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil || fmt.Sprint(n) != num || n < 1 || n > 65535 {
		return 0, "", fmt.Errorf("invalid port %q: want a number from 1 to 65535, optionally with /TCP, /UDP or /SCTP", s)
	}
	return n, p, nil
}
