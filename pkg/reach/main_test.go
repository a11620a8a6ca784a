package reach_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the package's tests with a lazy garbage collector: the
// property tests compare tens of millions of short-lived verdicts and spent
// a quarter of their CPU collecting them at the default setting. The
// collector runs only when the heap reaches 256 MiB (GOGC off, a memory
// limit). Measured on the two property tests and TestRedundancyIsExact, in
// CPU seconds: GOGC=100 63 + 100 (engine + tiers and redundancy), GOGC=400
// 38 + -, a 3 GiB limit 53 + 100 (fresh pages cost more than collecting), 512
// MiB 36 + 83, 256 MiB 32 + 83, 128 MiB 37 + -. GOGC or GOMEMLIMIT set by the
// caller wins.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(256 << 20)
	}
	os.Exit(m.Run())
}
