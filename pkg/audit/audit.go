// Package audit turns the engine's verdicts into findings an operator can act
// on: isolation gaps, rules open to the world, stale and redundant policies,
// blocked DNS. Each check lives in its own file with a stable ID, a severity
// and a one-line fix. Findings come from what the policies do (the engine),
// not from the shape of the YAML. The package never prints.
package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Severity orders findings; a higher one matters more.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
)

var severityNames = []string{"info", "low", "medium", "high"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity reads info, low, medium or high.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: want %s", s, strings.Join(severityNames, ", "))
}

// Object names a Kubernetes object a finding is about, and optionally the
// field inside it (e.g. spec.ingress[0].from[1]).
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Field     string `json:"field,omitempty"`
}

func (o Object) String() string {
	s := strings.ToLower(o.Kind) + "/" + o.Name
	if o.Namespace != "" {
		s = o.Namespace + "/" + s
	}
	if o.Field != "" {
		s += " " + o.Field
	}
	return s
}

// Change is the kind of edit a finding calls for; the report's closing
// change list groups findings by it.
type Change string

const (
	ChangeAddDefaultDeny  Change = "Add default-deny policies"
	ChangeIsolate         Change = "Select forgotten workloads"
	ChangeAlignLabels     Change = "Align labels"
	ChangeTighten         Change = "Tighten permissive rules"
	ChangeRestoreDeny     Change = "Restore default-deny"
	ChangeRemoveUnused    Change = "Remove unused policies and dead peers"
	ChangeFixNamedPorts   Change = "Fix named ports"
	ChangeRemoveRedundant Change = "Remove redundant policies and rules"
	ChangeAllowDNS        Change = "Allow DNS egress"
	ChangeReview          Change = "Review"
)

// Finding is one problem at one place.
type Finding struct {
	CheckID  string   `json:"checkID"`
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Message says what is wrong, in one line, naming what it exposes.
	Message string `json:"message"`
	// Objects are the objects concerned; the first is the one to edit.
	Objects []Object `json:"objects"`
	// Fix says what to do, in one line.
	Fix    string `json:"fix"`
	Change Change `json:"change"`
	// Details hold supporting facts (pods exposed, ports, ...) shown with -o wide.
	Details []string `json:"details,omitempty"`
}

// Key identifies a finding across runs for baselines: check and objects,
// not the message, which may name counts that drift.
func (f Finding) Key() string {
	var objs []string
	for _, o := range f.Objects {
		objs = append(objs, o.String())
	}
	return f.CheckID + " " + strings.Join(objs, ", ")
}

// Check is one kind of finding.
type Check struct {
	ID       string
	Name     string
	Severity Severity // the usual severity; a finding may differ
	Summary  string   // one line, for --help and SARIF rule descriptions
	Run      func(*Input) []Finding
}

// Config tunes the checks.
type Config struct {
	// WideIPv4Prefix and WideIPv6Prefix: ipBlocks with a shorter prefix
	// are reported as open to (nearly) the world.
	WideIPv4Prefix int
	WideIPv6Prefix int
	// Only and Skip select checks by ID or name; empty Only means all.
	Only, Skip []string
	// Phase, when set, is told as each phase of Run begins: "verdicts"
	// (the engine's classes, exposure and redundancy the checks share),
	// then "checks". The command line's --timings reads it.
	Phase func(name string)
}

// DefaultConfig flags CIDRs wider than /8 (IPv4) and /32 (IPv6).
func DefaultConfig() Config { return Config{WideIPv4Prefix: 8, WideIPv6Prefix: 32} }

// Input is what every check reads.
type Input struct {
	Snap   *inventory.Snapshot
	Model  *reach.Model
	Config Config
	facts  *facts
}

// Checks returns every check, ordered by ID.
func Checks() []Check {
	out := append([]Check(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

var registry []Check

func register(c Check) Check {
	registry = append(registry, c)
	return c
}

// Selected returns the checks Config.Only and Config.Skip leave, or an
// error naming an unknown check.
func (c Config) Selected() ([]Check, error) {
	all := Checks()
	known := map[string]bool{}
	for _, ch := range all {
		known[strings.ToLower(ch.ID)] = true
		known[ch.Name] = true
	}
	for _, s := range append(append([]string{}, c.Only...), c.Skip...) {
		if !known[strings.ToLower(s)] {
			return nil, fmt.Errorf("unknown check %q (see 'kubectl netaudit checks')", s)
		}
	}
	in := func(list []string, ch Check) bool {
		for _, s := range list {
			if strings.EqualFold(s, ch.ID) || s == ch.Name {
				return true
			}
		}
		return false
	}
	var out []Check
	for _, ch := range all {
		if (len(c.Only) == 0 || in(c.Only, ch)) && !in(c.Skip, ch) {
			out = append(out, ch)
		}
	}
	return out, nil
}

// Result is the audit's outcome.
type Result struct {
	Checks   []Check
	Findings []Finding
	Coverage Coverage
}

// Run runs the selected checks and sorts their findings: severity first,
// then check, then objects, so that two runs give identical output.
func Run(snap *inventory.Snapshot, model *reach.Model, cfg Config) (*Result, error) {
	checks, err := cfg.Selected()
	if err != nil {
		return nil, err
	}
	phase := func(name string) {
		if cfg.Phase != nil {
			cfg.Phase(name)
		}
	}
	in := &Input{Snap: snap, Model: model, Config: cfg}
	phase("verdicts")
	in.facts = gatherFacts(in)
	phase("checks")
	res := &Result{Checks: checks, Findings: []Finding{}, Coverage: coverage(in)}
	for _, ch := range checks {
		for _, f := range ch.Run(in) {
			f.CheckID, f.Check = ch.ID, ch.Name
			res.Findings = append(res.Findings, f)
		}
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return a.Key() < b.Key()
	})
	return res, nil
}
