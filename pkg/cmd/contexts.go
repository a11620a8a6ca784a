package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// outcome is what a command computed for one snapshot source.
type outcome struct {
	snap  *inventory.Snapshot
	model *reach.Model
	doc   any
	// failed: the command worked and its answer is "no" (exit 1).
	failed bool
}

// command is what every verb that reads a cluster provides, so that the
// same verb runs on one context, on several, or on files: the snapshot is
// loaded and compiled here, the verb evaluates it and prints its document.
type command struct {
	inv    *InventoryOptions
	engine *EngineOptions
	// kind names the command's document; the multi-context list is kind+"List".
	kind string
	// format is the -o chosen from the command's list of formats.
	format *format
	// evaluate turns a compiled snapshot into the command's document.
	evaluate func(snap *inventory.Snapshot, model *reach.Model) (*outcome, error)
	// summary adds command-specific totals to the multi-context summary.
	summary func(s *report.ContextSummary, o *outcome)
	// noVerdicts: the document states no verdicts, so the engine's
	// assumptions are not listed in it.
	noVerdicts bool
	// namesPhases: evaluate tells inv.timer its own phases (--timings).
	namesPhases bool
}

// compute loads, compiles and evaluates one snapshot source.
func (cmd *command) compute(ctx context.Context, inv *InventoryOptions) (*outcome, error) {
	t := inv.timer
	if len(inv.Filenames) > 0 || inv.Kustomize != "" {
		t.begin("decode")
	} else {
		t.begin("fetch")
	}
	snap, err := inv.Load(ctx)
	if err != nil {
		return nil, err
	}
	t.begin("build")
	model, err := cmd.engine.Build(snap)
	if err != nil {
		return nil, err
	}
	if !cmd.noVerdicts {
		snap.Assumptions = append(snap.Assumptions, model.Assumptions()...)
	}
	if !cmd.namesPhases {
		t.begin("evaluate")
	}
	out, err := cmd.evaluate(snap, model)
	if err != nil {
		return nil, err
	}
	out.snap, out.model = snap, model
	return out, nil
}

// contextNames returns the contexts --context a,b or --all-contexts name,
// or nil when the command runs once (one context, or -f).
func (o *InventoryOptions) contextNames() ([]string, error) {
	given := ""
	if o.ConfigFlags.Context != nil {
		given = *o.ConfigFlags.Context
	}
	if !o.AllContexts && !strings.Contains(given, ",") {
		return nil, nil
	}
	if len(o.Filenames) > 0 || o.Kustomize != "" {
		return nil, usageErrorf("--all-contexts and a list of contexts read clusters; they cannot be used with -f or -k")
	}
	if o.AllContexts && given != "" {
		return nil, usageErrorf("--all-contexts and --context %q cannot be used together", given)
	}
	raw, err := o.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, o.kubeconfigError(err)
	}
	if o.AllContexts {
		var names []string
		for name := range raw.Contexts {
			names = append(names, name)
		}
		if len(names) == 0 {
			return nil, o.kubeconfigError(errors.New("the kubeconfig defines no contexts"))
		}
		sort.Strings(names)
		return names, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(given, ",") {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	return names, nil
}

// Complete finds the contexts to run on (nil: one run), so that Validate
// can check --output-dir and -o against them before anything is read.
func (o *InventoryOptions) Complete() error {
	names, err := o.contextNames()
	if err != nil {
		return err
	}
	o.contexts = names
	if o.Timings && names == nil {
		o.timer = newPhaseTimer()
	}
	return nil
}

// forContext returns a copy of the options reading the named context.
func (o *InventoryOptions) forContext(name string, errOut io.Writer) *InventoryOptions {
	cf := genericclioptions.NewConfigFlags(true)
	src := o.ConfigFlags
	cf.CacheDir, cf.KubeConfig, cf.ClusterName, cf.AuthInfoName = src.CacheDir, src.KubeConfig, src.ClusterName, src.AuthInfoName
	cf.Namespace, cf.APIServer, cf.TLSServerName, cf.Insecure = src.Namespace, src.APIServer, src.TLSServerName, src.Insecure
	cf.CertFile, cf.KeyFile, cf.CAFile, cf.BearerToken = src.CertFile, src.KeyFile, src.CAFile, src.BearerToken
	cf.Impersonate, cf.ImpersonateUID, cf.ImpersonateGroup, cf.ImpersonateUserExtra = src.Impersonate, src.ImpersonateUID, src.ImpersonateGroup, src.ImpersonateUserExtra
	cf.Username, cf.Password, cf.Timeout, cf.DisableCompression, cf.ProxyURL = src.Username, src.Password, src.Timeout, src.DisableCompression, src.ProxyURL
	cf.Context = &name
	c := *o
	c.ConfigFlags = cf
	c.IOStreams.ErrOut = errOut
	c.warnPrefix = fmt.Sprintf("[%s] ", name)
	return &c
}

// run runs the command once, or once per context of --context a,b /
// --all-contexts, concurrently (--parallel), each failure confined to its
// context.
func (cmd *command) run(ctx context.Context) error {
	o := cmd.inv
	if o.contexts == nil {
		out, err := cmd.compute(ctx, o)
		if err != nil {
			return err
		}
		o.timer.begin("print")
		if err := cmd.format.print(o.Out, out); err != nil {
			return err
		}
		o.timer.print(o.ErrOut)
		if out.failed {
			return errFailed
		}
		return nil
	}
	return cmd.runMany(ctx, o.contexts)
}

// contextRun is one context's result.
type contextRun struct {
	name string
	out  *outcome
	err  error
}

func (cmd *command) runMany(ctx context.Context, names []string) error {
	o := cmd.inv
	runs := make([]contextRun, len(names))
	progress := newProgress(o.ErrOut, len(names), o.Quiet)
	var errMu sync.Mutex // warnings of concurrent contexts must not interleave mid-line
	sem := make(chan struct{}, max(1, o.Parallel))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			inv := o.forContext(name, lockedWriter{&errMu, o.ErrOut, o.Quiet})
			inv.progress = progress.fetched
			out, err := cmd.compute(ctx, inv)
			runs[i] = contextRun{name: name, out: out, err: err}
			progress.done()
		}()
	}
	wg.Wait()
	progress.finish()

	failedContexts, answeredNo := 0, false
	for _, r := range runs {
		if r.err != nil {
			failedContexts++
		} else if r.out.failed {
			answeredNo = true
		}
	}
	var err error
	if o.OutputDir != "" {
		err = cmd.writeDir(runs)
	} else {
		// Validate made sure the format can hold several contexts.
		err = cmd.format.many(o.Out, cmd, runs)
	}
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.err != nil {
			fmt.Fprintf(o.ErrOut, "Error: [%s] %v\n", r.name, r.err)
		}
	}
	switch {
	case failedContexts == len(runs):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("none of the %d contexts could be read", len(runs)), Hint: "see the errors above"}
	case failedContexts > 0:
		return &Error{Code: ExitPartial, Err: fmt.Errorf("%d of %d contexts could not be read; the others' results are complete", failedContexts, len(runs)),
			Hint: "see the errors above; each names its context"}
	case answeredNo:
		return errFailed
	}
	return nil
}

// list is the multi-context JSON/YAML document.
func (cmd *command) list(runs []contextRun) *report.ContextList {
	l := &report.ContextList{APIVersion: report.APIVersion, Kind: cmd.kind + "List", Items: []report.ContextItem{}}
	l.Summary.Contexts = len(runs)
	if cmd.kind == "AuditReport" { // zero counts too, as one audit's summary prints them
		l.Summary.AuditTotals = &report.AuditTotals{}
	}
	for _, r := range runs {
		item := report.ContextItem{Context: r.name}
		if r.err != nil {
			item.Error = contextError(r.err)
			l.Summary.Failed++
		} else {
			item.Result = r.out.doc
			l.Summary.Succeeded++
			if cmd.summary != nil {
				cmd.summary(&l.Summary, r.out)
			}
		}
		l.Items = append(l.Items, item)
	}
	return l
}

func contextError(err error) *report.ContextError {
	e := &report.ContextError{Message: err.Error(), Code: exitCode(err)}
	var ce *Error
	if errors.As(err, &ce) {
		e.Hint = ce.Hint
	}
	return e
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// writeDir writes one file per context and prints where each went.
func (cmd *command) writeDir(runs []contextRun) error {
	o := cmd.inv
	if err := os.MkdirAll(o.OutputDir, 0o755); err != nil {
		return inputError(fmt.Errorf("--output-dir: %w", err), "check that the folder can be created")
	}
	ext := cmd.format.ext
	t := &report.Table{Headers: []string{"CONTEXT", "STATUS", "FILE"}}
	for _, r := range runs {
		base := unsafeFileChars.ReplaceAllString(r.name, "_")
		var data strings.Builder
		status := "ok"
		path := filepath.Join(o.OutputDir, base+"."+ext)
		if r.err != nil {
			status = "error"
			path = filepath.Join(o.OutputDir, base+".error.json")
			if err := report.WriteJSON(&data, report.ContextItem{Context: r.name, Error: contextError(r.err)}); err != nil {
				return err
			}
		} else {
			if r.out.failed {
				status = "failed"
			}
			if err := cmd.format.print(&data, r.out); err != nil {
				return err
			}
		}
		if err := os.WriteFile(path, []byte(data.String()), 0o644); err != nil {
			return inputError(fmt.Errorf("--output-dir: %w", err), "check that the folder is writable")
		}
		t.Rows = append(t.Rows, []string{r.name, status, path})
	}
	return t.Render(o.Out)
}

// lockedWriter serialises writes of concurrent contexts; quiet drops them.
type lockedWriter struct {
	mu    *sync.Mutex
	w     io.Writer
	quiet bool
}

func (l lockedWriter) Write(p []byte) (int, error) {
	if l.quiet {
		return len(p), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// progress reports contexts done and objects fetched on stderr, only when
// stderr is a terminal and --quiet is not given.
type progress struct {
	w       io.Writer
	total   int
	on      bool
	done_   atomic.Int64
	objects atomic.Int64
	mu      sync.Mutex
}

func newProgress(w io.Writer, total int, quiet bool) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		p.on = true
	}
	return p
}

func (p *progress) fetched(n int) {
	p.objects.Add(int64(n))
	p.draw()
}

func (p *progress) done() {
	p.done_.Add(1)
	p.draw()
}

func (p *progress) draw() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%d/%d contexts done, %d objects fetched", p.done_.Load(), p.total, p.objects.Load())
}

func (p *progress) finish() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
