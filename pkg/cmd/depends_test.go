package cmd

import (
	"strings"
	"testing"
)

// TestVerifyDepends: a verdict that depends on the IP of a pod judged from
// its template fails expectations that say allowed or denied, and passes
// one that says depends: true; --pod-cidr decides what the pod network is.
func TestVerifyDepends(t *testing.T) {
	manifests := writeFile(t, "m.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: x}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: x, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.244.3.4}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{ipBlock: {cidr: 10.244.64.0/18}}]}]
`)
	expect := func(line string) string {
		return writeFile(t, "e.yaml", "expectations:\n- {from: x/deployment/web, to: x/db, port: 5432, "+line+"}\n")
	}
	for _, tt := range []struct {
		expectation string
		args        []string
		code        int
		actual      string
	}{
		{"allowed: true", nil, ExitFailed, "depends"},
		{"allowed: false", nil, ExitFailed, "depends"},
		{"undefined: true", nil, ExitFailed, "depends"},
		{"depends: true", nil, ExitOK, "depends"},
		{"allowed: true", []string{"--pod-cidr", "10.244.64.0/20"}, ExitOK, "allowed"},
		{"allowed: false", []string{"--pod-cidr", "10.244.0.0/18,fd00::/64"}, ExitOK, "denied"},
	} {
		args := append([]string{"verify", "-q", "-f", manifests, "--expect", expect(tt.expectation)}, tt.args...)
		code, out, errOut := run(t, "", args...)
		if code != tt.code || !strings.Contains(out, tt.actual) {
			t.Errorf("%s %v: exit %d, want %d with actual %s\n%s%s", tt.expectation, tt.args, code, tt.code, tt.actual, out, errOut)
		}
	}
	code, _, errOut := run(t, "", "verify", "-q", "-f", manifests, "--expect", expect("depends: true"), "--pod-cidr", "10.244.0.0")
	if code != ExitUsage || !strings.Contains(errOut, `--pod-cidr "10.244.0.0"`) {
		t.Errorf("bad --pod-cidr: exit %d, want %d naming it: %s", code, ExitUsage, errOut)
	}
}
