package reach_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the package's tests with a lazier garbage collector: the
// property tests compare tens of millions of short-lived verdicts and spend
// a quarter of their CPU collecting them at the default setting, while the
// heap stays small (about 100 MB at 400%). GOGC set by the caller wins.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
