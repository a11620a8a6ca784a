package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// run runs kubectl netaudit with args and returns the exit code, stdout
// and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	root := NewRootCommand(streams)
	root.SetArgs(args)
	code := Execute(root, streams)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const twoPods = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
`

// TestVerifyReadsEveryDocument: the failing expectation sits in the second
// document of the file; it used to be ignored and verify passed.
func TestVerifyReadsEveryDocument(t *testing.T) {
	manifests := writeFile(t, "m.yaml", twoPods)
	expect := writeFile(t, "e.yaml", `expectations:
- {from: x/a, to: x/b, port: 80, allowed: false}
---
# the second team's expectations
expectations:
- {from: x/b, to: x/a, port: 80, allowed: true}
`)
	code, out, errOut := run(t, "", "verify", "-q", "-f", manifests, "--expect", expect)
	if code != ExitFailed || !strings.Contains(out, "1 passed, 1 failed") {
		t.Fatalf("exit %d, want %d with one failure\n%s%s", code, ExitFailed, out, errOut)
	}
	bad := writeFile(t, "bad.yaml", "expectations:\n- {from: x/a, to: x/b, port: 80, allowed: false}\n---\nexpectation: []\n")
	code, _, errOut = run(t, "", "verify", "-q", "-f", manifests, "--expect", bad)
	if code != ExitInput || !strings.Contains(errOut, "document 1 (line 4)") {
		t.Fatalf("exit %d, want %d naming document 1 at line 4: %s", code, ExitInput, errOut)
	}
}
