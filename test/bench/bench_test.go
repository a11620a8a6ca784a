// Package bench measures kubectl-netaudit at cluster scale on synthetic
// clusters (test/bench/gen): decoding manifests, compiling the engine, the
// full matrix and the full audit, at 1k, 10k and 50k pods, with policies at
// 20% of pods. Run alone with
//
//	go test -run '^$' -bench . -benchtime 3x ./test/bench/
//
// Every benchmark reports ns/op, allocations, and peak-heap-MiB: the
// highest heap in use seen while the operation ran, input included.
// `make bench` runs these and times the built binary end to end
// (hack/bench.sh).
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// sizes are the benchmark's clusters; BENCH_SIZES=small skips 50k.
var sizes = []struct {
	name string
	cfg  gen.Config
}{
	{"pods=1k", gen.Config{Pods: 1000, Seed: 1}},
	{"pods=10k", gen.Config{Pods: 10000, Seed: 1}},
	{"pods=50k", gen.Config{Pods: 50000, Seed: 1}},
}

func eachSize(b *testing.B, fn func(b *testing.B, cfg gen.Config)) {
	for _, s := range sizes {
		if os.Getenv("BENCH_SIZES") == "small" && s.cfg.Pods > 10000 {
			continue
		}
		b.Run(s.name, func(b *testing.B) { fn(b, s.cfg) })
	}
}

var (
	cacheMu   sync.Mutex
	snapshots = map[gen.Config]*inventory.Snapshot{}
	folders   = map[string]string{}
	tempRoot  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tempRoot != "" {
		os.RemoveAll(tempRoot)
	}
	os.Exit(code)
}

// cluster generates a cluster, keeping only the last one in memory so that
// peak-heap-MiB counts the input of the benchmark running and no other.
func cluster(b *testing.B, cfg gen.Config) *inventory.Snapshot {
	b.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := snapshots[cfg]; ok {
		return s
	}
	clear(snapshots)
	runtime.GC()
	s := gen.Generate(cfg)
	snapshots[cfg] = s
	return s
}

func dropClusters() {
	cacheMu.Lock()
	clear(snapshots)
	cacheMu.Unlock()
	runtime.GC()
}

// manifests writes a cluster's manifests once per process.
func manifests(b *testing.B, cfg gen.Config, format gen.Format) string {
	b.Helper()
	key := fmt.Sprintf("%v/%s", cfg, format)
	cacheMu.Lock()
	dir, ok := folders[key]
	cacheMu.Unlock()
	if ok {
		return dir
	}
	snap := cluster(b, cfg)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if tempRoot == "" {
		var err error
		if tempRoot, err = os.MkdirTemp("", "netaudit-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	dir = filepath.Join(tempRoot, fmt.Sprintf("pods-%d-%s", cfg.Pods, format))
	if _, err := gen.WriteManifests(snap, dir, format); err != nil {
		b.Fatal(err)
	}
	folders[key] = dir
	return dir
}

// peakHeap samples the heap in use until stopped, and returns the highest
// value seen. runtime/metrics reads it without stopping the world.
type peakHeap struct {
	stop chan struct{}
	done chan uint64
}

func startPeakHeap() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		var peak uint64
		read := func() {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64() + sample[1].Value.Uint64(); v > peak {
				peak = v
			}
		}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-p.stop:
				read()
				p.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) report(b *testing.B) {
	close(p.stop)
	b.ReportMetric(float64(<-p.done)/(1<<20), "peak-heap-MiB")
}

func reportSnapshot(b *testing.B, snap *inventory.Snapshot) {
	b.ReportMetric(float64(len(snap.Pods)), "pods")
	b.ReportMetric(float64(len(snap.Policies)), "policies")
}

func reportMatrix(b *testing.B, mx *reach.Matrix) {
	b.ReportMetric(float64(len(mx.Nodes)), "workloads")
	b.ReportMetric(float64(mx.Stats.Classes), "classes")
	b.ReportMetric(float64(mx.Stats.ClassPairs), "class-pairs")
	b.ReportMetric(float64(mx.Stats.PodPairs), "pod-pairs")
	b.ReportMetric(float64(len(mx.Edges)), "edges")
}

func build(b *testing.B, snap *inventory.Snapshot) *reach.Model {
	m, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkDecode reads a folder of manifests, one file per namespace, in
// YAML (as people keep them) and as JSON streams (as kubectl get -o json
// writes them).
func BenchmarkDecode(b *testing.B) {
	for _, format := range []gen.Format{gen.YAML, gen.JSON} {
		b.Run(string(format), func(b *testing.B) {
			eachSize(b, func(b *testing.B, cfg gen.Config) {
				dir := manifests(b, cfg, format)
				dropClusters() // decoding's input is the files
				b.ReportAllocs()
				peak := startPeakHeap()
				var snap *inventory.Snapshot
				for b.Loop() {
					var err error
					if snap, err = inventory.FromFiles(inventory.FileOptions{Paths: []string{dir}}); err != nil {
						b.Fatal(err)
					}
				}
				peak.report(b)
				reportSnapshot(b, snap)
			})
		})
	}
}

// BenchmarkBuild compiles the policies and indexes the pods.
func BenchmarkBuild(b *testing.B) {
	eachSize(b, func(b *testing.B, cfg gen.Config) {
		snap := cluster(b, cfg)
		b.ReportAllocs()
		peak := startPeakHeap()
		for b.Loop() {
			build(b, snap)
		}
		peak.report(b)
		reportSnapshot(b, snap)
	})
}

// BenchmarkMatrix builds the engine and computes the full workload matrix
// (a model caches its equivalence classes, so each run builds afresh).
func BenchmarkMatrix(b *testing.B) {
	eachSize(b, func(b *testing.B, cfg gen.Config) {
		snap := cluster(b, cfg)
		b.ReportAllocs()
		peak := startPeakHeap()
		var mx *reach.Matrix
		for b.Loop() {
			mx = build(b, snap).Matrix(reach.ByWorkload)
		}
		peak.report(b)
		reportMatrix(b, mx)
	})
}

// BenchmarkAudit builds the engine and runs every check, as the root
// command does after reading the inventory.
func BenchmarkAudit(b *testing.B) {
	eachSize(b, func(b *testing.B, cfg gen.Config) {
		snap := cluster(b, cfg)
		b.ReportAllocs()
		peak := startPeakHeap()
		var res *audit.Result
		for b.Loop() {
			var err error
			if res, err = audit.Run(snap, build(b, snap), audit.DefaultConfig()); err != nil {
				b.Fatal(err)
			}
		}
		peak.report(b)
		reportSnapshot(b, snap)
		b.ReportMetric(float64(len(res.Findings)), "findings")
	})
}

// BenchmarkEngineScaling doubles the pods of the same 1,000 workloads under
// the same 2,000 policies: the engine's cost (build, classes, matrix,
// redundancy) must grow with workload classes, not with pods or pod pairs.
func BenchmarkEngineScaling(b *testing.B) {
	for _, pods := range []int{10000, 20000, 40000} {
		cfg := gen.Config{Pods: pods, Workloads: 1000, Namespaces: 200, Policies: 2000, Seed: 1}
		b.Run(fmt.Sprintf("pods=%dk", pods/1000), func(b *testing.B) {
			snap := cluster(b, cfg)
			b.ReportAllocs()
			var mx *reach.Matrix
			for b.Loop() {
				m := build(b, snap)
				mx = m.Matrix(reach.ByWorkload)
				m.Redundancy()
			}
			reportMatrix(b, mx)
		})
	}
}

// BenchmarkAuditBarePods is BenchmarkAudit on 10,000 pods without owners in
// 200 namespaces: every pod is a workload of its own, so the audit's cost
// must follow the pod classes, not the 10,000 workloads.
func BenchmarkAuditBarePods(b *testing.B) {
	snap := cluster(b, gen.Config{Pods: 10000, Seed: 1, BarePods: true})
	b.ReportAllocs()
	peak := startPeakHeap()
	var res *audit.Result
	for b.Loop() {
		var err error
		if res, err = audit.Run(snap, build(b, snap), audit.DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	peak.report(b)
	reportSnapshot(b, snap)
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
