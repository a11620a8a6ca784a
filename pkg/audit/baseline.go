package audit

import (
	"fmt"
	"sort"
)

// Baseline lists accepted findings, so CI fails only on new ones. Findings
// match by check ID and objects (Finding.Key), not by message.
type Baseline struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Findings   []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	// Context, when set, limits the entry to audits of that kubeconfig
	// context (baselines written by multi-context runs set it).
	Context string   `json:"context,omitempty"`
	CheckID string   `json:"checkID"`
	Objects []Object `json:"objects"`
	// Message is kept for the reader; it does not take part in matching.
	Message string `json:"message,omitempty"`
}

// NewBaseline starts an empty baseline.
func NewBaseline(apiVersion string) *Baseline {
	return &Baseline{APIVersion: apiVersion, Kind: "AuditBaseline", Findings: []BaselineEntry{}}
}

// Accept adds findings of an audit of context ("" for one audit).
func (b *Baseline) Accept(context string, findings []Finding) {
	for _, f := range findings {
		b.Findings = append(b.Findings, BaselineEntry{Context: context, CheckID: f.CheckID, Objects: f.Objects, Message: f.Message})
	}
	sort.SliceStable(b.Findings, func(i, j int) bool { return b.Findings[i].key() < b.Findings[j].key() })
}

func (e BaselineEntry) key() string {
	return e.Context + "\x00" + Finding{CheckID: e.CheckID, Objects: e.Objects}.Key()
}

// Validate checks the entries name known checks and objects.
func (b *Baseline) Validate() error {
	if b.Kind != "" && b.Kind != "AuditBaseline" {
		return fmt.Errorf("kind is %q, want AuditBaseline", b.Kind)
	}
	known := map[string]bool{}
	for _, c := range Checks() {
		known[c.ID] = true
	}
	for i, e := range b.Findings {
		if !known[e.CheckID] {
			return fmt.Errorf("findings[%d]: unknown checkID %q", i, e.CheckID)
		}
		if len(e.Objects) == 0 {
			return fmt.Errorf("findings[%d]: objects are required", i)
		}
	}
	return nil
}

// Filter splits the findings of an audit of context into new ones and those
// the baseline accepts; an entry without a context applies to every context.
func (b *Baseline) Filter(context string, findings []Finding) (fresh, accepted []Finding) {
	keys := map[string]bool{}
	for _, e := range b.Findings {
		if e.Context == "" || e.Context == context {
			keys[Finding{CheckID: e.CheckID, Objects: e.Objects}.Key()] = true
		}
	}
	fresh = []Finding{}
	for _, f := range findings {
		if keys[f.Key()] {
			accepted = append(accepted, f)
		} else {
			fresh = append(fresh, f)
		}
	}
	return fresh, accepted
}
