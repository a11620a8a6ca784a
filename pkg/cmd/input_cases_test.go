package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// kustomizeTree writes a base and an overlay copy of one namespace, pod and
// two policies, the overlay's allow-web differing from the base's, as
// `-f deploy/ -R` reads a kustomize repository.
func kustomizeTree(t *testing.T) string {
	t.Helper()
	app := func(from string) string {
		return `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.0.0.10}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [` + from + `], ports: [{port: 8080}]}]
`
	}
	dir := t.TempDir()
	for name, data := range map[string]string{
		"base/app.yaml":    app("{namespaceSelector: {matchLabels: {team: front}}}"),
		"overlay/app.yaml": app("{podSelector: {matchLabels: {app: web}}}"),
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDuplicateTree (issue 11, case 3): a base and an overlay copy of the
// same objects used to be audited side by side: every count doubled, each
// copy of default-deny told the user to delete the other ("delete the
// duplicate"), the base's replaced allow-web got a finding, and matrix
// --pods listed shop/web reaching shop/web (two pods of one name). Now every
// verb rejects the tree naming both places, and --allow-duplicates=last
// audits what kubectl apply would leave.
func TestDuplicateTree(t *testing.T) {
	dir := kustomizeTree(t)
	for _, verb := range [][]string{nil, {"matrix", "--pods"}, {"explain", "--from", "shop/web", "--to", "shop/web", "--port", "8080"}} {
		args := append(append([]string{}, verb...), "-q", "-f", dir, "-R")
		code, out, errOut := run(t, "", args...)
		if code != ExitInput || !strings.Contains(errOut, "NetworkPolicy shop/allow-web is defined twice, differently: at "+filepath.Join(dir, "base", "app.yaml")+":16 and at "+filepath.Join(dir, "overlay", "app.yaml")+":16") {
			t.Errorf("%v: exit %d, want %d naming both copies of allow-web\n%s%s", verb, code, ExitInput, out, errOut)
		}
	}

	code, out, errOut := run(t, "", "-q", "-f", dir, "-R", "--allow-duplicates=last")
	if code != ExitOK || !strings.Contains(out, "1 namespace, 1 pod, 2 policies.") ||
		strings.Contains(out, "delete the duplicate") || strings.Contains(out, "team=front") {
		t.Errorf("--allow-duplicates=last: exit %d, want %d, one copy of each object and no finding about the copies or the replaced policy\n%s%s", code, ExitOK, out, errOut)
	}
	code, out, errOut = run(t, "", "matrix", "--pods", "-q", "-f", dir, "-R", "--allow-duplicates=last")
	if code != ExitOK || regexp.MustCompile(`(?m)^shop/web\s+shop/web\s`).MatchString(out) {
		t.Errorf("matrix --pods --allow-duplicates=last: exit %d, want %d and no pair of shop/web with itself\n%s%s", code, ExitOK, out, errOut)
	}
}

// TestExplainFromFinishedPodIP (issue 11, case 4): a pod in phase Succeeded
// keeps the IP the cluster has since given to a running pod; explain --from
// that IP used to say DENIED (the address matched no single pod and was
// judged as external). The running pod is the one behind it.
func TestExplainFromFinishedPodIP(t *testing.T) {
	manifests := writeFile(t, "m.yaml", `apiVersion: v1
kind: Pod
metadata: {name: job-1, namespace: shop, labels: {app: job}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Succeeded, podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.0.6}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]
`)
	code, out, errOut := run(t, "", "explain", "-q", "--from", "10.0.0.5", "--to", "shop/api", "--port", "8080", "-f", manifests)
	if code != ExitOK || !strings.HasPrefix(out, "ALLOWED: 10.0.0.5 -> shop/api on 8080/TCP") || !strings.Contains(out, "egress from shop/web") {
		t.Errorf("exit %d, want %d and ALLOWED from shop/web, the running pod at 10.0.0.5\n%s%s", code, ExitOK, out, errOut)
	}
}
