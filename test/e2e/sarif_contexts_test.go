package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestContextsSARIF: with several contexts, each SARIF run names its
// context, and a context that could not be read is a run whose invocation
// failed with a notification, not a missing run (issue 11, case 9).
func TestContextsSARIF(t *testing.T) {
	r := netaudit(t, 6, "--context", "e2e,unreachable", "-o", "sarif", "-q")
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
			Properties struct {
				Context string `json:"context"`
			} `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("decoding the SARIF log: %v\n%s", err, r.stdout)
	}
	if len(log.Runs) != 2 {
		t.Fatalf("got %d runs, want one per context (e2e, unreachable):\n%s", len(log.Runs), r.stdout)
	}
	byContext := map[string]int{}
	for i, run := range log.Runs {
		byContext[run.Properties.Context] = i
		if want := "kubectl-netaudit/" + run.Properties.Context + "/"; run.Properties.Context == "" || run.AutomationDetails.ID != want {
			t.Errorf("run %d: context %q, automationDetails.id %q; want the context named in both", i, run.Properties.Context, run.AutomationDetails.ID)
		}
	}
	i, ok := byContext["unreachable"]
	if !ok {
		t.Fatalf("no run for the context that could not be read:\n%s", r.stdout)
	}
	failed := log.Runs[i]
	if len(failed.Invocations) != 1 || failed.Invocations[0].ExecutionSuccessful ||
		len(failed.Invocations[0].ToolExecutionNotifications) != 1 ||
		failed.Invocations[0].ToolExecutionNotifications[0].Level != "error" ||
		!strings.Contains(failed.Invocations[0].ToolExecutionNotifications[0].Message.Text, "context unreachable could not be audited") {
		t.Errorf("the unreachable run does not say it failed: %+v", failed.Invocations)
	}
	if i, ok := byContext["e2e"]; !ok || len(log.Runs[i].Invocations) != 0 {
		t.Errorf("the e2e run is missing or marked as failed:\n%s", r.stdout)
	}
}
