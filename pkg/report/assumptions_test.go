package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

const outsideManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: lockdown, namespace: shop}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
`

// outsideFixture reads manifests with a template pod and policies outside
// the model, and adds the engine's assumptions as the commands do.
func outsideFixture(t *testing.T) (*inventory.Snapshot, *reach.Model, *AuditReport) {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(outsideManifests)})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	snap.Assumptions = append(snap.Assumptions, model.Assumptions()...)
	res, err := audit.Run(snap, model, audit.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return snap, model, NewAuditReport(snap, res, 0, AuditOptions{IPBlockMatchesPods: true, FailOn: "none"})
}

// Every format states what the verdicts assumed and left out, not only the
// warnings on stderr that -q silences.
func TestAssumptionsInEveryFormat(t *testing.T) {
	snap, model, rep := outsideFixture(t)
	want := []string{
		"1 workload without pods in the files is judged as one pod built from its template, without an IP: shop/deployment/web",
		"ipBlock peers match pod IPs too (--ipblock-matches-pods=true",
		"verdicts do not include 2 policies of kinds netaudit does not model: 1 CiliumNetworkPolicy.cilium.io in shop, 1 GlobalNetworkPolicy.projectcalico.org (cluster-wide)",
	}
	web, err := snap.Resolve("shop/deployment/web")
	if err != nil {
		t.Fatal(err)
	}
	expl := Explain(snap, model, web, web, 80, reach.TCP)
	matrix := NewReachabilityMatrix(snap, model.Matrix(reach.ByWorkload), MatrixFilter{})
	outputs := map[string]func(*bytes.Buffer) error{
		"audit table":    func(b *bytes.Buffer) error { return PrintAuditTable(b, rep, false, false) },
		"audit markdown": func(b *bytes.Buffer) error { return PrintAuditMarkdown(b, rep) },
		"audit json":     func(b *bytes.Buffer) error { return WriteJSON(b, rep) },
		"audit yaml":     func(b *bytes.Buffer) error { return WriteYAML(b, rep) },
		"audit sarif":    func(b *bytes.Buffer) error { return WriteSARIF(b, rep, snap, "test") },
		"matrix table":   func(b *bytes.Buffer) error { return PrintMatrixTable(b, matrix, false, false) },
		"matrix json":    func(b *bytes.Buffer) error { return WriteJSON(b, matrix) },
		"matrix dot":     func(b *bytes.Buffer) error { return PrintMatrixDot(b, matrix) },
		"explain text":   func(b *bytes.Buffer) error { return PrintExplanation(b, expl) },
		"explain json":   func(b *bytes.Buffer) error { return WriteJSON(b, expl) },
		"verify table": func(b *bytes.Buffer) error {
			return PrintVerifyTable(b, &VerifyReport{Assumptions: assumptionsOf(snap)}, false, false)
		},
		"policies table": func(b *bytes.Buffer) error {
			return PrintPolicyTable(b, NewPolicyInventory(snap, model), false, false)
		},
	}
	for name, print := range outputs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := print(&b); err != nil {
				t.Fatal(err)
			}
			// YAML folds long strings: compare with whitespace collapsed.
			got := strings.Join(strings.Fields(b.String()), " ")
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	var doc struct {
		Assumptions     []inventory.Assumption      `json:"assumptions"`
		OutsidePolicies []inventory.OutsidePolicies `json:"outsidePolicies"`
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, a := range doc.Assumptions {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, " ") != "template-pods synthesised-namespaces outside-model-policies ipblock-matches-pods pod-network" ||
		!doc.Assumptions[2].LeftOut || len(doc.OutsidePolicies) != 2 {
		t.Errorf("JSON assumptions %+v, outsidePolicies %+v", doc.Assumptions, doc.OutsidePolicies)
	}
	var table bytes.Buffer
	_ = PrintAuditTable(&table, rep, false, false)
	if !strings.Contains(table.String(), "NA070 namespace shop is subject to 2 policies that netaudit does not model") {
		t.Errorf("no NA070 finding for shop:\n%s", table.String())
	}
}

// With several contexts each SARIF run names its context, and a context
// that could not be read is a run whose invocation failed, not nothing.
func TestSARIFRunsNameTheirContext(t *testing.T) {
	snap, _, rep := outsideFixture(t)
	var b bytes.Buffer
	err := WriteSARIFRuns(&b, []SARIFInput{
		{Context: "prod", Report: rep, Snap: snap},
		{Context: "staging", Error: &ContextError{Message: "listing pods: forbidden", Hint: "grant list on pods", Code: 4}},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			AutomationDetails struct {
				ID string `json:"id"`
			} `json:"automationDetails"`
			Invocations []struct {
				ExecutionSuccessful        bool `json:"executionSuccessful"`
				ToolExecutionNotifications []struct {
					Level   string `json:"level"`
					Message struct {
						Text string `json:"text"`
					} `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results    []json.RawMessage `json:"results"`
			Properties struct {
				Context     string                 `json:"context"`
				Assumptions []inventory.Assumption `json:"assumptions"`
				Error       *ContextError          `json:"error"`
			} `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 2 {
		t.Fatalf("got %d runs, want 2:\n%s", len(log.Runs), b.String())
	}
	prod, staging := log.Runs[0], log.Runs[1]
	if prod.AutomationDetails.ID != "kubectl-netaudit/prod/" || prod.Properties.Context != "prod" || len(prod.Invocations) != 0 ||
		len(prod.Results) == 0 || len(prod.Properties.Assumptions) != 5 {
		t.Errorf("prod run: automationDetails %+v, invocations %+v, %d results, properties %+v", prod.AutomationDetails, prod.Invocations, len(prod.Results), prod.Properties)
	}
	if staging.AutomationDetails.ID != "kubectl-netaudit/staging/" || staging.Properties.Context != "staging" ||
		staging.Properties.Error == nil || len(staging.Results) != 0 || len(staging.Invocations) != 1 ||
		staging.Invocations[0].ExecutionSuccessful || len(staging.Invocations[0].ToolExecutionNotifications) != 1 ||
		staging.Invocations[0].ToolExecutionNotifications[0].Level != "error" ||
		!strings.Contains(staging.Invocations[0].ToolExecutionNotifications[0].Message.Text, "context staging could not be audited: listing pods: forbidden") {
		t.Errorf("staging run: %+v", staging)
	}
}
