package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Explanation is the document `kubectl netaudit explain -o json` writes.
type Explanation struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Source     inventory.Source `json:"source"`
	From       string           `json:"from"`
	To         string           `json:"to"`
	Port       int32            `json:"port"`
	Protocol   reach.Protocol   `json:"protocol"`
	// Allowed is true only if every pod pair named is allowed.
	Allowed bool `json:"allowed"`
	// Pairs and AllowedPairs count the pod pairs behind the answer (more
	// than one when from or to is a workload).
	Pairs        int `json:"pairs"`
	AllowedPairs int `json:"allowedPairs"`
	// UndefinedPairs counts the pairs whose verdict may go either way:
	// cluster-wide policies of equal priority disagree, or a peer outside
	// the model may match.
	UndefinedPairs int `json:"undefinedPairs,omitempty"`
	// DependsPairs counts, among them, the pairs whose verdict depends on
	// the IP of a pod that has none yet (reach.Verdict.Depends).
	DependsPairs int `json:"dependsPairs,omitempty"`
	// Verdicts holds one verdict per pod pair, with the reasons.
	Verdicts []reach.Verdict `json:"verdicts"`
	// Assumptions are what the verdicts assumed and left out.
	Assumptions []inventory.Assumption `json:"assumptions"`
}

// Partial says that some but not all pod pairs are allowed.
func (e *Explanation) Partial() bool { return e.AllowedPairs > 0 && e.AllowedPairs < e.Pairs }

// Explain evaluates every pod pair between two targets. A pod's traffic to
// itself is left out when the targets hold other pairs, since it is always
// allowed and says nothing about the policies.
func Explain(snap *inventory.Snapshot, model *reach.Model, from, to inventory.Target, port int32, proto reach.Protocol) *Explanation {
	e := &Explanation{APIVersion: APIVersion, Kind: "Explanation", Source: snap.Source, From: from.Ref, To: to.Ref, Port: port, Protocol: proto, Verdicts: []reach.Verdict{},
		Assumptions: assumptionsOf(snap)}
	var self []reach.Verdict
	for _, s := range endpoints(from) {
		for _, d := range endpoints(to) {
			v := model.Verdict(s, d, port, proto)
			if s.Pod != nil && d.Pod != nil && s.Pod == d.Pod {
				self = append(self, v)
				continue
			}
			e.Verdicts = append(e.Verdicts, v)
		}
	}
	if len(e.Verdicts) == 0 {
		e.Verdicts = self
	}
	e.Pairs = len(e.Verdicts)
	for _, v := range e.Verdicts {
		if v.Allowed {
			e.AllowedPairs++
		}
		if v.Undefined {
			e.UndefinedPairs++
		}
		if v.Depends {
			e.DependsPairs++
		}
	}
	e.Allowed = e.Pairs > 0 && e.AllowedPairs == e.Pairs
	return e
}

func endpoints(t inventory.Target) []reach.Endpoint {
	if len(t.Pods) == 0 {
		return []reach.Endpoint{reach.IPEndpoint(t.IP)}
	}
	out := make([]reach.Endpoint, len(t.Pods))
	for i, p := range t.Pods {
		out[i] = reach.PodEndpoint(p)
	}
	return out
}

// PrintExplanation writes the verdict and, for each direction, why. When
// pod pairs disagree, each distinct explanation is shown with its pairs.
func PrintExplanation(w io.Writer, e *Explanation) error {
	head := "DENIED"
	switch {
	case e.Allowed:
		head = "ALLOWED"
	case e.DependsPairs == e.Pairs && e.Pairs > 0:
		head = "DEPENDS (allowed or denied, depending on the IP a pod without one gets)"
	case e.UndefinedPairs == e.Pairs && e.DependsPairs == 0 && e.Pairs > 0:
		head = "UNDEFINED (allowed or denied, depending on the implementation or on what the model cannot see)"
	case e.Partial() || e.UndefinedPairs > 0:
		head = fmt.Sprintf("PARTIAL (%d of %d pod pairs allowed", e.AllowedPairs, e.Pairs)
		if n := e.UndefinedPairs - e.DependsPairs; n > 0 {
			head += fmt.Sprintf(", %d undefined", n)
		}
		if e.DependsPairs > 0 {
			head += fmt.Sprintf(", %d depending on a pod's IP", e.DependsPairs)
		}
		head += ")"
	}
	fmt.Fprintf(w, "%s: %s -> %s on %d/%s\n", head, e.From, e.To, e.Port, e.Protocol)
	// Group pairs with the same reasons so a 10x10 workload pair stays readable.
	type group struct {
		text               string
		allowed, undefined bool
		depends            bool
		pairs              []string
	}
	var groups []*group
	index := map[string]*group{}
	for _, v := range e.Verdicts {
		text := explainLines(v)
		key := text
		for _, s := range []string{v.Egress.Subject, v.Ingress.Subject} {
			key = strings.ReplaceAll(key, s, "")
		}
		g := index[key]
		if g == nil {
			g = &group{text: text, allowed: v.Allowed, undefined: v.Undefined, depends: v.Depends}
			index[key] = g
			groups = append(groups, g)
		}
		g.pairs = append(g.pairs, v.From+" -> "+v.To)
	}
	for _, g := range groups {
		if len(e.Verdicts) > 1 {
			fmt.Fprintf(w, "\n%s", pairsLine(g.allowed, g.undefined, g.depends, g.pairs))
		}
		fmt.Fprint(w, g.text)
	}
	printAssumptionsAfter(w, e.Assumptions)
	return nil
}

func pairsLine(allowed, undefined, depends bool, pairs []string) string {
	const show = 3
	verdict := "DENIED"
	switch {
	case allowed:
		verdict = "ALLOWED"
	case depends:
		verdict = "DEPENDS"
	case undefined:
		verdict = "UNDEFINED"
	}
	if len(pairs) <= show {
		return fmt.Sprintf("%s for %s:\n", verdict, strings.Join(pairs, ", "))
	}
	return fmt.Sprintf("%s for %s and %d more pod pairs:\n", verdict, strings.Join(pairs[:show], ", "), len(pairs)-show)
}

func explainLines(v reach.Verdict) string {
	return fmt.Sprintf("  egress from %s: %s\n  ingress to %s: %s\n",
		v.Egress.Subject, directionText(v.Egress, "to"), v.Ingress.Subject, directionText(v.Ingress, "from"))
}

// directionText renders one side the way an operator reads it, e.g.
// "isolated by y/deny-all; allowed by y/web ingress rule 1 (from namespaceSelector ns=x; port 80/TCP)".
func directionText(d reach.Direction, peerWord string) string {
	if len(d.Tiers) > 0 {
		// The chain of tiers, e.g. "Admin tier: cnp/guard priority 10
		// spec.egress[1] Pass: pass to the next tier -> NetworkPolicy tier:
		// isolated by shop/default-deny; allowed by ...".
		var steps []string
		for _, st := range d.Tiers {
			if st.Tier == reach.TierNetworkPolicy && d.Isolated {
				steps = append(steps, "NetworkPolicy tier: "+npText(d, peerWord))
				continue
			}
			text := st.String()
			if st.Peer != "" || st.Port != "" {
				text += fmt.Sprintf(" (%s %s; port %s)", peerWord, st.Peer, st.Port)
			}
			steps = append(steps, text)
		}
		out := strings.Join(steps, " -> ")
		switch {
		case d.Depends:
			out = dependsText(d) + ": " + out
		case d.Undefined:
			out = "UNDEFINED: " + out
		}
		return out
	}
	if !d.Evaluated || !d.Isolated {
		return d.Reason
	}
	if d.Depends {
		// No rule allows it for sure; one would for some of the addresses
		// the pod may get.
		return strings.TrimSuffix(npText(d, peerWord), "; no rule allows it") + "; no rule allows it for sure; " + dependsText(d)
	}
	return npText(d, peerWord)
}

// dependsText renders the reason of a side that depends on a pod's IP,
// e.g. "DEPENDS on a pod's IP: x/a has no IP, and ipBlock ...".
func dependsText(d reach.Direction) string {
	return "DEPENDS on a pod's IP (" + strings.TrimPrefix(d.Reason, reach.ReasonDepends+": ") + ")"
}

// npText renders what NetworkPolicy says of an isolated side.
func npText(d reach.Direction, peerWord string) string {
	var by []string
	for _, p := range d.IsolatedBy {
		by = append(by, p.String())
	}
	s := "isolated by " + strings.Join(by, ", ")
	if len(d.AllowedBy) == 0 {
		return s + "; no rule allows it"
	}
	var rules []string
	kind := "ingress"
	if peerWord == "to" {
		kind = "egress"
	}
	for _, r := range d.AllowedBy {
		port := "port " + r.Port
		if r.Port == "all ports" {
			port = r.Port
		}
		rules = append(rules, fmt.Sprintf("%s %s rule %d (%s %s; %s)", r.Policy, kind, r.Rule+1, peerWord, r.Peer, port))
	}
	return s + "; allowed by " + strings.Join(rules, ", ")
}
