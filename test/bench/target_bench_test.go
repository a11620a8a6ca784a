package bench

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// BenchmarkAuditTarget is BenchmarkAudit on the 100,000-pod target cluster
// (10,000 workloads, 2,000 namespaces, 20,000 policies) without decoding:
// build, verdicts and checks as the root command runs them, with each
// phase's wall seconds (NAME-s) and the process's CPU seconds (NAME-cpu-s)
// per run, as --timings reports them. BENCH_TARGET_PODS sets another size;
// BENCH_SIZES=small skips it.
func BenchmarkAuditTarget(b *testing.B) {
	if os.Getenv("BENCH_SIZES") == "small" {
		b.Skip("BENCH_SIZES=small")
	}
	pods := 100000
	if s := os.Getenv("BENCH_TARGET_PODS"); s != "" {
		var err error
		if pods, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	snap := cluster(b, gen.Config{Pods: pods, Seed: 1})
	b.ReportAllocs()
	peak := startPeakHeap()
	spent, cpu := map[string]time.Duration{}, map[string]time.Duration{}
	var res *audit.Result
	for b.Loop() {
		cur, at, cpuAt := "build", time.Now(), cpuTime(b)
		cfg := audit.DefaultConfig()
		cfg.Phase = func(name string) {
			now, cpuNow := time.Now(), cpuTime(b)
			spent[cur] += now.Sub(at)
			cpu[cur] += cpuNow - cpuAt
			cur, at, cpuAt = name, now, cpuNow
		}
		m := build(b, snap)
		var err error
		if res, err = audit.Run(snap, m, cfg); err != nil {
			b.Fatal(err)
		}
		spent[cur] += time.Since(at)
		cpu[cur] += cpuTime(b) - cpuAt
	}
	peak.report(b)
	for name, d := range spent {
		b.ReportMetric(d.Seconds()/float64(b.N), name+"-s")
		b.ReportMetric(cpu[name].Seconds()/float64(b.N), name+"-cpu-s")
	}
	reportSnapshot(b, snap)
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
