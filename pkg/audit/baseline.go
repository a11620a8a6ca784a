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
	CheckID string   `json:"checkID"`
	Objects []Object `json:"objects"`
	// Message is kept for the reader; it does not take part in matching.
	Message string `json:"message,omitempty"`
}

// NewBaseline accepts every given finding.
func NewBaseline(apiVersion string, findings []Finding) *Baseline {
	b := &Baseline{APIVersion: apiVersion, Kind: "AuditBaseline", Findings: []BaselineEntry{}}
	for _, f := range findings {
		b.Findings = append(b.Findings, BaselineEntry{CheckID: f.CheckID, Objects: f.Objects, Message: f.Message})
	}
	sort.Slice(b.Findings, func(i, j int) bool { return b.Findings[i].key() < b.Findings[j].key() })
	return b
}

func (e BaselineEntry) key() string { return Finding{CheckID: e.CheckID, Objects: e.Objects}.Key() }

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

// Filter splits findings into new ones and those the baseline accepts.
func (b *Baseline) Filter(findings []Finding) (fresh, accepted []Finding) {
	keys := map[string]bool{}
	for _, e := range b.Findings {
		keys[e.key()] = true
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
