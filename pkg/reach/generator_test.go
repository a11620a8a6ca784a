package reach_test

import (
	"math/rand/v2"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

// The random snapshot generator lives in reachtest so that tests of the
// packages built on the engine draw the same snapshots; these adapters keep
// the property test and the fuzzer reading as before.

type chooser = reachtest.Chooser

type randChooser struct{ r *rand.Rand }

func (c randChooser) IntN(n int) int { return c.r.IntN(n) }

type byteChooser struct{ data []byte }

func (c *byteChooser) IntN(n int) int {
	b := reachtest.Bytes{Data: c.data}
	v := b.IntN(n)
	c.data = b.Data
	return v
}

// propCase is a random snapshot and the outside addresses to probe it with.
type propCase struct {
	snap     *inventory.Snapshot
	external []string
	podCIDRs []string
}

func generateCase(c chooser) propCase {
	pc := reachtest.GenerateCase(c)
	return propCase{snap: pc.Snapshot, external: pc.External, podCIDRs: pc.PodCIDRs}
}

func dumpSnapshot(snap *inventory.Snapshot) string { return reachtest.DumpSnapshot(snap) }
