package inventory

// Assumption is something the verdicts rest on that the input does not say
// (a pod without an IP, a namespace known by name only, an option), or
// something they leave out (policies of kinds outside the model, kinds that
// could not be listed). Every report lists them, in every format, whatever
// -q says: -q silences the warnings on stderr only.
type Assumption struct {
	// ID is stable, for scripts: one of the Assumption* constants.
	ID string `json:"id"`
	// LeftOut is set for what the verdicts do not include, as opposed to
	// what they assume.
	LeftOut bool `json:"leftOut,omitempty"`
	// Text says it in one line.
	Text string `json:"text"`
}

// The IDs of assumptions. Others may be added; scripts should show unknown
// ones as they are.
const (
	AssumptionTemplatePods          = "template-pods"
	AssumptionSynthesisedNamespaces = "synthesised-namespaces"
	AssumptionNamespacesByName      = "namespaces-by-name"
	AssumptionOutsidePolicies       = "outside-model-policies"
	AssumptionUncheckedKinds        = "unchecked-policy-kinds"
	AssumptionIPBlockMatchesPods    = "ipblock-matches-pods"
	AssumptionPodNetwork            = "pod-network"
)

// Assume records a choice the verdicts rest on.
func (s *Snapshot) Assume(id, text string) {
	s.Assumptions = append(s.Assumptions, Assumption{ID: id, Text: text})
}

// LeaveOut records something the verdicts do not include.
func (s *Snapshot) LeaveOut(id, text string) {
	s.Assumptions = append(s.Assumptions, Assumption{ID: id, LeftOut: true, Text: text})
}
