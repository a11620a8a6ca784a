package inventory

import (
	"reflect"
	"strings"
	"testing"
)

func names(s *Snapshot) (ns, pods, pols []string) {
	for _, n := range s.Namespaces {
		ns = append(ns, n.Name)
	}
	for _, p := range s.Pods {
		pods = append(pods, p.Namespace+"/"+p.Name)
	}
	for _, p := range s.Policies {
		pols = append(pols, p.Namespace+"/"+p.Name)
	}
	return
}

func TestFromFiles(t *testing.T) {
	tests := []struct {
		name     string
		opts     FileOptions
		ns       []string
		pods     []string
		policies []string
		warnings []string
		origins  map[string]Origin
	}{
		{
			name:     "kind List with other kinds",
			opts:     FileOptions{Paths: []string{"testdata/list.yaml"}},
			ns:       []string{"x"},
			pods:     []string{"x/a", "x/d-template"},
			policies: []string{"x/deny"},
			warnings: []string{
				"skipped 1 object(s) of other kinds: 1 Widget",
				"1 workload(s) without pods in the files (x/deployment/d): each is judged as one pod built from its template, without an IP",
			},
			origins: map[string]Origin{"x/deny": {File: "testdata/list.yaml", Document: 0, Line: 31}}, // the item, not the List
		},
		{
			name:     "multi-document yaml, defaults and synthesised namespaces",
			opts:     FileOptions{Paths: []string{"testdata/multi.yaml"}},
			ns:       []string{"default", "y"},
			pods:     []string{"default/b"},
			policies: []string{"y/allow"},
			warnings: []string{
				`namespace "default" is used but not defined; assuming it has only the label kubernetes.io/metadata.name=default`,
				`namespace "y" is used but not defined; assuming it has only the label kubernetes.io/metadata.name=y`,
			},
			origins: map[string]Origin{"y/allow": {File: "testdata/multi.yaml", Document: 2, Line: 9}},
		},
		{
			name:     "-n gives a namespace and scopes",
			opts:     FileOptions{Paths: []string{"testdata/multi.yaml"}, Namespace: "y"},
			ns:       []string{"y"},
			pods:     []string{"y/b"},
			policies: []string{"y/allow"},
			warnings: []string{`namespace "y" is used but not defined; assuming it has only the label kubernetes.io/metadata.name=y`},
			origins:  map[string]Origin{"y/allow": {File: "testdata/multi.yaml", Document: 2, Line: 9}},
		},
		{
			name:    "json stream",
			opts:    FileOptions{Paths: []string{"testdata/stream.json"}},
			ns:      []string{"j"},
			pods:    []string{"j/p"},
			origins: map[string]Origin{},
		},
		{
			name:     "folder, not recursive",
			opts:     FileOptions{Paths: []string{"testdata/tree"}},
			ns:       []string{"default", "y"},
			pods:     []string{"default/b"},
			policies: []string{"y/allow"},
		},
		{
			name:     "folder, recursive",
			opts:     FileOptions{Paths: []string{"testdata/tree"}, Recursive: true},
			ns:       []string{"deep", "default", "y"},
			pods:     []string{"default/b"},
			policies: []string{"y/allow"},
		},
		{
			name:    "stdin",
			opts:    FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n")},
			ns:      []string{"s"},
			origins: map[string]Origin{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := FromFiles(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			ns, pods, pols := names(snap)
			if !reflect.DeepEqual(ns, tt.ns) || !reflect.DeepEqual(pods, tt.pods) || !reflect.DeepEqual(pols, tt.policies) {
				t.Errorf("got namespaces %v pods %v policies %v, want %v %v %v", ns, pods, pols, tt.ns, tt.pods, tt.policies)
			}
			if tt.warnings != nil && !reflect.DeepEqual(snap.Warnings, tt.warnings) {
				t.Errorf("got warnings %q, want %q", snap.Warnings, tt.warnings)
			}
			for key, want := range tt.origins {
				if got := snap.Origins[OriginKey("NetworkPolicy", strings.Split(key, "/")[0], strings.Split(key, "/")[1])]; got != want {
					t.Errorf("got origin %+v for %s, want %+v", got, key, want)
				}
			}
			if snap.Source.Kind != SourceFiles {
				t.Errorf("got source kind %q, want files", snap.Source.Kind)
			}
		})
	}
}

func TestFromFilesKeepsPodIPs(t *testing.T) {
	snap, err := FromFiles(FileOptions{Paths: []string{"testdata/list.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	st := snap.Pods[0].Status
	if st.PodIP != "10.0.0.1" || len(st.PodIPs) != 2 || st.PodIPs[1].IP != "fd00::1" {
		t.Errorf("got status %+v, want podIP 10.0.0.1 and podIPs [10.0.0.1 fd00::1]", st)
	}
	for key, want := range map[string]int{OriginKey("Namespace", "", "x"): 7, OriginKey("Pod", "x", "a"): 14} {
		if got := snap.Origins[key].Line; got != want {
			t.Errorf("%s: got line %d, want %d (its item in the List)", key, got, want)
		}
	}
	if got := snap.Namespaces[0].Labels["ns"]; got != "x" {
		t.Errorf("got namespace label ns=%q, want x", got)
	}
}

func TestFromFilesErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"malformed yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n", "-: document 0 (line 1): invalid YAML"},
		{"second document", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n\napiVersion: v1\nkind: Pod\nmetadata: {name: [}\n", "-: document 1 (line 6)"},
		{"yaml 1.1 boolean namespace", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: y}\n", "cannot unmarshal bool"},
		{"no kind", "metadata: {name: a}\n", "apiVersion and kind are required"},
		{"invalid json", "{\"apiVersion\": \"v1\",", "invalid JSON"},
		{"wrong field type", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: []}\n", "decoding networking.k8s.io/v1 NetworkPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(tt.input)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := FromFiles(FileOptions{Paths: []string{"testdata/nope.yaml"}}); err == nil || !strings.Contains(err.Error(), "testdata/nope.yaml: no such file") {
		t.Errorf("got %v, want an error naming the missing file", err)
	}
	if _, err := FromFiles(FileOptions{Paths: []string{"testdata/tree/sub/.."}}); err != nil {
		t.Errorf("got %v for a folder with manifests", err)
	}
}

func TestPodsFromTemplates(t *testing.T) {
	const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d78c9
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d78c9}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec: {restartPolicy: Never, containers: [{name: b, image: busybox}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: shop
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u2, controller: true}]
spec: {containers: [{name: db, image: postgres}]}
status: {podIP: 10.0.0.9}
`
	snap, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(manifests)})
	if err != nil {
		t.Fatal(err)
	}
	_, pods, _ := names(snap)
	// The ReplicaSet stands in for nobody (its Deployment is here), the
	// StatefulSet has a real pod, the others get one from their template.
	if want := []string{"shop/backup-template", "shop/db-0", "shop/web-template"}; !reflect.DeepEqual(pods, want) {
		t.Fatalf("got pods %v, want %v", pods, want)
	}
	for _, p := range snap.Pods {
		w := WorkloadOf(&p)
		switch p.Name {
		case "web-template":
			if w != (Workload{"shop", "Deployment", "web"}) || p.Labels["app"] != "web" || p.Spec.Containers[0].Ports[0].Name != "http" {
				t.Errorf("web-template: got workload %+v labels %v", w, p.Labels)
			}
		case "backup-template":
			if w != (Workload{"shop", "CronJob", "backup"}) || p.Labels["app"] != "backup" {
				t.Errorf("backup-template: got workload %+v labels %v", w, p.Labels)
			}
		}
	}
}
