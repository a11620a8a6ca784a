package e2e

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// auditNamespaces are the namespaces testdata/audit.yaml builds; findings
// elsewhere in the shared e2e cluster are not this test's business.
var auditNamespaces = []string{"aud-anyone", "aud-cancel", "aud-forgot", "aud-host", "aud-ignored", "aud-nodns", "aud-open", "aud-redundant", "aud-secure", "aud-stale", "aud-world", "kube-system"}

// wantFindings is every finding testdata/audit.yaml must produce, as
// "CHECK first-object": each check fires exactly here and nowhere else.
var wantFindings = []string{
	"NA001 namespace/aud-open",
	"NA001 namespace/kube-system",
	"NA002 aud-forgot/pod/worker",
	"NA003 aud-forgot/pod/worker",
	"NA004 aud-secure/pod/bare",
	"NA010 aud-world/networkpolicy/public spec.ingress[0].from[0].ipBlock",
	"NA011 aud-anyone/networkpolicy/svc spec.ingress[0]",
	"NA011 aud-cancel/networkpolicy/allow-all spec.ingress[0]",
	"NA012 aud-world/networkpolicy/public spec.ingress[1].from[0].namespaceSelector",
	"NA013 aud-anyone/networkpolicy/svc spec.ingress[1]",
	"NA020 aud-cancel/networkpolicy/allow-all spec.ingress[0]",
	"NA030 aud-stale/networkpolicy/old spec.podSelector",
	"NA031 aud-stale/networkpolicy/here spec.ingress[0].from[0]",
	"NA032 aud-stale/networkpolicy/typo spec.podSelector",
	"NA033 aud-stale/networkpolicy/here spec.ingress[1].ports[0]",
	"NA034 aud-ignored/networkpolicy/lockdown spec.policyTypes",
	"NA040 aud-redundant/networkpolicy/from-db",
	"NA041 aud-redundant/networkpolicy/from-namespace-copy",
	"NA042 aud-stale/networkpolicy/here spec.ingress[0]",
	"NA050 aud-nodns/pod/job",
	"NA060 aud-host/pod/agent",
	"NA061 aud-secure/pod/api-pending",
}

// elsewhereChecks need CRDs this cluster does not have, and are tested
// where they are installed: the checks of ClusterNetworkPolicy and the
// v1alpha1 Admin and Baseline kinds (unit tests in pkg/audit, and
// TestTierChecksLiveAndFiles),
// and the policies outside the model (TestPoliciesOutsideTheModel).
var elsewhereChecks = map[string]bool{"NA070": true, "NA080": true, "NA081": true, "NA082": true, "NA083": true, "NA084": true}

func decodeAudit(t *testing.T, out string) *report.AuditReport {
	t.Helper()
	var r report.AuditReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding audit -o json: %v\n%s", err, out)
	}
	if r.Kind != "AuditReport" || r.APIVersion != report.APIVersion {
		t.Fatalf("got kind %q apiVersion %q", r.Kind, r.APIVersion)
	}
	return &r
}

func findingKeys(r *report.AuditReport) []string {
	in := map[string]bool{}
	for _, ns := range auditNamespaces {
		in[ns] = true
	}
	var keys []string
	for _, f := range r.Findings {
		o := f.Objects[0]
		ns := o.Namespace
		if o.Kind == "Namespace" {
			ns = o.Name
		}
		if in[ns] {
			keys = append(keys, f.CheckID+" "+o.String())
		}
	}
	sort.Strings(keys)
	return keys
}

func TestAuditFindsEveryCheck(t *testing.T) {
	applyManifests(t, "testdata/audit.yaml")
	live := decodeAudit(t, netaudit(t, 0, "-o", "json").stdout)
	if got := findingKeys(live); !reflect.DeepEqual(got, wantFindings) {
		t.Errorf("live findings differ:\ngot:  %q\nwant: %q", got, wantFindings)
	}
	seen := map[string]bool{}
	for _, k := range wantFindings {
		seen[strings.Fields(k)[0]] = true
	}
	for _, c := range audit.Checks() {
		// The checks of the cluster-wide tiers need the network-policy-api
		// CRDs, which this API server does not serve; pkg/audit's tier
		// tests exercise each of them.
		if !seen[c.ID] && !elsewhereChecks[c.ID] {
			t.Errorf("check %s %s has no instance in testdata/audit.yaml", c.ID, c.Name)
		}
	}

	files := decodeAudit(t, netaudit(t, 0, "-f", "testdata/audit.yaml", "-o", "json").stdout)
	if got := findingKeys(files); !reflect.DeepEqual(got, wantFindings) {
		t.Errorf("findings from -f differ:\ngot:  %q\nwant: %q", got, wantFindings)
	}
	// The same messages, live and from files, for the fixture's namespaces.
	msgs := func(r *report.AuditReport) map[string]string {
		m := map[string]string{}
		for _, f := range r.Findings {
			m[f.Key()] = f.Message
		}
		return m
	}
	lm, fm := msgs(live), msgs(files)
	for _, k := range wantFindings {
		for key, msg := range fm {
			if strings.HasPrefix(key, k) && lm[key] != msg && !strings.HasPrefix(k, "NA001") {
				t.Errorf("%s: live says %q, files say %q", key, lm[key], msg)
			}
		}
	}
}

func TestAuditExitCodesAndBaseline(t *testing.T) {
	applyManifests(t, "testdata/audit.yaml")
	netaudit(t, 1, "--fail-on", "high", "-n", "aud-cancel")
	netaudit(t, 0, "--fail-on", "high", "-n", "aud-secure")
	netaudit(t, 1, "--fail-on", "low", "-n", "aud-secure")
	netaudit(t, 2, "--fail-on", "severe")
	netaudit(t, 2, "--only", "NA999")

	baseline := writeFile(t, "baseline.yaml", "")
	netaudit(t, 1, "--fail-on", "info", "--write-baseline", baseline)
	r := netaudit(t, 0, "--fail-on", "info", "--ignore", baseline, "-o", "json")
	rep := decodeAudit(t, r.stdout)
	if rep.Summary.Findings != 0 || rep.Summary.Accepted == 0 {
		t.Errorf("with the baseline: got %d findings, %d accepted; want 0 and all", rep.Summary.Findings, rep.Summary.Accepted)
	}
	// A new problem fails the run although the baseline holds the old ones.
	applyManifests(t, "testdata/audit.yaml", writeFile(t, "new.yaml", `apiVersion: v1
kind: Pod
metadata: {name: newcomer, namespace: aud-open, labels: {app: newcomer}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.9.1.2}
---
apiVersion: v1
kind: Namespace
metadata: {name: aud-new}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: aud-new, labels: {app: p}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.9.10.1}
`))
	r = netaudit(t, 1, "--fail-on", "high", "--ignore", baseline, "-o", "json")
	if got := findingKeys(decodeAudit(t, r.stdout)); len(got) != 0 {
		t.Errorf("got new findings in the fixture namespaces %q, want none", got)
	}
	if !strings.Contains(r.stdout, "namespace aud-new has no NetworkPolicy") {
		t.Errorf("the new namespace is not reported:\n%s", r.stdout)
	}
	if _, err := os.Stat(baseline); err != nil {
		t.Fatal(err)
	}
}

func TestAuditOutputs(t *testing.T) {
	applyManifests(t, "testdata/audit.yaml")
	table := netaudit(t, 0, "-n", "aud-cancel").stdout
	for _, want := range []string{"Audit of context \"e2e\"", "Coverage:", "HIGH (", "NA020", "Changes the audit calls for:"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	md := netaudit(t, 0, "-n", "aud-cancel", "-o", "markdown").stdout
	if !strings.HasPrefix(md, "## kubectl netaudit") || !strings.Contains(md, "| high |") {
		t.Errorf("markdown:\n%s", md)
	}
	sarif := netaudit(t, 0, "-f", "testdata/audit.yaml", "-o", "sarif").stdout
	if !strings.Contains(sarif, `"uri": "testdata/audit.yaml"`) || !strings.Contains(sarif, `"version": "2.1.0"`) {
		t.Errorf("sarif from files lacks file locations:\n%.2000s", sarif)
	}
	// Two runs give byte-identical JSON.
	a := netaudit(t, 0, "-o", "json").stdout
	b := netaudit(t, 0, "-o", "json").stdout
	if a != b {
		t.Errorf("two audits of the same cluster differ")
	}
}
