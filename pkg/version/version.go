// Package version reports the version stamped into the binary at build time.
package version

import "runtime/debug"

// Version is set with -ldflags "-X github.com/kubectl-netaudit/kubectl-netaudit/pkg/version.Version=v1.2.3"
// by `make build`, `make install` and `make dist`.
var Version = ""

// Get returns the stamped version, else the module version `go install`
// recorded, else "dev".
func Get() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
