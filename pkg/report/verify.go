package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Expectations is the file `kubectl netaudit verify --expect FILE` reads.
type Expectations struct {
	APIVersion   string        `json:"apiVersion,omitempty"`
	Kind         string        `json:"kind,omitempty"`
	Expectations []Expectation `json:"expectations"`
}

// Expectation is one statement about traffic: from, to and port, and
// whether it should be allowed.
type Expectation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol,omitempty"` // TCP when empty
	// Allowed is a pointer so that a missing value is an error, not false.
	Allowed *bool `json:"allowed"`
	// Undefined says the verdict is expected to be undefined (cluster-wide
	// policies of equal priority disagree, or a peer outside the model may
	// match); allowed may then be omitted. An undefined verdict fails every
	// expectation that does not say so.
	Undefined bool `json:"undefined,omitempty"`
	// Depends says the verdict is expected to depend on the IP of a pod
	// that has none yet (a template or pending pod, and an ipBlock holding
	// part of the pod network); allowed may then be omitted. Such a verdict
	// fails every expectation that does not say so.
	Depends bool `json:"depends,omitempty"`
}

// VerifyReport is the document `kubectl netaudit verify -o json` writes.
type VerifyReport struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Source     inventory.Source `json:"source"`
	Passed     int              `json:"passed"`
	Failed     int              `json:"failed"`
	Results    []VerifyResult   `json:"results"`
	// Assumptions are what the verdicts assumed and left out.
	Assumptions []inventory.Assumption `json:"assumptions"`
}

// VerifyResult is one expectation with its actual verdict.
type VerifyResult struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Port     int32          `json:"port"`
	Protocol reach.Protocol `json:"protocol"`
	Expected bool           `json:"expected"`
	// Actual is true only if every pod pair is allowed.
	Actual bool `json:"actual"`
	// Partial is set when some but not all pod pairs of a workload are
	// allowed: that fails both "allowed: true" and "allowed: false".
	Partial bool `json:"partial,omitempty"`
	// Undefined is set when some pod pair's verdict may go either way.
	Undefined bool `json:"undefined,omitempty"`
	// Depends is set when some pod pair's verdict depends on the IP of a
	// pod that has none (Undefined is set too).
	Depends bool   `json:"depends,omitempty"`
	Pass    bool   `json:"pass"`
	Result  string `json:"result"` // PASS or FAIL
	// Reason is the explanation of the first pod pair that disagrees with
	// the expectation, or of the first pair when all agree.
	Reason string `json:"reason"`
}

// NewVerifyResult compares one expectation with its explanation.
func NewVerifyResult(e *Explanation, expected bool) VerifyResult {
	return NewVerifyResultUndefined(e, expected, false)
}

// NewVerifyResultUndefined is NewVerifyResult for an expectation that may
// say the verdict is undefined: then it passes only if every pod pair's
// verdict is.
func NewVerifyResultUndefined(e *Explanation, expected, undefined bool) VerifyResult {
	return NewVerifyResultExpect(e, expected, undefined, false)
}

// NewVerifyResultExpect compares an expectation that may say the verdict is
// undefined (it passes if every pod pair's verdict is, none of them because
// of a pod's unknown IP) or depends on a pod's IP (it passes if every pod
// pair's verdict does); otherwise an undefined or depends verdict fails.
func NewVerifyResultExpect(e *Explanation, expected, undefined, depends bool) VerifyResult {
	r := VerifyResult{From: e.From, To: e.To, Port: e.Port, Protocol: e.Protocol, Expected: expected, Actual: e.Allowed, Partial: e.Partial(),
		Undefined: e.UndefinedPairs > 0, Depends: e.DependsPairs > 0}
	switch {
	case depends:
		r.Pass = e.Pairs > 0 && e.DependsPairs == e.Pairs
	case undefined:
		r.Pass = e.Pairs > 0 && e.UndefinedPairs == e.Pairs && e.DependsPairs == 0
	default:
		r.Pass = !r.Partial && !r.Undefined && r.Actual == expected
	}
	r.Result = "FAIL"
	if r.Pass {
		r.Result = "PASS"
	}
	pick := e.Verdicts[0]
	for _, v := range e.Verdicts {
		if v.Allowed != expected {
			pick = v
			break
		}
	}
	r.Reason = fmt.Sprintf("%s -> %s: egress: %s; ingress: %s", pick.From, pick.To, directionText(pick.Egress, "to"), directionText(pick.Ingress, "from"))
	return r
}

// PrintVerifyTable writes one row per expectation and a summary line.
func PrintVerifyTable(w io.Writer, r *VerifyReport, wide, noHeaders bool) error {
	t := &Table{NoHeaders: noHeaders, Headers: []string{"RESULT", "FROM", "TO", "PORT", "EXPECTED", "ACTUAL"}}
	if wide {
		t.Headers = append(t.Headers, "REASON")
	}
	for _, res := range r.Results {
		actual := allowedWord(res.Actual)
		if res.Partial {
			actual = "partial"
		}
		if res.Undefined {
			actual = "undefined"
		}
		if res.Depends {
			actual = "depends"
		}
		row := []string{res.Result, res.From, res.To, strconv.Itoa(int(res.Port)) + "/" + string(res.Protocol), allowedWord(res.Expected), actual}
		if wide {
			row = append(row, res.Reason)
		}
		t.Rows = append(t.Rows, row)
	}
	if err := t.Render(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d passed, %d failed\n", r.Passed, r.Failed)
	printAssumptionsAfter(w, r.Assumptions)
	return nil
}

func allowedWord(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}
