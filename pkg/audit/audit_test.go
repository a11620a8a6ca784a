package audit

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

func runAudit(t *testing.T, manifests string) *Result {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(snap, model, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const coreDNS = `apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: coredns, ports: [{name: dns, containerPort: 1053, protocol: UDP}, {name: dns-tcp, containerPort: 1053}]}]}
status: {podIP: 10.0.9.9}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  ingress: [{ports: [{port: 1053, protocol: UDP}, {port: 1053}]}]
`

// The canonical recipes of a well-isolated namespace: default-deny both
// ways, DNS egress to CoreDNS's real container port, allow from the same
// namespace, allow from a namespace by label. None of it is a finding.
func TestNoFalseAlarmOnWellIsolatedNamespace(t *testing.T) {
	res := runAudit(t, coreDNS+`---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {role: ingress}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx, namespace: edge}
spec:
  selector: {matchLabels: {app: ingress-nginx}}
  template:
    metadata: {labels: {app: ingress-nginx}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 1053, protocol: UDP}, {port: 1053, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-edge, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {role: ingress}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-to-db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432}]
`)
	for _, f := range res.Findings {
		o := f.Objects[0]
		if o.Namespace == "shop" || (o.Kind == "Namespace" && o.Name == "shop") {
			t.Errorf("false alarm on the well-isolated namespace: %s %s", f.CheckID, f.Message)
		}
	}
	for _, ns := range res.Coverage.Namespaces {
		if ns.Name == "shop" && (ns.IngressIsolated != 2 || ns.EgressIsolated != 2) {
			t.Errorf("got coverage %+v, want both pods isolated both ways", ns)
		}
	}
}

func TestDNSUsesRealContainerPorts(t *testing.T) {
	// Egress allowed to 53 only: CoreDNS listens on 1053, so DNS is blocked.
	res := runAudit(t, coreDNS+`---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default, labels: {app: app}}
spec: {containers: [{name: c, image: app}]}
status: {podIP: 10.0.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-53, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`)
	var got []string
	for _, f := range res.Findings {
		if f.CheckID == "NA050" {
			got = append(got, f.Message)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "1053/UDP and 1053/TCP") {
		t.Errorf("got DNS findings %q, want one naming 1053/UDP and 1053/TCP", got)
	}
}

func TestOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"web", "wbe", true}, // transposition
		{"web", "webb", true},
		{"web", "we", true},
		{"web", "wed", true},
		{"web", "web", false},
		{"web", "bew", false},
		{"frontend", "fronted", true},
		{"a", "", false},
		{"db", "api", false},
	}
	for _, tt := range tests {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNearMiss(t *testing.T) {
	sets := []labels.Set{{"app": "web"}, {"app": "web", "tier": "front"}, {"team": "db"}}
	parse := func(s *metav1.LabelSelector) labels.Selector {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return sel
	}
	tests := []struct {
		name string
		sel  *metav1.LabelSelector
		want string
	}{
		{"value typo", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "wbe"}}, "app=wbe -> app=web"},
		{"key typo", &metav1.LabelSelector{MatchLabels: map[string]string{"tema": "db"}}, "tema=db -> team=db"},
		{"in with one value", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"fornt"}}}}, "tier=fornt -> tier=front"},
		{"present", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, ""},
		{"far", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "backend"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if n := nearMiss(parse(tt.sel), sets); n != nil {
				got = n.want + " -> " + n.have
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelectedChecks(t *testing.T) {
	got, err := Config{Only: []string{"NA001", "dns-blocked"}, Skip: []string{"na001"}}.Selected()
	if err != nil || len(got) != 1 || got[0].ID != "NA050" {
		t.Errorf("got %v, %v; want only NA050", got, err)
	}
	if _, err := (Config{Skip: []string{"NA999"}}).Selected(); err == nil || !strings.Contains(err.Error(), `unknown check "NA999"`) {
		t.Errorf("got %v, want an unknown check error", err)
	}
	ids := map[string]bool{}
	for _, c := range Checks() {
		if ids[c.ID] || c.Summary == "" || c.Name == "" {
			t.Errorf("check %s: duplicate ID or missing name/summary", c.ID)
		}
		ids[c.ID] = true
	}
}

func TestBaselineFilter(t *testing.T) {
	a := Finding{CheckID: "NA001", Objects: []Object{{Kind: "Namespace", Name: "x"}}, Message: "old count"}
	b := Finding{CheckID: "NA030", Objects: []Object{{Kind: "NetworkPolicy", Namespace: "y", Name: "p"}}}
	base := NewBaseline("v1")
	base.Accept("", []Finding{a})
	base.Accept("prod", []Finding{b})
	a.Message = "new count" // messages may drift; keys do not
	fresh, acc := base.Filter("staging", []Finding{a, b})
	if len(fresh) != 1 || fresh[0].CheckID != "NA030" || len(acc) != 1 {
		t.Errorf("staging: got fresh %v accepted %v, want NA030 new (its entry is for prod)", fresh, acc)
	}
	fresh, _ = base.Filter("prod", []Finding{a, b})
	if len(fresh) != 0 {
		t.Errorf("prod: got fresh %v, want none", fresh)
	}
	if err := base.Validate(); err != nil {
		t.Error(err)
	}
}
