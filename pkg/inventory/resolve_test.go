package inventory

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	snap, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(`apiVersion: v1
kind: Pod
metadata:
  name: web-5d78c9-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 5d78c9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d78c9, uid: u, controller: true}]
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d78c9-fghij
  namespace: shop
  labels: {app: web, pod-template-hash: 5d78c9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d78c9, uid: u, controller: true}]
spec: {containers: [{name: c, image: x}]}
status: {podIPs: [{ip: 10.0.0.2}, {ip: "fd00::2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: shop}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
`)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref      string
		pods     []string
		ip       string
		workload string
		err      string
	}{
		{ref: "shop/web-5d78c9-abcde", pods: []string{"web-5d78c9-abcde"}},
		{ref: "shop/deployment/web", pods: []string{"web-5d78c9-abcde", "web-5d78c9-fghij"}, workload: "shop/deployment/web"},
		{ref: "shop/deploy/web", pods: []string{"web-5d78c9-abcde", "web-5d78c9-fghij"}, workload: "shop/deployment/web"},
		{ref: "shop/pod/agent", pods: []string{"agent"}},
		// An IP one ordinary pod owns is that pod; hostNetwork pods share
		// the node's address and do not count.
		{ref: "10.0.0.2", pods: []string{"web-5d78c9-fghij"}},
		{ref: "fd00::2", pods: []string{"web-5d78c9-fghij"}},
		{ref: "203.0.113.9", ip: "203.0.113.9"},
		{ref: "shop/nope", err: `pod "nope" not found in namespace "shop"`},
		{ref: "shop/statefulset/web", err: `StatefulSet "web" has no pods in namespace "shop"`},
		{ref: "shop/gadget/web", err: `unknown workload kind "gadget"`},
		{ref: "shop//web", err: "want namespace/pod, namespace/kind/name or an IP address"},
		{ref: "a/b/c/d", err: "want namespace/pod"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := snap.Resolve(tt.ref)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got.Pods {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.pods, ",") {
				t.Errorf("got pods %v, want %v", names, tt.pods)
			}
			if tt.ip != "" && got.IP.String() != tt.ip {
				t.Errorf("got IP %v, want %s", got.IP, tt.ip)
			}
			if tt.workload != "" && (got.Workload == nil || got.Workload.String() != tt.workload) {
				t.Errorf("got workload %v, want %s", got.Workload, tt.workload)
			}
		})
	}
}
