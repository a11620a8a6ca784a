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
// phase's wall seconds per run. BENCH_TARGET_PODS sets another size.
func BenchmarkAuditTarget(b *testing.B) {
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
	spent := map[string]time.Duration{}
	var res *audit.Result
	for b.Loop() {
		cur, at := "build", time.Now()
		cfg := audit.DefaultConfig()
		cfg.Phase = func(name string) {
			now := time.Now()
			spent[cur] += now.Sub(at)
			cur, at = name, now
		}
		m := build(b, snap)
		var err error
		if res, err = audit.Run(snap, m, cfg); err != nil {
			b.Fatal(err)
		}
		spent[cur] += time.Since(at)
	}
	peak.report(b)
	for name, d := range spent {
		b.ReportMetric(d.Seconds()/float64(b.N), name+"-s")
	}
	reportSnapshot(b, snap)
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
