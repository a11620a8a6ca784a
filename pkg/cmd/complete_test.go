package cmd

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// completions runs `kubectl netaudit __complete args...` (what the shell
// runs on TAB) and returns the offered words, without the directive line.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	_, out, _ := run(t, "", append([]string{"__complete"}, args...)...)
	var words []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.HasPrefix(line, ":") {
			words = append(words, line)
		}
	}
	return words
}

const completionManifests = `apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8c-x2x4z
  namespace: shop
  labels: {app: web, pod-template-hash: 7d9f8c}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f8c, uid: u1, controller: true}]
spec: {containers: [{name: c, image: web}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u2, controller: true}]}
spec: {containers: [{name: c, image: db}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: batch}
spec: {containers: [{name: c, image: job}]}
status: {podIP: 10.0.0.3}
`

func TestExplainCompletesWorkloadsAndPods(t *testing.T) {
	file := writeFile(t, "m.yaml", completionManifests)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"from, everything", []string{"explain", "-f", file, "--from", ""},
			[]string{"shop/deployment/web", "shop/statefulset/db", "batch/job", "shop/db-0", "shop/web-7d9f8c-x2x4z"}},
		{"to, by prefix", []string{"explain", "-f", file, "--port", "80", "--to", "shop/s"}, []string{"shop/statefulset/db"}},
		{"-n limits the inventory as it limits the command", []string{"explain", "-f", file, "-n", "batch", "--to", ""}, []string{"batch/job"}},
		{"an unreadable file offers nothing", []string{"explain", "-f", file + ".missing", "--from", ""}, nil},
		{"stdin is never read", []string{"explain", "-f", "-", "--from", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := completions(t, tt.args...)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A black-holed API server must not hang the shell: completion gives up
// after one request timeout.
func TestExplainCompletionIsBoundedByTheRequestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and never answer
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	kubeconfig := writeFile(t, "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://%s"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`, ln.Addr()))
	start := time.Now()
	got := completions(t, "explain", "--kubeconfig", kubeconfig, "--request-timeout", "1s", "--from", "")
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("completion took %s with --request-timeout 1s", elapsed)
	}
	if len(got) != 0 {
		t.Errorf("got %q from a server that never answers", got)
	}
}
