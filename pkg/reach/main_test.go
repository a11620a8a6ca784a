package reach_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the package's tests with a lazy garbage collector: the
// property tests compare tens of millions of short-lived verdicts and spent
// a quarter of their CPU collecting them at the default setting. The
// collector runs only when the heap reaches 3 GiB (GOGC off, a memory
// limit); that took the two property tests from 163 to 143 s of CPU against
// GOGC=400. GOGC or GOMEMLIMIT set by the caller wins.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(3 << 30)
	}
	os.Exit(m.Run())
}
