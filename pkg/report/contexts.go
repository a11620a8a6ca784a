package report

// ContextList is what a command writes with -o json|yaml when it runs on
// several contexts (--context a,b or --all-contexts): one item per context,
// in the order given (sorted for --all-contexts), and a summary.
type ContextList struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Summary    ContextSummary `json:"summary"`
	Items      []ContextItem  `json:"items"`
}

// ContextItem is one context's result or error.
type ContextItem struct {
	Context string        `json:"context"`
	Result  any           `json:"result,omitempty"`
	Error   *ContextError `json:"error,omitempty"`
}

// ContextError says why a context could not be read.
type ContextError struct {
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Code is the exit code the error alone would give.
	Code int `json:"code"`
}

// ContextSummary sums the contexts up; audit totals are set for audits.
type ContextSummary struct {
	Contexts  int `json:"contexts"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Findings and the per-severity counts add up the audits.
	Findings int `json:"findings,omitempty"`
	High     int `json:"high,omitempty"`
	Medium   int `json:"medium,omitempty"`
	Low      int `json:"low,omitempty"`
	Info     int `json:"info,omitempty"`
}
