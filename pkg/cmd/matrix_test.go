package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// 1,000 pods in 50 Deployments over 5 namespaces, with policies that
// restrict ports but block no pair: the matrix must list all 50x50 workload
// pairs while evaluating far fewer class pairs than pod pairs.
func TestMatrixThousandPodsFiftyWorkloads(t *testing.T) {
	var b strings.Builder
	pod := 0
	for ns := 0; ns < 5; ns++ {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns%d, labels: {team: t%d}}\n---\n", ns, ns)
		// Every pod of the namespace accepts 8080 from anywhere and 9090
		// from its own namespace: each pair is allowed on some port.
		fmt.Fprintf(&b, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: ns%d}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 8080}]
  - from: [{podSelector: {}}]
    ports: [{port: 9090}]
---
`, ns)
		for w := 0; w < 10; w++ {
			hash := fmt.Sprintf("%08x", ns*100+w)
			for r := 0; r < 20; r++ {
				fmt.Fprintf(&b, `apiVersion: v1
kind: Pod
metadata:
  name: app%d-%s-%d
  namespace: ns%d
  labels: {app: app%d, pod-template-hash: "%s"}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: app%d-%s, uid: u, controller: true}]
spec: {containers: [{name: c, image: app}]}
status: {podIP: 10.%d.%d.%d}
---
`, w, hash, r, ns, w, hash, w, hash, ns, w, r+1)
				pod++
			}
		}
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root := NewRootCommand(streams)
	root.SetArgs([]string{"matrix", "-f", path, "-o", "json"})
	if code := Execute(root, streams); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var m report.ReachabilityMatrix
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if pod != 1000 || len(m.Nodes) != 50 || len(m.Pairs) != 50*50 {
		t.Fatalf("got %d nodes and %d pairs from %d pods, want 50 and 2500 from 1000", len(m.Nodes), len(m.Pairs), pod)
	}
	for _, p := range m.Pairs {
		same := strings.Split(p.From, "/")[0] == strings.Split(p.To, "/")[0]
		want := "TCP:8080"
		if same {
			want = "TCP:8080,9090"
		}
		if got := p.Ports.String(); got != want {
			t.Fatalf("%s -> %s: got %s, want %s", p.From, p.To, got, want)
		}
	}
	s := m.Stats
	if s.Pods != 1000 || s.PodPairs != 999000 || s.ClassPairs > 100 {
		t.Errorf("got stats %+v, want 1000 pods, 999000 pod pairs and at most 100 class pairs", s)
	}
	t.Logf("1000 pods, 50 workloads: %d classes, %d class pairs evaluated for %d pod pairs", s.Classes, s.ClassPairs, s.PodPairs)
}
