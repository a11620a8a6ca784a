package diff

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// findings runs the audit on both states and matches findings by their
// baseline key, as --ignore does.
func findings(base, proposed State, opts Options) (FindingsDiff, error) {
	rb, err := audit.Run(base.Snap, base.Model, opts.Audit)
	if err != nil {
		return FindingsDiff{}, err
	}
	rp, err := audit.Run(proposed.Snap, proposed.Model, opts.Audit)
	if err != nil {
		return FindingsDiff{}, err
	}
	return compareFindings(rb.Findings, rp.Findings, opts.Baseline, proposed.Snap.Source.Context), nil
}

func compareFindings(before, after []audit.Finding, baseline *audit.Baseline, context string) FindingsDiff {
	fd := FindingsDiff{New: []audit.Finding{}, Resolved: []audit.Finding{}}
	had := make(map[string]bool, len(before))
	for _, f := range before {
		had[f.Key()] = true
	}
	has := make(map[string]bool, len(after))
	var fresh []audit.Finding
	for _, f := range after {
		has[f.Key()] = true
		if !had[f.Key()] {
			fresh = append(fresh, f)
		}
	}
	if baseline != nil {
		var accepted []audit.Finding
		fresh, accepted = baseline.Filter(context, fresh)
		fd.Accepted = len(accepted)
	}
	if fresh != nil {
		fd.New = fresh
	}
	for _, f := range before {
		if !has[f.Key()] {
			fd.Resolved = append(fd.Resolved, f)
		}
	}
	return fd
}

// expectations checks each expectation on both states: it passes when
// every pod pair it names agrees with it, as verify says.
func (c *computer) expectations(exps []Expectation) ([]ExpectationResult, error) {
	var out []ExpectationResult
	for _, e := range exps {
		r := ExpectationResult{Expectation: e}
		var errs []string
		for i, s := range []State{c.base, c.proposed} {
			allowed, err := allowedAll(s, e)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", []string{"base", "proposed"}[i], err))
				continue
			}
			if i == 0 {
				r.Base = allowed == e.Allowed
			} else {
				r.Proposed = allowed == e.Allowed
			}
		}
		r.Error = strings.Join(errs, "; ")
		out = append(out, r)
	}
	return out, nil
}

func allowedAll(s State, e Expectation) (bool, error) {
	from, err := s.Snap.Resolve(e.From)
	if err != nil {
		return false, err
	}
	to, err := s.Snap.Resolve(e.To)
	if err != nil {
		return false, err
	}
	ends := func(t inventory.Target) []reach.Endpoint {
		if len(t.Pods) == 0 {
			return []reach.Endpoint{reach.IPEndpoint(t.IP)}
		}
		out := make([]reach.Endpoint, len(t.Pods))
		for i, p := range t.Pods {
			out[i] = reach.PodEndpoint(p)
		}
		return out
	}
	pairs := 0
	for _, a := range ends(from) {
		for _, b := range ends(to) {
			if a.Pod != nil && a.Pod == b.Pod {
				continue
			}
			pairs++
			if !s.Model.Verdict(a, b, e.Port, e.Protocol).Allowed {
				return false, nil
			}
		}
	}
	return pairs > 0, nil
}

// breakage marks closed changes that DNS or a failing expectation relied on.
func (c *computer) breakage(exps []ExpectationResult) {
	for _, ch := range c.out {
		if ch.Effect != Closed {
			continue
		}
		if ch.To != Outside && c.servesDNS(ch.To, ch.Ports) {
			ch.Breaks = append(ch.Breaks, "DNS")
		}
		for k, r := range exps {
			if r.Allowed && r.Base && !r.Proposed && c.covers(ch, r.Expectation) {
				ch.Breaks = append(ch.Breaks, fmt.Sprintf("expectation %d", k+1))
			}
		}
		if len(ch.Breaks) > 0 {
			ch.Risk = RiskBreakage
		}
	}
}

// servesDNS says whether the node holds cluster DNS pods (kube-system,
// k8s-app=kube-dns, the audit's NA050 convention) and the closed ports
// include what they serve on: 53 or their dns/dns-tcp container ports.
func (c *computer) servesDNS(id string, ports reach.PortSet) bool {
	n := c.node(id)
	if n.Namespace != metav1.NamespaceSystem {
		return false
	}
	for _, name := range n.Pods {
		p := c.base.Model.Pod(n.Namespace, name)
		if p == nil || p.Labels["k8s-app"] != "kube-dns" {
			continue
		}
		if ports.Contains(reach.UDP, 53) || ports.Contains(reach.TCP, 53) {
			return true
		}
		for _, ct := range p.Spec.Containers {
			for _, cp := range ct.Ports {
				if cp.Name != "dns" && cp.Name != "dns-tcp" {
					continue
				}
				proto := reach.TCP
				if cp.Protocol == corev1.ProtocolUDP {
					proto = reach.UDP
				}
				if ports.Contains(proto, cp.ContainerPort) {
					return true
				}
			}
		}
	}
	return false
}

// covers says whether a closed change holds the expectation's traffic.
func (c *computer) covers(ch *Change, e Expectation) bool {
	if !ch.Ports.Contains(e.Protocol, e.Port) {
		return false
	}
	if !c.matches(ch.To, ch.CIDRs, e.To) {
		return false
	}
	for _, from := range ch.From {
		if c.matches(from, ch.CIDRs, e.From) {
			return true
		}
	}
	return false
}

// matches says whether a change's end names what ref names.
func (c *computer) matches(id string, cidrs []netip.Prefix, ref string) bool {
	if id == Outside {
		a, err := netip.ParseAddr(ref)
		if err != nil {
			return false
		}
		for _, p := range cidrs {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	t, err := c.base.Snap.Resolve(ref)
	if err != nil {
		return false
	}
	n := c.node(id)
	for _, p := range t.Pods {
		if p.Namespace != n.Namespace {
			continue
		}
		for _, name := range n.Pods {
			if name == p.Name {
				return true
			}
		}
	}
	return false
}
