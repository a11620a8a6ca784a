package audit

import (
	"reflect"
	"testing"
)

// Policies outside the model raise one high finding per namespace they
// touch, so that --fail-on high cannot pass on verdicts that ignore them;
// a cluster-wide kind touches every namespace.
func TestOutsidePoliciesFinding(t *testing.T) {
	tests := []struct {
		name      string
		manifests string
		want      []string
	}{
		{
			name: "none",
			manifests: `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
`,
		},
		{
			name: "namespaced kinds touch their namespace, even one the files do not define",
			manifests: `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: web}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: x, namespace: shop}
---
apiVersion: k8s.cni.cncf.io/v1beta1
kind: MultiNetworkPolicy
metadata: {name: z, namespace: empty}
`,
			want: []string{"NA070 namespace/empty", "NA070 namespace/shop"},
		},
		{
			name: "cluster-wide kinds touch every namespace",
			manifests: `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: web}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
`,
			want: []string{"NA070 namespace/shop", "NA070 namespace/web"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range runAudit(t, tt.manifests).Findings {
				if f.CheckID != "NA070" {
					continue
				}
				if f.Severity != High || f.Fix == "" {
					t.Errorf("%s: severity %s, fix %q; want high with a fix", f.Key(), f.Severity, f.Fix)
				}
				got = append(got, f.Key())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
