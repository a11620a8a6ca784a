package bench

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

func TestTmpHeap(t *testing.T) {
	snap := gen.Generate(gen.Config{Pods: 100000, Seed: 1})
	m, _ := reach.Build(snap, reach.DefaultOptions())
	cfg := audit.DefaultConfig()
	cfg.Phase = func(name string) {
		if name == "checks" {
			runtime.GC()
			f, _ := os.Create("/tmp/scale/heap-checks.prof")
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	res, _ := audit.Run(snap, m, cfg)
	runtime.KeepAlive(res)
	runtime.KeepAlive(m)
}
