//go:build unix

// Command benchrun times the built kubectl-netaudit end to end on synthetic
// clusters (test/bench/gen) and prints a table per target of the scale
// benchmark: the audit from manifests at several sizes, the engine as pods
// double under fixed workloads, the audit next to np-guard's netpol-analyzer
// on the same manifests (with a comparison of their verdicts), and the live
// audit of an envtest API server next to `kubectl get` on the same server.
// hack/bench.sh builds what it needs and runs it (`make bench`).
//
// Times are CPU (user+system) and wall clock of the child process, and its
// peak resident set, from the rusage the kernel reports when it exits.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

type options struct {
	bin, kubectl, netpolicy string
	sizes, livePods         []int
	npPods, barePods        int
	runs, loadWorkers       int
	liveLoad                string
	workDir, results        string
	skipScaling, skipDiff   bool
	liveHold                bool
	shapePods, shapeRuns    int
	shapeConfigMaps         []int
}

func main() {
	if len(os.Args) > 3 && os.Args[1] == measureArg {
		measureChild(os.Args[2], os.Args[3], os.Args[4:])
		return
	}
	var o options
	var sizes, livePods, shapeCMs string
	flag.StringVar(&o.bin, "bin", "bin/kubectl-netaudit", "the kubectl-netaudit binary to time")
	flag.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl, for the live fetch baseline")
	flag.StringVar(&o.netpolicy, "netpolicy", "", "netpol-analyzer's netpolicy binary (empty: skip the peer comparison)")
	flag.StringVar(&sizes, "sizes", "1000,10000,50000,100000", "pod counts for the audit from manifests (workloads pods/10, namespaces pods/50, policies pods/5)")
	flag.IntVar(&o.npPods, "np-pods", 5000, "pods of the cluster compared with netpol-analyzer")
	flag.IntVar(&o.barePods, "bare-pods", 10000, "pods of the bare-pod cluster (no owners: each pod is a workload; 0: skip)")
	flag.StringVar(&livePods, "live-pods", "10000", "pod counts loaded into envtest for the live audit, one server each (0: skip; needs KUBEBUILDER_ASSETS)")
	flag.IntVar(&o.runs, "runs", 3, "runs per measurement; the one with the least CPU is shown")
	flag.IntVar(&o.loadWorkers, "load-workers", 8, "concurrent requests when loading the live cluster")
	flag.StringVar(&o.liveLoad, "live-load", "etcd", "how the live cluster is loaded: etcd (written straight into envtest's etcd, a minute or two for 100,000 pods) or api (created through the API server, about 20 minutes for 100,000 pods)")
	flag.StringVar(&o.workDir, "workdir", "", "folder for manifests and logs (default: a temporary one, removed after)")
	flag.StringVar(&o.results, "results", "", "also write the tables to this file")
	flag.BoolVar(&o.skipScaling, "skip-scaling", false, "skip the in-process engine scaling table")
	flag.BoolVar(&o.skipDiff, "skip-diff", false, "skip the diff timings")
	flag.IntVar(&o.shapePods, "shape-pods", 100000, "pods of the cluster written as one file in each input shape (0: skip)")
	flag.StringVar(&shapeCMs, "shape-configmaps", "10000,100000", "ConfigMap counts written as one file in each input shape (empty: skip)")
	flag.IntVar(&o.shapeRuns, "shape-runs", 1, "runs per input shape file")
	flag.BoolVar(&o.liveHold, "live-hold", false, "after loading the live cluster, print its kubeconfig and keep the server up until interrupted (to profile by hand), instead of timing")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		if strings.TrimSpace(s) == "" {
			continue // -sizes "": skip the audit from manifests
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("-sizes: %q is not a pod count", s)
		}
		o.sizes = append(o.sizes, n)
	}
	for _, s := range strings.Split(shapeCMs, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("-shape-configmaps: %q is not a count", s)
		}
		o.shapeConfigMaps = append(o.shapeConfigMaps, n)
	}
	for _, s := range strings.Split(livePods, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			fatalf("-live-pods: %q is not a pod count", s)
		}
		if n > 0 {
			o.livePods = append(o.livePods, n)
		}
	}
	// Commands run in the work folder: make paths to binaries absolute.
	for _, p := range []*string{&o.bin, &o.netpolicy} {
		if *p != "" && strings.ContainsRune(*p, os.PathSeparator) {
			abs, err := filepath.Abs(*p)
			if err != nil {
				fatalf("%v", err)
			}
			*p = abs
		}
	}
	if o.workDir == "" {
		dir, err := os.MkdirTemp("", "netaudit-bench-")
		if err != nil {
			fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		o.workDir = dir
	}
	var out io.Writer = os.Stdout
	if o.results != "" {
		f, err := os.Create(o.results)
		if err != nil {
			fatalf("%v", err)
		}
		defer f.Close()
		out = io.MultiWriter(os.Stdout, f)
	}
	r := &runner{o: o, out: out}
	var steps []func() error
	if len(o.sizes) > 0 {
		steps = append(steps, r.fromManifests)
	}
	if o.barePods > 0 {
		steps = append(steps, r.bare)
	}
	if o.shapePods > 0 || len(o.shapeConfigMaps) > 0 {
		steps = append(steps, r.shapes)
	}
	if !o.skipScaling {
		steps = append(steps, r.scaling)
	}
	if !o.skipDiff {
		steps = append(steps, r.diff)
	}
	if o.netpolicy != "" {
		steps = append(steps, r.peer)
	}
	for _, pods := range o.livePods {
		steps = append(steps, func() error { return r.live(pods) })
	}
	steps = append(steps, r.phaseTable)
	for _, step := range steps {
		if err := step(); err != nil {
			fatalf("%v", err)
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", args...)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", args...)
}

type runner struct {
	o   options
	out io.Writer
	// phases are the --timings of the audits measured, for phaseTable.
	phases []phaseRow
}

// usage is what one child process cost.
type usage struct {
	wall, cpu time.Duration
	rss       int64 // bytes
	// phases are the child's --timings, when it printed them.
	phases []phase
}

// phase is one line of kubectl-netaudit --timings.
type phase struct {
	name      string
	wall, cpu float64 // seconds
}

type phaseRow struct {
	what   string
	phases []phase
}

// parseTimings reads the PHASE WALL-S CPU-S table --timings prints on
// stderr.
func parseTimings(stderr string) []phase {
	var out []phase
	in := false
	for _, line := range strings.Split(stderr, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "PHASE" {
			in, out = true, nil
			continue
		}
		if !in || len(f) != 3 {
			continue
		}
		w, err1 := strconv.ParseFloat(f[1], 64)
		c, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, phase{f[0], w, c})
	}
	return out
}

// loadAverage is the one-minute load average, for the tables' notes: on a
// shared machine it says how much the figures suffered.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// timed records the phases of a measured audit for phaseTable.
func (r *runner) timed(what string, u usage) {
	if len(u.phases) > 0 {
		r.phases = append(r.phases, phaseRow{what, u.phases})
	}
}

// phaseTable prints where the time of each audit went, from --timings.
func (r *runner) phaseTable() error {
	if len(r.phases) == 0 {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, row := range r.phases {
		for _, p := range row.phases {
			if !seen[p.name] {
				seen[p.name] = true
				names = append(names, p.name)
			}
		}
	}
	header := "AUDIT"
	for _, n := range names {
		header += "\t" + strings.ToUpper(n)
	}
	var rows [][]string
	for _, row := range r.phases {
		cells := []string{row.what}
		by := map[string]phase{}
		for _, p := range row.phases {
			by[p.name] = p
		}
		for _, n := range names {
			if p, ok := by[n]; ok {
				cells = append(cells, fmt.Sprintf("%.2f/%.2f", p.wall, p.cpu))
			} else {
				cells = append(cells, "-")
			}
		}
		rows = append(rows, cells)
	}
	r.table("Where the time goes: kubectl-netaudit --timings, wall/CPU seconds per phase",
		"from the run shown in the tables above; decode reads -f, fetch lists from the API server; verdicts are the engine's classes, exposure and redundancy; CPU counts every core",
		header, rows)
	return nil
}

func (u usage) String() string {
	return fmt.Sprintf("%.2f\t%.2f\t%.0f", u.cpu.Seconds(), u.wall.Seconds(), float64(u.rss)/(1<<20))
}

// measureArg makes benchrun run one command and write its usage as JSON
// to a file. Linux reports as a child's peak RSS at least that of the
// process it was forked from (the old address space's high-water mark is
// kept at exec), and benchrun holds whole clusters in memory; a fresh, small
// benchrun in between keeps the figure the child's own.
const measureArg = "-measure-child"

type usageJSON struct {
	WallNS, CPUNS, RSS int64
}

func measureChild(usagePath, name string, args []string) {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fatalf("%v", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	data, _ := json.Marshal(usageJSON{WallNS: wall.Nanoseconds(), CPUNS: ru.Utime.Nano() + ru.Stime.Nano(), RSS: ru.Maxrss * 1024})
	if err := os.WriteFile(usagePath, data, 0o644); err != nil {
		fatalf("%v", err)
	}
}

// measure runs a command with stdout into a file (or discarded) and
// returns its usage.
func measure(dir, stdoutPath string, name string, args ...string) (usage, error) {
	self, err := os.Executable()
	if err != nil {
		return usage{}, err
	}
	usageFile, err := os.CreateTemp("", "benchrun-usage-")
	if err != nil {
		return usage{}, err
	}
	usageFile.Close()
	defer os.Remove(usageFile.Name())
	cmd := exec.Command(self, append([]string{measureArg, usageFile.Name(), name}, args...)...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if stdoutPath == "" {
		stdoutPath = os.DevNull
	}
	f, err := os.Create(stdoutPath)
	if err != nil {
		return usage{}, err
	}
	defer f.Close()
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return usage{}, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	data, err := os.ReadFile(usageFile.Name())
	if err != nil {
		return usage{}, err
	}
	var u usageJSON
	if err := json.Unmarshal(data, &u); err != nil {
		return usage{}, fmt.Errorf("usage of %s: %w", name, err)
	}
	return usage{wall: time.Duration(u.WallNS), cpu: time.Duration(u.CPUNS), rss: u.RSS, phases: parseTimings(stderr.String())}, nil
}

// best runs a measurement n times and keeps the run with the least CPU.
func best(n int, fn func() (usage, error)) (usage, error) {
	var b usage
	for i := 0; i < n; i++ {
		u, err := fn()
		if err != nil {
			return u, err
		}
		if i == 0 || u.cpu < b.cpu {
			b = u
		}
	}
	return b, nil
}

func (r *runner) table(title string, note string, header string, rows [][]string) {
	fmt.Fprintf(r.out, "\n== %s\n", title)
	if note != "" {
		fmt.Fprintf(r.out, "%s\n", note)
	}
	tw := tabwriter.NewWriter(r.out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// writeCluster generates a cluster and writes its manifests.
func (r *runner) writeCluster(cfg gen.Config, format gen.Format) (string, *inventory.Snapshot, error) {
	snap := gen.Generate(cfg)
	suffix := ""
	if cfg.UniformLabels {
		suffix = "-uniform"
	}
	dir := filepath.Join(r.o.workDir, fmt.Sprintf("pods-%d%s-%s", cfg.Pods, suffix, format))
	if _, err := os.Stat(dir); err == nil {
		return dir, snap, nil
	}
	_, err := gen.WriteManifests(snap, dir, format)
	return dir, snap, err
}

func workloads(snap *inventory.Snapshot) int {
	seen := map[inventory.Workload]bool{}
	for i := range snap.Pods {
		seen[inventory.WorkloadOf(&snap.Pods[i])] = true
	}
	return len(seen)
}

// fromManifests times `kubectl-netaudit -f DIR` (the full audit, table
// output) on YAML and JSON manifests of each size.
func (r *runner) fromManifests() error {
	var rows [][]string
	for _, pods := range r.o.sizes {
		for _, format := range []gen.Format{gen.YAML, gen.JSON} {
			progress("audit from %s manifests, %d pods", format, pods)
			dir, snap, err := r.writeCluster(gen.Config{Pods: pods, Seed: 1}, format)
			if err != nil {
				return err
			}
			u, err := best(r.o.runs, func() (usage, error) { return measure(r.o.workDir, "", r.o.bin, "-f", dir, "--timings") })
			if err != nil {
				return err
			}
			r.timed(fmt.Sprintf("%d pods, %s", pods, format), u)
			target := "-"
			switch {
			case pods == 10000:
				target = fmt.Sprintf("CPU < 2 s, RSS < 1 GiB: %s", verdict(u.cpu < 2*time.Second && u.rss < 1<<30))
			case pods == 50000:
				target = fmt.Sprintf("< 15 s: %s", verdict(u.cpu < 15*time.Second && u.wall < 15*time.Second))
			case pods == 100000:
				target = fmt.Sprintf("wall < 20 s, RSS < 3 GiB: %s", verdict(u.wall < 20*time.Second && u.rss < 3<<30))
			}
			rows = append(rows, []string{strconv.Itoa(len(snap.Pods)), strconv.Itoa(workloads(snap)), strconv.Itoa(len(snap.Namespaces)),
				strconv.Itoa(len(snap.Policies)), string(format), u.String(), target})
		}
	}
	r.table("Full audit from manifests: kubectl-netaudit -f DIR",
		fmt.Sprintf("best of %d runs (least CPU); one file per namespace; table output discarded; load average %s at the end", r.o.runs, loadAverage()),
		"PODS\tWORKLOADS\tNAMESPACES\tPOLICIES\tFORMAT\tCPU-S\tWALL-S\tMAX-RSS-MIB\tTARGET", rows)
	return nil
}

// bare times the audit and the matrix on a cluster of pods without owners:
// each pod is a workload of its own, so workload pairs number in the
// millions while pod classes stay in the thousands.
func (r *runner) bare() error {
	cfg := gen.Config{Pods: r.o.barePods, Seed: 1, BarePods: true}
	progress("bare-pod cluster, %d pods: writing manifests", cfg.Pods)
	snap := gen.Generate(cfg)
	dir := filepath.Join(r.o.workDir, fmt.Sprintf("bare-%d-yaml", cfg.Pods))
	if _, err := gen.WriteManifests(snap, dir, gen.YAML); err != nil {
		return err
	}
	type probe struct {
		name   string
		args   []string
		target func(u usage) string
	}
	within := func(cpu time.Duration, rss int64) func(u usage) string {
		return func(u usage) string {
			return fmt.Sprintf("CPU < %.0f s, RSS < %d MiB: %s", cpu.Seconds(), rss>>20, verdict(u.cpu < cpu && u.rss < rss))
		}
	}
	probes := []probe{
		{"kubectl-netaudit -f DIR (full audit)", []string{"-f", dir, "--timings"}, within(2*time.Second, 1<<30)},
		{"kubectl-netaudit matrix -f DIR -o json", []string{"matrix", "-f", dir, "-o", "json"}, within(10*time.Second, 1<<30)},
		{"kubectl-netaudit matrix -f DIR (table)", []string{"matrix", "-f", dir}, within(10*time.Second, 1<<30)},
		{"kubectl-netaudit matrix -f DIR --group-by namespace", []string{"matrix", "-f", dir, "--group-by", "namespace"}, nil},
	}
	var rows [][]string
	for _, p := range probes {
		progress("bare-pod cluster: %s", p.name)
		u, err := best(r.o.runs, func() (usage, error) { return measure(r.o.workDir, "", r.o.bin, p.args...) })
		if err != nil {
			return err
		}
		if len(u.phases) > 0 {
			r.timed(fmt.Sprintf("%d bare pods, yaml", cfg.Pods), u)
		}
		target := "-"
		if p.target != nil {
			target = p.target(u)
		}
		rows = append(rows, []string{p.name, u.String(), target})
	}
	r.table(fmt.Sprintf("Bare pods: %d pods without owners (%d workloads), %d namespaces, %d policies, YAML manifests",
		len(snap.Pods), workloads(snap), len(snap.Namespaces), len(snap.Policies)),
		fmt.Sprintf("best of %d runs (least CPU); output discarded; load average %s at the end", r.o.runs, loadAverage()),
		"COMMAND\tCPU-S\tWALL-S\tMAX-RSS-MIB\tTARGET", rows)
	return nil
}

// scaling times the engine in this process (build, classes, matrix,
// redundancy) while the pods of 1,000 workloads double under 2,000 policies.
func (r *runner) scaling() error {
	var rows [][]string
	var prev time.Duration
	for _, pods := range []int{10000, 20000, 40000} {
		progress("engine scaling, %d pods", pods)
		snap := gen.Generate(gen.Config{Pods: pods, Workloads: 1000, Namespaces: 200, Policies: 2000, Seed: 1})
		var bestT time.Duration
		var mx *reach.Matrix
		for i := 0; i < max(r.o.runs, 3); i++ {
			start := time.Now()
			m, err := reach.Build(snap, reach.DefaultOptions())
			if err != nil {
				return err
			}
			mx = m.Matrix(reach.ByWorkload)
			m.Redundancy()
			if t := time.Since(start); i == 0 || t < bestT {
				bestT = t
			}
		}
		ratio, target := "-", "-"
		if prev > 0 {
			q := bestT.Seconds() / prev.Seconds()
			ratio = fmt.Sprintf("%.2fx", q)
			target = fmt.Sprintf("< 2x: %s", verdict(q < 2))
		}
		prev = bestT
		rows = append(rows, []string{strconv.Itoa(pods), strconv.Itoa(len(mx.Nodes)), strconv.Itoa(mx.Stats.Classes),
			strconv.Itoa(mx.Stats.ClassPairs), strconv.Itoa(mx.Stats.PodPairs), fmt.Sprintf("%.0f", bestT.Seconds()*1000), ratio, target})
	}
	r.table("Engine as pods double: 1,000 workloads, 200 namespaces, 2,000 policies",
		"reach.Build + Matrix(workload) + Redundancy in process, best of 3; CLASS-PAIRS is the work a pod-pair evaluation does POD-PAIRS times",
		"PODS\tWORKLOADS\tCLASSES\tCLASS-PAIRS\tPOD-PAIRS\tENGINE-MS\tVS-HALF\tTARGET", rows)
	return nil
}

// peer times netpol-analyzer's list and kubectl-netaudit on the same
// manifests, and compares their verdicts.
func (r *runner) peer() error {
	cfg := gen.Config{Pods: r.o.npPods, Seed: 1, UniformLabels: true}
	dir, snap, err := r.writeCluster(cfg, gen.YAML)
	if err != nil {
		return err
	}
	npOut := filepath.Join(r.o.workDir, "netpolicy-list.json")
	progress("netpol-analyzer list on %d pods (one run)", len(snap.Pods))
	// It writes a cache log into its working folder: give it its own.
	npDir := filepath.Join(r.o.workDir, "netpolicy")
	if err := os.MkdirAll(npDir, 0o755); err != nil {
		return err
	}
	np, err := measure(npDir, npOut, r.o.netpolicy, "list", "--dirpath", dir, "-o", "json", "-q")
	if err != nil {
		return err
	}
	progress("kubectl-netaudit matrix and audit on the same manifests")
	ourOut := filepath.Join(r.o.workDir, "netaudit-matrix.json")
	ours, err := best(r.o.runs, func() (usage, error) {
		return measure(r.o.workDir, ourOut, r.o.bin, "matrix", "-f", dir, "--ipblock-matches-pods=false", "-o", "json")
	})
	if err != nil {
		return err
	}
	audit, err := best(r.o.runs, func() (usage, error) { return measure(r.o.workDir, "", r.o.bin, "-f", dir) })
	if err != nil {
		return err
	}
	ratio := np.cpu.Seconds() / ours.cpu.Seconds()
	rows := [][]string{
		{"netpolicy list -o json", np.String(), "1.0x", "-"},
		{"kubectl-netaudit matrix -o json", ours.String(), fmt.Sprintf("%.1fx", ratio), fmt.Sprintf(">= 10x: %s", verdict(ratio >= 10))},
		{"kubectl-netaudit (full audit)", audit.String(), fmt.Sprintf("%.1fx", np.cpu.Seconds()/audit.cpu.Seconds()), "-"},
	}
	r.table(fmt.Sprintf("Peer: netpol-analyzer v1.4.2 list on the same %d-pod manifests (%d workloads, %d policies)", len(snap.Pods), workloads(snap), len(snap.Policies)),
		"FASTER is netpol-analyzer's CPU over ours; pods of a StatefulSet carry the same labels here, as netpol-analyzer v1.4.2 needs",
		"TOOL\tCPU-S\tWALL-S\tMAX-RSS-MIB\tFASTER\tTARGET", rows)
	return r.compare(snap, npOut, ourOut)
}

// compare reads both outputs and compares allowed ports per ordered pair of
// distinct workloads.
func (r *runner) compare(snap *inventory.Snapshot, npOut, ourOut string) error {
	// netpol-analyzer names a workload by its pods' controller:
	// "ns/name-hash[ReplicaSet]"; netaudit by the Deployment.
	names := map[string]string{}
	for i := range snap.Pods {
		p := &snap.Pods[i]
		for _, ref := range p.OwnerReferences {
			if ref.Controller != nil && *ref.Controller {
				names[fmt.Sprintf("%s/%s[%s]", p.Namespace, ref.Name, ref.Kind)] = inventory.WorkloadOf(p).String()
			}
		}
	}
	var npConns []struct{ Src, Dst, Conn string }
	data, err := os.ReadFile(npOut)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &npConns); err != nil {
		return fmt.Errorf("reading netpol-analyzer's output: %w", err)
	}
	theirs := map[[2]string]reach.PortSet{}
	external := 0
	for _, c := range npConns {
		src, okS := names[c.Src]
		dst, okD := names[c.Dst]
		if !okS || !okD {
			external++ // an IP range: ranges and ipBlock semantics differ, see README
			continue
		}
		ps, err := parseConn(c.Conn)
		if err != nil {
			return err
		}
		theirs[[2]string{src, dst}] = ps
	}
	var doc struct {
		Pairs []struct {
			From, To string
			Ports    reach.PortSet
		}
	}
	if data, err = os.ReadFile(ourOut); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("reading netaudit's matrix: %w", err)
	}
	ours := map[[2]string]reach.PortSet{}
	self := 0
	for _, p := range doc.Pairs {
		if p.From == p.To {
			self++ // traffic between two pods of one workload: netpol-analyzer lists none
			continue
		}
		ours[[2]string{p.From, p.To}] = p.Ports
	}
	wl := map[string]bool{}
	for _, w := range names {
		wl[w] = true
	}
	agree, differ, onlyOurs, onlyTheirs := 0, 0, 0, 0
	var examples []string
	for k, ps := range ours {
		t, ok := theirs[k]
		switch {
		case !ok:
			onlyOurs++
			examples = append(examples, fmt.Sprintf("only netaudit: %s -> %s %s", k[0], k[1], ps))
		case !t.Equal(ps):
			differ++
			examples = append(examples, fmt.Sprintf("ports differ: %s -> %s netaudit %s, netpol-analyzer %s", k[0], k[1], ps, t))
		default:
			agree++
		}
	}
	for k, t := range theirs {
		if _, ok := ours[k]; !ok {
			onlyTheirs++
			examples = append(examples, fmt.Sprintf("only netpol-analyzer: %s -> %s %s", k[0], k[1], t))
		}
	}
	denied := len(wl)*(len(wl)-1) - agree - differ - onlyOurs - onlyTheirs
	sort.Strings(examples)
	rows := [][]string{{strconv.Itoa(len(wl) * (len(wl) - 1)), strconv.Itoa(agree), strconv.Itoa(denied), strconv.Itoa(differ), strconv.Itoa(onlyOurs), strconv.Itoa(onlyTheirs)}}
	r.table("Verdicts: netaudit matrix (--ipblock-matches-pods=false) vs netpol-analyzer list, per ordered pair of distinct workloads",
		fmt.Sprintf("AGREE-ALLOWED: both allow the same ports; AGREE-DENIED: neither allows anything. Not compared: %d netpol-analyzer entries with an IP range, %d netaudit pairs within one workload", external, self),
		"WORKLOAD-PAIRS\tAGREE-ALLOWED\tAGREE-DENIED\tPORTS-DIFFER\tONLY-NETAUDIT\tONLY-NETPOL-ANALYZER", rows)
	for i, e := range examples {
		if i == 10 {
			fmt.Fprintf(r.out, "  ... and %d more\n", len(examples)-10)
			break
		}
		fmt.Fprintf(r.out, "  %s\n", e)
	}
	return nil
}

// parseConn reads netpol-analyzer's "All Connections", "TCP 80,443,UDP 53"
// or "TCP 9092-9094".
func parseConn(s string) (reach.PortSet, error) {
	if s == "All Connections" {
		return reach.AllPorts(), nil
	}
	var out reach.PortSet
	var proto reach.Protocol
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if p, rest, ok := strings.Cut(tok, " "); ok {
			pr, err := reach.ParseProtocol(p)
			if err != nil {
				return out, fmt.Errorf("netpol-analyzer connection %q: %w", s, err)
			}
			proto, tok = pr, rest
		}
		if proto == "" {
			return out, fmt.Errorf("netpol-analyzer connection %q: port before protocol", s)
		}
		if tok == "" {
			out = out.Union(reach.AllPortsOf(proto))
			continue
		}
		from, to, isRange := strings.Cut(tok, "-")
		a, err1 := strconv.Atoi(from)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(to)
		}
		if err1 != nil || err2 != nil {
			return out, fmt.Errorf("netpol-analyzer connection %q: bad port %q", s, tok)
		}
		out = out.Union(reach.PortsOf(proto, reach.PortRange{From: int32(a), To: int32(b)}))
	}
	return out, nil
}

// live starts an envtest API server, loads the cluster, and times
// kubectl get against kubectl-netaudit on it.
func (r *runner) live(pods int) error {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return fmt.Errorf("the live benchmark needs KUBEBUILDER_ASSETS (hack/envtest-assets.sh); or pass -live-pods 0")
	}
	progress("starting envtest")
	// envtest logs through controller-runtime; without a logger it prints a
	// stack trace to say so.
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{ControlPlaneStartTimeout: 2 * time.Minute, ControlPlaneStopTimeout: time.Minute}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			progress("stopping envtest: %v", err)
		}
	}()
	user, err := env.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(r.o.workDir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, user.Config()); err != nil {
		return err
	}
	rc := rest.CopyConfig(cfg)
	rc.QPS, rc.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	snap := gen.Generate(gen.Config{Pods: pods, Seed: 1})
	progress("loading %d pods and %d policies into envtest (%s) with %d workers", len(snap.Pods), len(snap.Policies), r.o.liveLoad, r.o.loadWorkers)
	switch r.o.liveLoad {
	case "api":
		st, err := gen.Load(context.Background(), cs, snap, r.o.loadWorkers, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "\nLoaded %d namespaces, %d pods (created, then status with IPs), %d policies through the API server: %d requests in %.1f s (%.0f requests/s, %d workers)\n",
			st.Namespaces, st.Pods, st.Policies, st.Requests, st.Elapsed.Seconds(), float64(st.Requests)/st.Elapsed.Seconds(), r.o.loadWorkers)
	case "etcd":
		st, err := gen.LoadEtcd(context.Background(), cs, env.ControlPlane.Etcd.URL.String(), snap, r.o.loadWorkers, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "\nLoaded %d namespaces, %d pods, %d policies straight into etcd (%d transactions, %.1f s, %d workers); the API server lists them all\n",
			st.Namespaces, st.Pods, st.Policies, st.Requests, st.Elapsed.Seconds(), r.o.loadWorkers)
	default:
		return fmt.Errorf("-live-load %q: want etcd or api", r.o.liveLoad)
	}

	if r.o.liveHold {
		progress("holding the server: KUBECONFIG=%s kubectl-netaudit ...; interrupt to stop", kubeconfig)
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		return nil
	}
	kc := "--kubeconfig=" + kubeconfig
	type probe struct {
		name string
		cmd  string
		args []string
	}
	probes := []probe{
		{"kubectl get namespaces,pods,networkpolicies -A -o json", r.o.kubectl, []string{kc, "get", "namespaces,pods,networkpolicies", "-A", "-o", "json"}},
		{"kubectl-netaudit policies (fetch + inventory)", r.o.bin, []string{kc, "policies"}},
		{"kubectl-netaudit (full audit)", r.o.bin, []string{kc, "--timings"}},
		{"kubectl-netaudit --chunk-size 500 (full audit, paged as kubectl pages)", r.o.bin, []string{kc, "--chunk-size", "500"}},
	}
	var rows [][]string
	var floor usage
	for i, p := range probes {
		progress("live: %s", p.name)
		// Interleave nothing else: each probe runs its runs back to back
		// against the same, otherwise idle, server.
		u, err := best(r.o.runs, func() (usage, error) { return measure(r.o.workDir, "", p.cmd, p.args...) })
		if err != nil {
			return err
		}
		ratio, target := "1.00x", "-"
		if i == 0 {
			floor = u
		} else {
			q := u.wall.Seconds() / floor.wall.Seconds()
			ratio = fmt.Sprintf("%.2fx", q)
			if i == 2 {
				target = fmt.Sprintf("wall <= kubectl get: %s", verdict(q <= 1))
				if len(snap.Pods) >= 100000 {
					target = fmt.Sprintf("wall < 15 s: %s", verdict(u.wall < 15*time.Second))
				}
				r.timed(fmt.Sprintf("live, %d pods", len(snap.Pods)), u)
			}
		}
		rows = append(rows, []string{p.name, u.String(), ratio, target})
	}
	r.table(fmt.Sprintf("Live: envtest API server holding %d pods, %d policies, %d namespaces", len(snap.Pods), len(snap.Policies), len(snap.Namespaces)),
		fmt.Sprintf("best of %d runs each; the server runs on the same 2 cores; VS-KUBECTL is wall time over kubectl get's; load average %s at the end", r.o.runs, loadAverage()),
		"COMMAND\tCPU-S\tWALL-S\tMAX-RSS-MIB\tVS-KUBECTL\tTARGET", rows)
	return nil
}

func writeKubeconfig(path string, c *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["bench"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.CAData}
	kc.AuthInfos["bench"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.CertData, ClientKeyData: c.KeyData, Token: c.BearerToken}
	kc.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench"}
	kc.CurrentContext = "bench"
	return clientcmd.WriteToFile(*kc, path)
}
