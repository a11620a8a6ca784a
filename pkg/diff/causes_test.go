package diff

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

const causesBase = `
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {kubernetes.io/metadata.name: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {kubernetes.io/metadata.name: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: front, namespace: a, labels: {app: front}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: back, namespace: a, labels: {app: back}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: z, namespace: b, labels: {app: z}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
status: {phase: Running, podIP: 10.0.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: a}
spec: {podSelector: {}, policyTypes: [Egress]}
`

// allowOut lets pod <app> of namespace a reach b's z on TCP 80.
func allowOut(app string) string {
	return `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out-` + app + `, namespace: a}
spec:
  podSelector: {matchLabels: {app: ` + app + `}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}, podSelector: {matchLabels: {app: z}}}]
    ports: [{port: 80}]
`
}

func causesState(t *testing.T, yaml string) State {
	t.Helper()
	path := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := stateOf(snap)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGroupedChangeNamesEveryCause: pods front and back of namespace a,
// egress-isolated, both gain TCP 80 to b's z, each through its own new
// egress policy. The diff groups them into one change (same destination,
// source namespace and ports), which must name both policies, not only the
// one behind its first source (a verdict of front's names no policy of
// back's).
func TestGroupedChangeNamesEveryCause(t *testing.T) {
	base := causesState(t, causesBase)
	proposed := causesState(t, causesBase+allowOut("front")+allowOut("back"))
	d, err := Compute(base, proposed, Options{Level: reach.ByWorkload, Audit: audit.DefaultConfig(), NoFindings: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 {
		t.Fatalf("got %d changes, want one grouped change: %+v", len(d.Changes), d.Changes)
	}
	c := d.Changes[0]
	if c.Effect != Opened || c.To != "b/pod/z" || !reflect.DeepEqual(c.From, []string{"a/pod/back", "a/pod/front"}) {
		t.Fatalf("got %s %v -> %s, want opened a/pod/back, a/pod/front -> b/pod/z", c.Effect, c.From, c.To)
	}
	if want := []string{"a/out-back", "a/out-front"}; !reflect.DeepEqual(c.Policies, want) {
		t.Errorf("the grouped change names %q, want %q", c.Policies, want)
	}
}
