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
	// AuditTotals add up the audits; other commands have none. Zero
	// counts are printed, as in one audit's summary.
	*AuditTotals `json:",omitempty"`
}

// AuditTotals are the findings of several audits, by severity.
type AuditTotals struct {
	Findings int `json:"findings"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}
