package audit

import (
	"strings"
	"testing"
)

// NA040 and NA042 call a policy or rule redundant only when removing it
// changes no verdict: not one that depends on a pod's IP, and not one a
// Baseline tier would decide otherwise without it.
func TestRedundancyKeepsDependsAndBaseline(t *testing.T) {
	const pods = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: src, namespace: shop, labels: {app: src}}
spec: {containers: [{name: c, image: src}]}
status: {podIP: 10.0.5.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: web, ports: [{name: http, containerPort: 8080}]}]}
`
	tests := []struct {
		name, manifests string
		// notRedundant are the NA040 or NA042 findings (check and the
		// start of the message) the audit must not raise.
		notRedundant [][2]string
	}{
		{name: "a rule whose only effect depends on a pod's IP",
			// shop/web has no IP: it is somewhere in 10.0.0.0/16, which
			// 10.0.0.0/24 holds only in part; toward addresses the port
			// name means nothing.
			manifests: pods + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: lock, namespace: shop}
spec: {podSelector: {matchLabels: {app: src}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: none}}}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: probe, namespace: shop}
spec:
  podSelector: {matchLabels: {app: src}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: none}}}]
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]
    ports: [{port: http}]
`,
			notRedundant: [][2]string{{"NA040", "shop/probe "}, {"NA042", "shop/probe egress rule 2 "}}},
		{name: "a policy the Baseline tier would overrule",
			manifests: pods + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}
` + clusterPolicy("default-deny", "Baseline", 0, `  ingress:
  - action: Deny
    from: [{namespaces: {}}]
`),
			notRedundant: [][2]string{{"NA040", "shop/open "}, {"NA042", "shop/open ingress rule 1 "}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAudit(t, tt.manifests)
			for _, f := range append(findingsOf(res, "NA040"), findingsOf(res, "NA042")...) {
				for _, no := range tt.notRedundant {
					if f.CheckID == no[0] && strings.HasPrefix(f.Message, no[1]) {
						t.Errorf("%s: %s, want no such finding: removing it changes a verdict", f.CheckID, f.Message)
					}
				}
			}
		})
	}
}
