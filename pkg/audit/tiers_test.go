package audit

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Small builders for the tier checks: a namespace with one pod, and
// ClusterNetworkPolicies in the v1beta1 shape.

func nsPod(ns, name, app, ip string) string {
	return `---
apiVersion: v1
kind: Namespace
metadata: {name: ` + ns + `}
---
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ` + ns + `, labels: {app: ` + app + `}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: ` + ip + `}
`
}

func clusterPolicy(name, tier string, priority int, spec string) string {
	return `---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ` + name + `}
spec:
  tier: ` + tier + `
  priority: ` + strconv.Itoa(priority) + `
  subject: {namespaces: {}}
` + spec
}

func ids(res *Result) map[string][]Finding {
	out := map[string][]Finding{}
	for _, f := range res.Findings {
		out[f.CheckID] = append(out[f.CheckID], f)
	}
	return out
}

// A namespace without NetworkPolicies whose ingress a Baseline deny
// guards is not open: no NA001, and coverage names the tier.
func TestBaselineDenyCoversNamespace(t *testing.T) {
	res := runAudit(t, coreDNS+nsPod("shop", "web", "web", "10.0.1.1")+nsPod("other", "cli", "cli", "10.0.2.1")+
		clusterPolicy("base", "Baseline", 5, `  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`))
	for _, f := range ids(res)["NA001"] {
		if strings.Contains(f.Message, "namespace shop ") || strings.Contains(f.Message, "namespace other ") {
			t.Errorf("got %s, want the Baseline-guarded namespaces not reported open", f.Message)
		}
	}
	for _, ns := range res.Coverage.Namespaces {
		if ns.Name == "shop" && (ns.IngressIsolated != 1 || len(ns.ProtectedBy) != 1 || ns.ProtectedBy[0] != "Baseline tier: cnp/base") {
			t.Errorf("got coverage %+v, want the pod counted isolated, protected by the Baseline tier's cnp/base", ns)
		}
	}
	// Without the Baseline policy the same namespaces are open.
	res = runAudit(t, coreDNS+nsPod("shop", "web", "web", "10.0.1.1")+nsPod("other", "cli", "cli", "10.0.2.1"))
	if n := len(ids(res)["NA001"]); n != 2 {
		t.Errorf("without tiers: got %d NA001 findings, want 2", n)
	}
}

func TestTierPriorityConflict(t *testing.T) {
	base := coreDNS + nsPod("shop", "web", "web", "10.0.1.1") + nsPod("other", "cli", "cli", "10.0.2.1")
	res := runAudit(t, base+
		clusterPolicy("allow-cli", "Admin", 10, `  ingress: [{action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: cli}}}}]}]
`)+clusterPolicy("deny-other", "Admin", 10, `  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]
`))
	got := ids(res)["NA080"]
	if len(got) != 1 || got[0].Severity != High || got[0].Objects[0].Field != "spec.ingress[0]" ||
		!strings.Contains(got[0].Message, "cnp/allow-cli and cnp/deny-other have the same priority (10)") {
		t.Fatalf("got NA080 %+v, want one finding naming both policies", got)
	}
	// Different priorities, or peers that never meet: no conflict.
	for name, doc := range map[string]string{
		"priorities": clusterPolicy("allow-cli", "Admin", 10, `  ingress: [{action: Accept, from: [{namespaces: {}}]}]
`) + clusterPolicy("deny-other", "Admin", 11, `  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`),
		"disjoint": clusterPolicy("allow-cli", "Admin", 10, `  ingress: [{action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}]}]
`) + clusterPolicy("deny-other", "Admin", 10, `  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]}]
`),
	} {
		if got := ids(runAudit(t, base+doc))["NA080"]; len(got) != 0 {
			t.Errorf("%s: got NA080 %+v, want none", name, got)
		}
	}
}

func TestAdminAcceptOverridesNamespace(t *testing.T) {
	base := nsPod("shop", "web", "web", "10.0.1.1") + nsPod("other", "cli", "cli", "10.0.2.1") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`
	res := runAudit(t, base+clusterPolicy("monitoring", "Admin", 1, `  ingress: [{action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}], protocols: [{tcp: {destinationPort: {number: 9100}}}]}]
`))
	got := ids(res)["NA081"]
	if len(got) != 1 || got[0].Objects[0].Field != "spec.ingress[0]" || !strings.Contains(got[0].Message, "e.g. other/cli to shop/web on 9100/TCP") {
		t.Fatalf("got NA081 %+v, want one naming other/cli to shop/web on 9100/TCP", got)
	}
	// Pass lets the namespace decide: nothing is overridden.
	res = runAudit(t, base+clusterPolicy("monitoring", "Admin", 1, `  ingress: [{action: Pass, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]}]
`))
	if got := ids(res)["NA081"]; len(got) != 0 {
		t.Errorf("Pass: got NA081 %+v, want none", got)
	}
}

func TestShadowedTierRule(t *testing.T) {
	res := runAudit(t, coreDNS+nsPod("shop", "web", "web", "10.0.1.1")+nsPod("other", "cli", "cli", "10.0.2.1")+
		clusterPolicy("guard", "Admin", 3, `  ingress:
  - action: Deny
    from: [{namespaces: {}}]
  - action: Accept
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]
    protocols: [{tcp: {destinationPort: {number: 80}}}]
  egress:
  - action: Accept
    to: [{networks: [10.0.0.0/8]}]
    protocols: [{tcp: {destinationPort: {number: 443}}}]
  - action: Deny
    to: [{networks: [10.1.0.0/16]}]
`))
	got := ids(res)["NA082"]
	if len(got) != 1 || got[0].Objects[0].Field != "spec.ingress[1]" || got[0].Objects[1].Field != "spec.ingress[0]" {
		t.Fatalf("got NA082 %+v, want only spec.ingress[1], shadowed by spec.ingress[0] (the egress Deny covers more ports)", got)
	}
}

// NA082 across policies: a rule is shadowed when every probe it matches
// is decided by earlier rules, of its policy or of policies of its tier
// with a lower priority number selecting the same pods.
func TestShadowedTierRuleAcrossPolicies(t *testing.T) {
	base := coreDNS + nsPod("shop", "web", "web", "10.0.1.1") + nsPod("other", "cli", "cli", "10.0.2.1")
	fromOther := `from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]`
	scoped := func(name, tier string, priority int, subject, spec string) string {
		return strings.Replace(clusterPolicy(name, tier, priority, spec), "subject: {namespaces: {}}", "subject: "+subject, 1)
	}
	type shadow struct{ rule, by string }
	for _, tc := range []struct {
		name string
		docs string
		want []shadow // "policy field" of the shadowed rule, then of the rules that shadow it
	}{{
		name: "an earlier policy denies all the later one accepts",
		docs: clusterPolicy("deny-other", "Admin", 1, "  ingress: [{action: Deny, "+fromOther+"}]\n") +
			clusterPolicy("allow-other", "Admin", 5, "  ingress: [{action: Accept, "+fromOther+", protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n"),
		want: []shadow{{"cnp/allow-other spec.ingress[0]", "cnp/deny-other spec.ingress[0]"}},
	}, {
		name: "two earlier policies together, a Pass among them",
		docs: clusterPolicy("deny-80", "Admin", 1, "  ingress: [{action: Deny, "+fromOther+", protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n") +
			clusterPolicy("pass-81", "Admin", 2, "  ingress: [{action: Pass, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}]\n") +
			clusterPolicy("allow-80-81", "Admin", 5, "  ingress: [{action: Accept, "+fromOther+", protocols: [{tcp: {destinationPort: {range: {start: 80, end: 81}}}}]}]\n"),
		want: []shadow{{"cnp/allow-80-81 spec.ingress[0]", "cnp/deny-80 spec.ingress[0]|cnp/pass-81 spec.ingress[0]"}},
	}, {
		name: "Baseline policies shadow within their tier",
		docs: clusterPolicy("base-deny", "Baseline", 1, "  egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}]}]\n") +
			clusterPolicy("base-allow", "Baseline", 2, "  egress: [{action: Accept, to: [{networks: [10.1.0.0/16]}]}]\n"),
		want: []shadow{{"cnp/base-allow spec.egress[0]", "cnp/base-deny spec.egress[0]"}},
	}, {
		// Near misses: each covers all but a sliver of what the later rule
		// matches, so the later rule decides something.
		name: "the earlier policy selects fewer pods",
		docs: scoped("deny-other", "Admin", 1, "{namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}", "  ingress: [{action: Deny, "+fromOther+"}]\n") +
			clusterPolicy("allow-other", "Admin", 5, "  ingress: [{action: Accept, "+fromOther+", protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n"),
	}, {
		name: "the earlier policy covers one port fewer",
		docs: clusterPolicy("deny-80", "Admin", 1, "  ingress: [{action: Deny, "+fromOther+", protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n") +
			clusterPolicy("allow-80-81", "Admin", 5, "  ingress: [{action: Accept, "+fromOther+", protocols: [{tcp: {destinationPort: {range: {start: 80, end: 81}}}}]}]\n"),
	}, {
		name: "equal priorities: either may be applied first",
		docs: clusterPolicy("deny-other", "Admin", 5, "  ingress: [{action: Deny, "+fromOther+"}]\n") +
			clusterPolicy("allow-other", "Admin", 5, "  ingress: [{action: Accept, "+fromOther+", protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n"),
	}, {
		name: "an Admin rule does not count for the Baseline tier",
		docs: clusterPolicy("deny-other", "Admin", 1, "  ingress: [{action: Deny, "+fromOther+"}]\n") +
			clusterPolicy("base-other", "Baseline", 0, "  ingress: [{action: Accept, "+fromOther+"}]\n"),
	}, {
		name: "the earlier peer is outside the model",
		docs: clusterPolicy("allow-domain", "Admin", 1, "  egress: [{action: Accept, to: [{domainNames: [example.com]}]}]\n") +
			clusterPolicy("deny-net", "Admin", 5, "  egress: [{action: Deny, to: [{networks: [192.0.2.0/24]}]}]\n"),
	}, {
		name: "the earlier networks peer leaves addresses out",
		docs: clusterPolicy("deny-net", "Admin", 1, "  egress: [{action: Deny, to: [{networks: [10.0.0.0/9]}]}]\n") +
			clusterPolicy("allow-net", "Admin", 5, "  egress: [{action: Accept, to: [{networks: [10.0.0.0/8]}]}]\n"),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []shadow
			for _, f := range ids(runAudit(t, base+tc.docs))["NA082"] {
				var by []string
				for _, o := range f.Objects[1:] {
					by = append(by, "cnp/"+o.Name+" "+o.Field)
				}
				o := f.Objects[0]
				got = append(got, shadow{"cnp/" + o.Name + " " + o.Field, strings.Join(by, "|")})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got NA082 %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWideTierRuleAndOutsidePeers(t *testing.T) {
	res := runAudit(t, coreDNS+nsPod("shop", "web", "web", "10.0.1.1")+
		clusterPolicy("egress", "Admin", 3, `  egress:
  - action: Accept
    to: [{networks: [0.0.0.0/0, "::/0"]}]
  - action: Deny
    to: [{networks: [0.0.0.0/0]}]
  - action: Accept
    to: [{domainNames: [example.com]}]
`))
	got := ids(res)["NA083"]
	if len(got) != 2 || !strings.Contains(got[0].Message, "accepts egress traffic to the whole internet on all ports") {
		t.Errorf("got NA083 %+v, want the two networks of spec.egress[0] (not the Deny)", got)
	}
	out := ids(res)["NA084"]
	if len(out) != 1 || out[0].Objects[0].Field != "spec.egress[2].to[0]" {
		t.Errorf("got NA084 %+v, want the domainNames peer of spec.egress[2]", out)
	}
}
