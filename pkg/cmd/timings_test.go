package cmd

import (
	"regexp"
	"strings"
	"testing"
)

// TestTimings: --timings lists each phase of the run on stderr, in order,
// with wall and CPU seconds, and changes nothing on stdout.
func TestTimings(t *testing.T) {
	manifests := writeFile(t, "m.yaml", twoPods)
	for _, tc := range []struct {
		args   []string
		phases []string
	}{
		{[]string{"-f", manifests, "-o", "json"}, []string{"decode", "build", "verdicts", "checks", "report", "print", "total"}},
		{[]string{"matrix", "-f", manifests}, []string{"decode", "build", "evaluate", "print", "total"}},
	} {
		code, want, _ := run(t, "", append(tc.args, "-q")...)
		gotCode, out, errOut := run(t, "", append(tc.args, "-q", "--timings")...)
		if gotCode != code || out != want {
			t.Errorf("%v: --timings changed the output (exit %d, was %d):\n%s\nwas:\n%s", tc.args, gotCode, code, out, want)
		}
		row := regexp.MustCompile(`^(\S+) +(\d+\.\d{3}) +(\d+\.\d{3}|-)$`)
		var phases []string
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "Peak resident memory: ") {
				continue
			}
			m := row.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%v: timings line %q does not read PHASE WALL-S CPU-S:\n%s", tc.args, l, errOut)
			}
			phases = append(phases, m[1])
		}
		if strings.Join(phases, ",") != strings.Join(tc.phases, ",") || !strings.HasPrefix(lines[0], "PHASE") {
			t.Errorf("%v: phases %v, want %v:\n%s", tc.args, phases, tc.phases, errOut)
		}
	}
}
