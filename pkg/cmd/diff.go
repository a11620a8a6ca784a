package cmd

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/diff"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// DiffOptions holds the flags of `kubectl netaudit diff`.
type DiffOptions struct {
	*InventoryOptions
	*EngineOptions
	// Base is the base state's manifests (--base); BaseContext its context.
	Base          []string
	BaseKustomize string
	BaseContext   string
	Prune         bool
	Delete        []string
	Expect        string
	Pods          bool
	Output        string
	NoHeaders     bool
	FailOn        string
	Ignore        string
	Only, Skip    []string
	WideIPv4      int
	WideIPv6      int

	failSeverity *audit.Severity
	format       *format
	// cache is shared by the two sides' manifests (--base and -f): files a
	// pull request leaves unchanged are decoded once.
	cache *inventory.DecodeCache
}

// formats are the -o values of diff. Each prints one diff (outcome.doc is
// the *diff.PolicyDiff, outcome.snap the proposed state); diff compares two
// states, so there is no multi-context form.
func (o *DiffOptions) formats() formats {
	doc := func(out *outcome) *diff.PolicyDiff { return out.doc.(*diff.PolicyDiff) }
	return formats{
		{name: "table", ext: "txt", print: func(w io.Writer, out *outcome) error {
			return report.PrintDiffTable(w, doc(out), false, o.NoHeaders)
		}},
		{name: "wide", ext: "txt", print: func(w io.Writer, out *outcome) error {
			return report.PrintDiffTable(w, doc(out), true, o.NoHeaders)
		}},
		{name: "json", ext: "json", print: func(w io.Writer, out *outcome) error {
			return report.WriteJSON(w, report.NewPolicyDiff(doc(out)))
		}},
		{name: "yaml", ext: "yaml", print: func(w io.Writer, out *outcome) error {
			return report.WriteYAML(w, report.NewPolicyDiff(doc(out)))
		}},
		{name: "markdown", ext: "md", print: func(w io.Writer, out *outcome) error {
			return report.PrintDiffMarkdown(w, doc(out), report.MarkdownBudget)
		}},
		{name: "sarif", ext: "sarif", print: func(w io.Writer, out *outcome) error {
			checks, _ := o.config().Selected()
			return report.WriteDiffSARIF(w, doc(out), checks, out.snap, versionString())
		}},
		htmlFormat("Policy diff", diffHTML),
	}
}

// diffFailOn are --fail-on's values besides the severities.
const (
	failOnNone   = "none"
	failOnOpened = "opened"
	failOnAny    = "any"
)

// NewDiffOptions sets every default.
func NewDiffOptions(inv *InventoryOptions) *DiffOptions {
	cfg := audit.DefaultConfig()
	return &DiffOptions{InventoryOptions: inv, EngineOptions: NewEngineOptions(), Output: "table", FailOn: failOnNone,
		WideIPv4: cfg.WideIPv4Prefix, WideIPv6: cfg.WideIPv6Prefix}
}

// NewDiffCommand builds `kubectl netaudit diff`.
func NewDiffCommand(inv *InventoryOptions) *cobra.Command {
	o := NewDiffOptions(inv)
	c := &cobra.Command{
		Use:   "diff",
		Short: "Show what a change to policies opens and closes, and the findings it adds and resolves",
		Long: `Compare two states of a cluster's policies and report the connections that
change, per workload pair (per pod with --pods) and per workload with the
addresses outside the cluster, and the audit findings that appear and go away.

The two states:
  -f new/                           the current context with the manifests applied
                                    as kubectl apply would (objects replaced by kind,
                                    namespace and name; new ones added); --prune
                                    also removes the policies of the files' namespaces
                                    (or -n) that the files no longer hold, --delete
                                    FILE the objects FILE holds
  --base old/ -f new/               two sets of manifests (a pull request: the target
                                    branch against the head)
  --base old/                       the manifests against the current context
  --base-kustomize base/overlays/prod -k overlays/prod
                                    kustomization folders on either side, rendered as
                                    kubectl apply -k would; -k alone is applied to the
                                    current context like -f
  --base-context staging --context prod
                                    two contexts; -f on top applies to the second

Changes are sorted by risk: opened to or from outside the cluster first, then
opened across namespaces, then within a namespace, then closed paths that DNS
(kube-system pods labelled k8s-app=kube-dns) or an expectation of --expect
relied on (likely breakage), then other closed paths; within each, by
destination. Sources of one namespace whose traffic to a destination changes
on the same ports are one change. Each change names the policies that cause
it: the policies its verdicts (explain's reasons, before and after) mention
that differ between the states.

Findings are matched by check ID and objects, as baselines are; --ignore
accepts findings as the audit's --ignore does.

--fail-on opened exits 1 when a connection is opened; any when anything
changes or a finding is new; high, medium, low or info when a new finding has
that severity or above.

` + exitCodeHelp,
		Example: `  # What would applying this folder to the current cluster open and close?
  kubectl netaudit diff -f policies/ -R

  # A pull request in CI: target branch against head, markdown for a comment, gate on opened paths
  kubectl netaudit diff --base base/deploy -f deploy -R -o markdown --fail-on opened

  # The same for a kustomize repository: the target branch's overlay against the head's
  kubectl netaudit diff --base-kustomize base/overlays/prod -k overlays/prod

  # Is production what staging tested?
  kubectl netaudit diff --base-context staging --context prod`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Context())
		},
	}
	fs := c.Flags()
	fs.StringArrayVar(&o.Base, "base", nil, "the base state from these manifests (files, folders; repeatable) instead of the current context")
	fs.StringVar(&o.BaseKustomize, "base-kustomize", "", "the base state from the objects this kustomization folder renders (as -k does for the proposed state)")
	fs.StringVar(&o.BaseContext, "base-context", "", "the base state from this kubeconfig context")
	fs.BoolVar(&o.Prune, "prune", false, "with -f on a live state: also remove the policies of the files' namespaces (or -n) that the files do not hold")
	fs.StringArrayVar(&o.Delete, "delete", nil, "remove the objects this manifest holds from the proposed state (repeatable)")
	fs.StringVar(&o.Expect, "expect", "", "verify expectations file: a closed path one of them expects allowed is likely breakage")
	fs.BoolVar(&o.Pods, "pods", false, "compare per pod instead of per workload")
	o.formats().bind(fs, &o.Output)
	fs.BoolVar(&o.NoHeaders, "no-headers", false, "omit table headers")
	fs.StringVar(&o.FailOn, "fail-on", o.FailOn, "exit 1 when: opened (a connection opens), any (anything changes or a finding is new), high, medium, low or info (a new finding at that severity or above), or none")
	fs.StringVar(&o.Ignore, "ignore", "", "baseline file of accepted findings (see the audit's --write-baseline): they are not new")
	fs.StringSliceVar(&o.Only, "only", nil, "compare only the findings of these checks (IDs or names)")
	fs.StringSliceVar(&o.Skip, "skip", nil, "leave out the findings of these checks")
	fs.IntVar(&o.WideIPv4, "wide-cidr-prefix", o.WideIPv4, "as for the audit: IPv4 ipBlocks this wide or wider are open to the world")
	fs.IntVar(&o.WideIPv6, "wide-cidr6-prefix", o.WideIPv6, "as for the audit, for IPv6")
	o.EngineOptions.AddFlags(fs)
	_ = c.MarkFlagDirname("base-kustomize")
	_ = c.MarkFlagFilename("expect", "yaml", "yml", "json")
	_ = c.MarkFlagFilename("delete", "yaml", "yml", "json")
	o.formats().complete(c)
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{failOnOpened, failOnAny, "high", "medium", "low", "info", failOnNone}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *DiffOptions) config() audit.Config {
	return audit.Config{WideIPv4Prefix: o.WideIPv4, WideIPv6Prefix: o.WideIPv6, Only: o.Only, Skip: o.Skip}
}

// Complete fills the derived fields: the format and the contexts named.
func (o *DiffOptions) Complete() error {
	o.format = o.formats().find(o.Output)
	if o.baseFiles() && len(o.Filenames) > 0 {
		o.cache = inventory.NewDecodeCache()
	}
	if o.AllContexts || strings.Contains(o.contextFlag(), ",") || strings.Contains(o.BaseContext, ",") {
		return usageErrorf("diff compares two states: give one --context (and one --base-context), not several")
	}
	return o.InventoryOptions.Complete()
}

// Validate checks flags without touching the cluster.
func (o *DiffOptions) Validate() error {
	if err := o.formats().validate(o.Output, o.InventoryOptions); err != nil {
		return err
	}
	switch o.FailOn {
	case failOnNone, failOnOpened, failOnAny:
	default:
		s, err := audit.ParseSeverity(o.FailOn)
		if err != nil {
			return usageErrorf("--fail-on: %v, opened, any or none", err)
		}
		o.failSeverity = &s
	}
	if o.WideIPv4 < 0 || o.WideIPv4 > 32 || o.WideIPv6 < 0 || o.WideIPv6 > 128 {
		return usageErrorf("--wide-cidr-prefix must be 0-32 and --wide-cidr6-prefix 0-128")
	}
	if _, err := o.config().Selected(); err != nil {
		return usageErrorf("--only/--skip: %v", err)
	}
	if len(o.Base) > 0 && o.BaseKustomize != "" {
		return usageErrorf("--base and --base-kustomize both name the base state: give one")
	}
	if o.baseFiles() && o.BaseContext != "" {
		return usageErrorf("--base/--base-kustomize and --base-context both name the base state: give one")
	}
	if o.baseFiles() && (o.Prune || len(o.Delete) > 0) {
		return usageErrorf("--prune and --delete change a live state; with --base or --base-kustomize, -f or -k is the whole proposed state")
	}
	if o.Prune && !o.proposedFiles() {
		return usageErrorf("--prune removes policies the files (-f or -k) do not hold: give -f or -k")
	}
	if !o.proposedFiles() && !o.baseFiles() && o.BaseContext == "" && len(o.Delete) == 0 {
		return usageErrorf("diff needs a second state: -f FILES or -k DIR (applied to the current context), --base FILES, --base-kustomize DIR, --base-context NAME or --delete FILES")
	}
	return o.InventoryOptions.Validate()
}

func (o *DiffOptions) contextFlag() string {
	if o.ConfigFlags.Context == nil {
		return ""
	}
	return *o.ConfigFlags.Context
}

// baseFiles says whether the base state comes from manifests (--base or
// --base-kustomize); proposedFiles whether -f or -k gives the proposed one.
func (o *DiffOptions) baseFiles() bool     { return len(o.Base) > 0 || o.BaseKustomize != "" }
func (o *DiffOptions) proposedFiles() bool { return len(o.Filenames) > 0 || o.Kustomize != "" }

// files reads manifests (paths, or a kustomization folder) with the shared
// -R, -n, --allow-duplicates and --allow-empty.
func (o *DiffOptions) files(paths []string, kustomize string) (*inventory.Snapshot, error) {
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: paths, Kustomize: kustomize, Recursive: o.Recursive,
		Namespace: o.namespace(), Stdin: o.In, LastWins: o.AllowDuplicates == "last", AllowEmpty: o.AllowEmpty, Cache: o.cache})
	if err != nil {
		return nil, inputError(err, manifestHint(err))
	}
	o.warn(snap.Warnings)
	return snap, nil
}

func (o *DiffOptions) warn(warnings []string) {
	if o.Quiet {
		return
	}
	for _, w := range warnings {
		o.ErrOut.Write([]byte("Warning: " + w + "\n"))
	}
}

// live reads the current context (--context).
func (o *DiffOptions) live(ctx context.Context) (*inventory.Snapshot, error) {
	inv := *o.InventoryOptions
	inv.Filenames, inv.Kustomize = nil, ""
	return inv.Load(ctx)
}

// states loads the base and proposed snapshots.
func (o *DiffOptions) states(ctx context.Context) (base, proposed *inventory.Snapshot, err error) {
	switch {
	case o.baseFiles():
		if o.cache != nil {
			// Keep only the base's files that the proposed side repeats.
			if err := o.cache.Expect(o.Filenames, o.Recursive); err != nil {
				return nil, nil, inputError(err, manifestHint(err))
			}
		}
		if base, err = o.files(o.Base, o.BaseKustomize); err != nil {
			return nil, nil, err
		}
		if o.proposedFiles() {
			proposed, err = o.files(o.Filenames, o.Kustomize)
		} else {
			proposed, err = o.live(ctx)
		}
		return base, proposed, err
	case o.BaseContext != "":
		inv := o.InventoryOptions.forContext(o.BaseContext, o.ErrOut)
		inv.Filenames, inv.Kustomize = nil, ""
		if base, err = inv.Load(ctx); err != nil {
			return nil, nil, err
		}
		if proposed, err = o.live(ctx); err != nil {
			return nil, nil, err
		}
	default:
		if base, err = o.live(ctx); err != nil {
			return nil, nil, err
		}
		proposed = base
	}
	return base, proposed, o.overlay(&proposed)
}

// overlay applies -f, --delete and --prune to a live state.
func (o *DiffOptions) overlay(live **inventory.Snapshot) error {
	files := &inventory.Snapshot{Origins: map[string]inventory.Origin{}}
	if o.proposedFiles() {
		var err error
		if files, err = o.files(o.Filenames, o.Kustomize); err != nil {
			return err
		}
	}
	opts := diff.OverlayOptions{Prune: o.Prune}
	if ns := o.namespace(); ns != "" {
		opts.PruneNamespaces = []string{ns}
	}
	if len(o.Delete) > 0 {
		del, err := o.files(o.Delete, "")
		if err != nil {
			return err
		}
		opts.Delete = del
	}
	*live = diff.Overlay(*live, files, opts)
	return nil
}

// Run loads both states, compares them and prints the diff.
func (o *DiffOptions) Run(ctx context.Context) error {
	var exps []diff.Expectation
	if o.Expect != "" {
		v := &VerifyOptions{InventoryOptions: o.InventoryOptions, Expect: o.Expect}
		read, err := v.readExpectations()
		if err != nil {
			return err
		}
		for _, e := range read {
			exps = append(exps, diff.Expectation{From: e.From, To: e.To, Port: e.Port, Protocol: reach.Protocol(e.Protocol), Allowed: *e.Allowed})
		}
	}
	var baseline *audit.Baseline
	if o.Ignore != "" {
		b, err := readBaseline(o.Ignore)
		if err != nil {
			return err
		}
		baseline = b
	}
	baseSnap, propSnap, err := o.states(ctx)
	if err != nil {
		return err
	}
	o.cache = nil // both sides are read: let the decoded copies go
	bm, err := o.EngineOptions.Build(baseSnap)
	if err != nil {
		return err
	}
	pm, err := o.EngineOptions.Build(propSnap)
	if err != nil {
		return err
	}
	level := reach.ByWorkload
	if o.Pods {
		level = reach.ByPod
	}
	d, err := diff.Compute(diff.State{Snap: baseSnap, Model: bm}, diff.State{Snap: propSnap, Model: pm},
		diff.Options{Level: level, Audit: o.config(), Baseline: baseline, Expectations: exps})
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := o.format.print(o.Out, &outcome{doc: d, snap: propSnap}); err != nil {
		return err
	}
	if o.failed(d) {
		return errFailed
	}
	return nil
}

// failed says whether the diff reaches --fail-on.
func (o *DiffOptions) failed(d *diff.PolicyDiff) bool {
	s := d.Summary
	switch o.FailOn {
	case failOnOpened:
		return s.Opened > 0
	case failOnAny:
		return s.Opened > 0 || s.Closed > 0 || s.NewFindings > 0
	}
	if o.failSeverity != nil {
		for _, f := range d.Findings.New {
			if f.Severity >= *o.failSeverity {
				return true
			}
		}
	}
	return false
}
