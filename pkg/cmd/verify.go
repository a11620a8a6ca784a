package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// VerifyOptions holds the flags of `kubectl netaudit verify`.
type VerifyOptions struct {
	*InventoryOptions
	*EngineOptions
	Output    string
	NoHeaders bool
	Expect    string

	format *format
}

// formats are the -o values of verify.
func (o *VerifyOptions) formats() formats {
	return formats{
		textFormat("table", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintVerifyTable(w, out.doc.(*report.VerifyReport), false, o.NoHeaders)
		}),
		textFormat("wide", "txt", tableHeader, func(w io.Writer, out *outcome) error {
			return report.PrintVerifyTable(w, out.doc.(*report.VerifyReport), true, o.NoHeaders)
		}),
		jsonFormat(),
		yamlFormat(),
	}
}

// NewVerifyOptions sets every default.
func NewVerifyOptions(inv *InventoryOptions) *VerifyOptions {
	return &VerifyOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "table"}
}

// NewVerifyCommand builds `kubectl netaudit verify`.
func NewVerifyCommand(inv *InventoryOptions) *cobra.Command {
	o := NewVerifyOptions(inv)
	c := &cobra.Command{
		Use:   "verify --expect FILE",
		Short: "Check that exactly the expected traffic is allowed; exit 1 if not",
		Long: `Check a list of expectations against what the policies really allow.
FILE (YAML or JSON) holds:

  expectations:
  - {from: x/a, to: y/b, port: 80, protocol: TCP, allowed: true}
  - {from: x/deployment/web, to: 203.0.113.5, port: 443, allowed: false}

from and to are as for explain (namespace/pod, namespace/kind/name or an IP);
protocol defaults to TCP. A file of several documents (separated by ---
lines) is read whole: the expectations of every document are checked. A
workload expectation passes only if every pod pair agrees. The command exits 1 if any expectation fails, and 3 if the file
or an entry is malformed or names a pod that does not exist.

` + exitCodeHelp,
		Example: `  # Check the live cluster against the team's expectations
  kubectl netaudit verify --expect expectations.yaml

  # In CI, against manifests
  kubectl netaudit verify --expect expectations.yaml -f deploy/ -R -o json`,
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
	fs.StringVar(&o.Expect, "expect", "", "YAML or JSON file of expectations (required; - for stdin)")
	o.formats().bind(fs, &o.Output)
	fs.BoolVar(&o.NoHeaders, "no-headers", false, "omit table headers")
	o.EngineOptions.AddFlags(fs)
	_ = c.MarkFlagFilename("expect", "yaml", "yml", "json")
	o.formats().complete(c)
	return c
}

// Complete fills the derived fields: the format and the contexts to run on.
func (o *VerifyOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	return o.InventoryOptions.Complete()
}

// Validate checks flags without touching the cluster.
func (o *VerifyOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	if o.Expect == "" {
		return usageErrorf("--expect FILE is required")
	}
	if o.Expect == "-" && len(o.Filenames) == 1 && o.Filenames[0] == "-" {
		return usageErrorf("--expect - and -f - cannot both read stdin")
	}
	return o.InventoryOptions.Validate()
}

// Run checks every expectation on each snapshot source.
func (o *VerifyOptions) Run(c *cobra.Command) error {
	exps, err := o.readExpectations()
	if err != nil {
		return err
	}
	cmd := &command{
		inv: o.InventoryOptions, engine: o.EngineOptions, kind: "VerifyReport", format: o.format,
		evaluate: func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error) {
			rep, err := o.verify(snap, model, exps)
			if err != nil {
				return nil, err
			}
			return &outcome{doc: rep, failed: rep.Failed > 0}, nil
		},
	}
	return cmd.run(c.Context())
}

func (o *VerifyOptions) verify(snap *inventory.Snapshot, model *reach.Model, exps []report.Expectation) (*report.VerifyReport, error) {
	rep := &report.VerifyReport{APIVersion: report.APIVersion, Kind: "VerifyReport", Source: snap.Source, Results: []report.VerifyResult{},
		Assumptions: append([]inventory.Assumption{}, snap.Assumptions...)}
	var bad []string
	for i, e := range exps {
		from, err1 := snap.Resolve(e.From)
		to, err2 := snap.Resolve(e.To)
		if err := errors.Join(err1, err2); err != nil {
			bad = append(bad, fmt.Sprintf("expectations[%d] (%s -> %s): %s", i, e.From, e.To, strings.ReplaceAll(err.Error(), "\n", "; ")))
			continue
		}
		res := report.NewVerifyResultExpect(report.Explain(snap, model, from, to, e.Port, reach.Protocol(e.Protocol)), *e.Allowed, e.Undefined, e.Depends)
		if res.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	if len(bad) > 0 {
		return nil, inputError(errors.New(joinFirst(bad)), "every from and to must name a pod or workload of the inventory, or an IP address")
	}
	return rep, nil
}

// readExpectations reads and checks the file; every malformed entry is
// named by its index.
func (o *VerifyOptions) readExpectations() ([]report.Expectation, error) {
	const hint = "see 'kubectl netaudit verify --help' for the file format"
	var data []byte
	var err error
	if o.Expect == "-" {
		data, err = readAll(o.In)
	} else {
		data, err = os.ReadFile(o.Expect)
	}
	if err != nil {
		return nil, inputError(fmt.Errorf("reading expectations: %w", err), hint)
	}
	// Every document of the file counts, read as kubectl reads manifests;
	// their expectations are checked in order, as one list.
	docs, err := inventory.SplitDocuments(data)
	if err != nil {
		return nil, inputError(fmt.Errorf("%s: %w", o.Expect, err), hint)
	}
	var doc report.Expectations
	for _, d := range docs {
		var part report.Expectations
		if err := yaml.UnmarshalStrict(d.Data, &part); err != nil {
			return nil, inputError(fmt.Errorf("%s: document %d (line %d): %w", o.Expect, d.Index, d.Line, err), hint)
		}
		doc.Expectations = append(doc.Expectations, part.Expectations...)
	}
	if len(doc.Expectations) == 0 {
		return nil, inputError(fmt.Errorf("%s: no expectations", o.Expect), hint)
	}
	var bad []string
	for i := range doc.Expectations {
		e := &doc.Expectations[i]
		var problems []string
		if e.From == "" {
			problems = append(problems, "from is required")
		}
		if e.To == "" {
			problems = append(problems, "to is required")
		}
		if e.Port < 1 || e.Port > 65535 {
			problems = append(problems, fmt.Sprintf("port %d is not in 1-65535", e.Port))
		}
		e.Protocol = strings.ToUpper(e.Protocol)
		if e.Protocol == "" {
			e.Protocol = string(reach.TCP)
		}
		if p := reach.Protocol(e.Protocol); p != reach.TCP && p != reach.UDP && p != reach.SCTP {
			problems = append(problems, fmt.Sprintf("protocol %q is not TCP, UDP or SCTP", e.Protocol))
		}
		if e.Allowed == nil && !e.Undefined && !e.Depends {
			problems = append(problems, "allowed (true or false) is required, or undefined: true, or depends: true")
		}
		if e.Allowed == nil {
			e.Allowed = new(bool)
		}
		if len(problems) > 0 {
			bad = append(bad, fmt.Sprintf("expectations[%d]: %s", i, strings.Join(problems, ", ")))
		}
	}
	if len(bad) > 0 {
		return nil, inputError(fmt.Errorf("%s: %s", o.Expect, joinFirst(bad)), hint)
	}
	return doc.Expectations, nil
}

// joinFirst keeps an error on one line: the first problem and a count.
func joinFirst(problems []string) string {
	if len(problems) == 1 {
		return problems[0]
	}
	return fmt.Sprintf("%s (and %d more)", problems[0], len(problems)-1)
}
