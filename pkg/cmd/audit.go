package cmd

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/version"
)

// AuditOptions holds the flags of `kubectl netaudit` itself: the audit.
type AuditOptions struct {
	*InventoryOptions
	*EngineOptions
	Output         string
	NoHeaders      bool
	FailOn         string
	Ignore         string
	WriteBaseline  string
	Only, Skip     []string
	WideIPv4Prefix int
	WideIPv6Prefix int

	failOn *audit.Severity
	format *format
	// multi: several contexts run, so baseline entries name theirs.
	multi bool
}

// formats are the audit's -o values.
func (o *AuditOptions) formats() formats {
	rep := func(out *outcome) *report.AuditReport { return out.doc.(*report.AuditReport) }
	return formats{
		textFormat("table", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintAuditTable(w, rep(out), false, o.NoHeaders)
		}),
		textFormat("wide", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintAuditTable(w, rep(out), true, o.NoHeaders)
		}),
		jsonFormat(),
		yamlFormat(),
		{
			name: "sarif", ext: "sarif",
			print: func(w io.Writer, out *outcome) error {
				return report.WriteSARIF(w, rep(out), out.snap, versionString())
			},
			// One SARIF log, one run per context.
			many: func(w io.Writer, _ *command, runs []contextRun) error {
				var audits []report.SARIFInput
				for _, r := range runs {
					if r.err != nil {
						audits = append(audits, report.SARIFInput{Context: r.name, Error: contextError(r.err)})
					} else {
						audits = append(audits, report.SARIFInput{Context: r.name, Report: rep(r.out), Snap: r.out.snap})
					}
				}
				return report.WriteSARIFRuns(w, audits, versionString())
			},
		},
		textFormat("markdown", "md", markdownHeader, func(w io.Writer, out *outcome) error {
			return report.PrintAuditMarkdown(w, rep(out))
		}),
		htmlFormat("Audit", auditHTML),
	}
}

// NewAuditOptions sets every default.
func NewAuditOptions(inv *InventoryOptions) *AuditOptions {
	cfg := audit.DefaultConfig()
	return &AuditOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "table", FailOn: "none",
		WideIPv4Prefix: cfg.WideIPv4Prefix, WideIPv6Prefix: cfg.WideIPv6Prefix}
}

// AddFlags binds the audit's flags.
func (o *AuditOptions) AddFlags(fs *pflag.FlagSet) {
	o.formats().bind(fs, &o.Output)
	fs.BoolVar(&o.NoHeaders, "no-headers", false, "omit table headers")
	fs.StringVar(&o.FailOn, "fail-on", o.FailOn, "exit 1 when a finding of this severity or above remains: high, medium, low, info or none")
	fs.StringVar(&o.Ignore, "ignore", "", "baseline file of accepted findings (written by --write-baseline); they are counted but not listed and do not fail the run")
	fs.StringVar(&o.WriteBaseline, "write-baseline", "", "write the current findings to this file as a baseline for --ignore")
	fs.StringSliceVar(&o.Only, "only", nil, "run only these checks (IDs or names, comma-separated; see 'kubectl netaudit checks')")
	fs.StringSliceVar(&o.Skip, "skip", nil, "skip these checks (IDs or names, comma-separated)")
	fs.IntVar(&o.WideIPv4Prefix, "wide-cidr-prefix", o.WideIPv4Prefix, "report IPv4 ipBlocks with this prefix length or shorter as open to the world")
	fs.IntVar(&o.WideIPv6Prefix, "wide-cidr6-prefix", o.WideIPv6Prefix, "report IPv6 ipBlocks with this prefix length or shorter as open to the world")
	o.EngineOptions.AddFlags(fs)
}

// Complete fills the derived fields: the format, the --fail-on severity and
// the contexts to run on.
func (o *AuditOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	if s, err := audit.ParseSeverity(o.FailOn); err == nil && o.FailOn != "none" {
		o.failOn = &s
	}
	if err := o.InventoryOptions.Complete(); err != nil {
		return err
	}
	o.multi = o.contexts != nil
	return nil
}

// Validate checks flags without touching the cluster.
func (o *AuditOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	if o.FailOn != "none" {
		if _, err := audit.ParseSeverity(o.FailOn); err != nil {
			return usageErrorf("--fail-on: %v, or none", err)
		}
	}
	if o.WideIPv4Prefix < 0 || o.WideIPv4Prefix > 32 || o.WideIPv6Prefix < 0 || o.WideIPv6Prefix > 128 {
		return usageErrorf("--wide-cidr-prefix must be 0-32 and --wide-cidr6-prefix 0-128")
	}
	if _, err := o.config().Selected(); err != nil {
		return usageErrorf("--only/--skip: %v", err)
	}
	return o.InventoryOptions.Validate()
}

func (o *AuditOptions) config() audit.Config {
	return audit.Config{WideIPv4Prefix: o.WideIPv4Prefix, WideIPv6Prefix: o.WideIPv6Prefix, Only: o.Only, Skip: o.Skip}
}

// Run audits each snapshot source and prints the reports; the answer is
// "no" when findings reach --fail-on.
func (o *AuditOptions) Run(c *cobra.Command) error {
	var baseline *audit.Baseline
	if o.Ignore != "" {
		b, err := readBaseline(o.Ignore)
		if err != nil {
			return err
		}
		baseline = b
	}
	var mu sync.Mutex
	written := audit.NewBaseline(report.APIVersion)
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "AuditReport", format: o.format, namesPhases: true,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			cfg := o.config()
			if t := o.timer; t != nil {
				cfg.Phase = t.begin
			}
			res, err := audit.Run(snap, model, cfg)
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			o.timer.begin("report")
			context := ""
			if o.multi {
				context = snap.Source.Context
			}
			mu.Lock()
			written.Accept(context, res.Findings)
			mu.Unlock()
			accepted := 0
			if baseline != nil {
				var acc []audit.Finding
				res.Findings, acc = baseline.Filter(snap.Source.Context, res.Findings)
				accepted = len(acc)
			}
			rep := report.NewAuditReport(snap, res, accepted, report.AuditOptions{
				IPBlockMatchesPods: o.IPBlockMatchesPods, WideIPv4Prefix: o.WideIPv4Prefix, WideIPv6Prefix: o.WideIPv6Prefix, FailOn: o.FailOn,
			})
			failed := false
			for _, f := range res.Findings {
				failed = failed || (o.failOn != nil && f.Severity >= *o.failOn)
			}
			return &outcome{doc: rep, failed: failed}, nil
		},
		summary: func(s *report.ContextSummary, out *outcome) {
			r := out.doc.(*report.AuditReport).Summary
			if s.AuditTotals == nil {
				s.AuditTotals = &report.AuditTotals{}
			}
			s.Findings += r.Findings
			s.High += r.High
			s.Medium += r.Medium
			s.Low += r.Low
			s.Info += r.Info
		},
	}
	err := cmd.run(c.Context())
	if o.WriteBaseline != "" && exitCode(err) <= ExitFailed {
		data, werr := yaml.Marshal(written)
		if werr == nil {
			werr = os.WriteFile(o.WriteBaseline, data, 0o644)
		}
		if werr != nil {
			return inputError(fmt.Errorf("writing baseline: %w", werr), "check that the folder exists and is writable")
		}
		if !o.Quiet {
			fmt.Fprintf(o.ErrOut, "Wrote %d findings to %s\n", len(written.Findings), o.WriteBaseline)
		}
	}
	return err
}

func versionString() string { return version.Get() }

func readBaseline(path string) (*audit.Baseline, error) {
	const hint = "write one with --write-baseline FILE"
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, inputError(fmt.Errorf("reading baseline: %w", err), hint)
	}
	var b audit.Baseline
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, inputError(fmt.Errorf("%s: %w", path, err), hint)
	}
	if b.APIVersion != report.APIVersion {
		return nil, inputError(fmt.Errorf("%s: apiVersion is %q, want %s", path, b.APIVersion, report.APIVersion),
			"this version of netaudit reads baselines of "+report.APIVersion+" only: write a new one with --write-baseline FILE")
	}
	if err := b.Validate(); err != nil {
		return nil, inputError(fmt.Errorf("%s: %w", path, err), hint)
	}
	return &b, nil
}

// newChecksCommand lists the checks the audit runs.
func newChecksCommand(inv *InventoryOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "checks",
		Short: "List the audit's checks with their IDs and severities",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			t := &report.Table{Headers: []string{"ID", "NAME", "SEVERITY", "SUMMARY"}}
			for _, c := range audit.Checks() {
				t.Rows = append(t.Rows, []string{c.ID, c.Name, c.Severity.String(), c.Summary})
			}
			return t.Render(inv.Out)
		},
	}
}
