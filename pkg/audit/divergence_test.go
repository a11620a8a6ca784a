package audit

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// The audit reads policies only through the compiled model; these cases
// once had a copy of the reading in the audit that disagreed with the
// engine.

func auditWithModel(t *testing.T, manifests string) (*Result, *reach.Model, *inventory.Snapshot) {
	t.Helper()
	return auditStored(t, manifests, nil)
}

// auditStored is auditWithModel for objects as a cluster may hold them:
// stored changes the snapshot after reading, for what an older API server
// accepted but manifests may no longer hold.
func auditStored(t *testing.T, manifests string, stored func(*inventory.Snapshot)) (*Result, *reach.Model, *inventory.Snapshot) {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	if stored != nil {
		stored(snap)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(snap, model, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return res, model, snap
}

func findingsOf(res *Result, id string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.CheckID == id {
			out = append(out, f)
		}
	}
	return out
}

// A CIDR with legacy leading zeros, as older API servers stored it: the
// engine reads it as the whole internet, so NA010 must say so.
func TestWideIPBlockWithLeadingZeros(t *testing.T) {
	res, model, snap := auditStored(t, `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: web}]}
status: {podIP: 10.0.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-anywhere, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 8080}]}]
`, func(s *inventory.Snapshot) {
		// Manifests may not hold it any more (the API server rejects it
		// since 1.36); a cluster may.
		s.Policies[0].Spec.Ingress[0].From[0].IPBlock.CIDR = "000.0.0.0/0"
	})
	v := model.Verdict(reach.IPEndpoint(netip.MustParseAddr("203.0.113.7")), reach.PodEndpoint(&snap.Pods[0]), 8080, reach.TCP)
	if !v.Allowed {
		t.Fatalf("engine: got %+v, want the internet allowed in", v)
	}
	got := findingsOf(res, "NA010")
	if len(got) != 1 || !strings.Contains(got[0].Message, "the whole internet") ||
		got[0].Objects[0].Field != "spec.ingress[0].from[0].ipBlock" || got[0].Severity != Medium {
		t.Fatalf("got NA010 findings %+v, want one medium finding on spec.ingress[0].from[0].ipBlock naming the whole internet", got)
	}
}

// A named port only a plain init container declares: init containers have
// exited before the pod serves, so the engine resolves the name on
// containers and sidecars only and the entry matches nothing. NA033 must
// report it, and NA042 must not advise deleting the rule.
func TestNamedPortOnPlainInitContainer(t *testing.T) {
	res, model, snap := auditWithModel(t, `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: default, labels: {app: api}}
spec:
  initContainers: [{name: migrate, image: migrate, ports: [{name: metrics, containerPort: 9090}]}]
  containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
spec: {containers: [{name: c, image: client}]}
status: {podIP: 10.0.1.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: default}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: metrics}]
`)
	var api, client = &snap.Pods[0], &snap.Pods[1]
	if v := model.Verdict(reach.PodEndpoint(client), reach.PodEndpoint(api), 9090, reach.TCP); v.Allowed {
		t.Fatalf("engine: got %+v, want 9090 denied", v)
	}
	got := findingsOf(res, "NA033")
	if len(got) != 1 || got[0].Objects[0].Field != "spec.ingress[1].ports[0]" || !strings.Contains(got[0].Message, `port "metrics"/TCP resolves on none of the 1 pod`) {
		t.Errorf("got NA033 findings %+v, want one on spec.ingress[1].ports[0]", got)
	}
	if got := findingsOf(res, "NA042"); len(got) != 0 {
		t.Errorf("got NA042 findings %+v, want none: the fix is the port name, not deleting the rule", got)
	}
}

// A sidecar (an init container that keeps running) serves its ports, so a
// rule naming one resolves and is not reported.
func TestNamedPortOnSidecarResolves(t *testing.T) {
	res, _, _ := auditWithModel(t, `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: default, labels: {app: api}}
spec:
  initContainers: [{name: proxy, image: proxy, restartPolicy: Always, ports: [{name: metrics, containerPort: 9090}]}]
  containers: [{name: api, image: api}]
status: {podIP: 10.0.1.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: default}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: metrics}]}]
`)
	if got := findingsOf(res, "NA033"); len(got) != 0 {
		t.Errorf("got NA033 findings %+v, want none", got)
	}
}
