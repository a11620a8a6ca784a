package cmd

import (
	"fmt"
	"io"
	"time"
)

// phaseTimer measures where a run's time goes (--timings): wall and CPU
// time of each phase, one after the other. CPU time is the process's
// (user+system, all threads), so phases that decode or evaluate on every
// core show more CPU than wall time. A nil timer measures nothing.
type phaseTimer struct {
	phases []phaseTime
	cur    string
	start  time.Time
	cpu0   time.Duration
	begun  time.Time
	cpuAt0 time.Duration
}

type phaseTime struct {
	name      string
	wall, cpu time.Duration
}

func newPhaseTimer() *phaseTimer {
	now := time.Now()
	cpu := processCPU()
	return &phaseTimer{begun: now, cpuAt0: cpu}
}

// begin ends the phase running, if any, and starts the named one.
func (t *phaseTimer) begin(name string) {
	if t == nil {
		return
	}
	t.end()
	t.cur, t.start, t.cpu0 = name, time.Now(), processCPU()
}

// end ends the phase running.
func (t *phaseTimer) end() {
	if t == nil || t.cur == "" {
		return
	}
	t.phases = append(t.phases, phaseTime{name: t.cur, wall: time.Since(t.start), cpu: processCPU() - t.cpu0})
	t.cur = ""
}

// print writes the phases, their total and the peak resident memory.
func (t *phaseTimer) print(w io.Writer) {
	if t == nil {
		return
	}
	t.end()
	cpuKnown := t.cpuAt0 >= 0
	cpu := func(d time.Duration) string {
		if !cpuKnown {
			return "-"
		}
		return fmt.Sprintf("%.3f", d.Seconds())
	}
	fmt.Fprintf(w, "%-10s %8s %8s\n", "PHASE", "WALL-S", "CPU-S")
	for _, p := range t.phases {
		fmt.Fprintf(w, "%-10s %8.3f %8s\n", p.name, p.wall.Seconds(), cpu(p.cpu))
	}
	fmt.Fprintf(w, "%-10s %8.3f %8s\n", "total", time.Since(t.begun).Seconds(), cpu(processCPU()-t.cpuAt0))
	if rss := peakRSS(); rss > 0 {
		fmt.Fprintf(w, "Peak resident memory: %.0f MiB\n", float64(rss)/(1<<20))
	}
}
