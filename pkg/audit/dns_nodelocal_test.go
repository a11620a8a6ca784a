package audit

import (
	"testing"
)

// With NodeLocal DNSCache, pods ask 169.254.20.10 on their node: a policy
// that allows egress there (and not to CoreDNS) must not be flagged as
// blocking DNS; without it, it still is.
func TestDNSKnowsNodeLocalDNSCache(t *testing.T) {
	const app = `---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop, labels: {app: app}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 169.254.20.10/32}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`
	const nodeLocal = `---
apiVersion: v1
kind: Pod
metadata: {name: node-local-dns-x, namespace: kube-system, labels: {k8s-app: node-local-dns}}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
status: {podIP: 192.168.0.10}
`
	tests := []struct {
		name      string
		manifests string
		flagged   bool
	}{
		{"policy names 169.254.20.10", coreDNS + app, false},
		{"node-local-dns pods and the address", coreDNS + app + nodeLocal, false},
		{"CoreDNS only, egress elsewhere", coreDNS + `---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop, labels: {app: app}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.0.2.0/24}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flagged := false
			for _, f := range runAudit(t, tt.manifests).Findings {
				flagged = flagged || f.CheckID == "NA050"
			}
			if flagged != tt.flagged {
				t.Errorf("NA050 raised: %v, want %v", flagged, tt.flagged)
			}
		})
	}
}
