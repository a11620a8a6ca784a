package inventory

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// fakeAPI is an API server that serves discovery, empty core lists, the tier
// kinds in the versions given, in pages of one, and records the requests.
type fakeAPI struct {
	versions  []string            // policy.networking.k8s.io versions served
	items     map[string][]string // path -> JSON items
	forbidden map[string]bool     // path -> 403

	mu    sync.Mutex
	paths []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path+"?"+r.URL.RawQuery)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	write := func(s string) { _, _ = w.Write([]byte(s)) }
	switch p := r.URL.Path; {
	case p == "/api":
		write(`{"kind":"APIVersions","versions":["v1"]}`)
	case p == "/apis":
		var vs []string
		for _, v := range f.versions {
			vs = append(vs, `{"groupVersion":"policy.networking.k8s.io/`+v+`","version":"`+v+`"}`)
		}
		groups := `{"name":"networking.k8s.io","versions":[{"groupVersion":"networking.k8s.io/v1","version":"v1"}]}`
		if len(vs) > 0 {
			groups += `,{"name":"policy.networking.k8s.io","versions":[` + strings.Join(vs, ",") + `]}`
		}
		write(`{"kind":"APIGroupList","apiVersion":"v1","groups":[` + groups + `]}`)
	case strings.HasPrefix(p, "/apis/policy.networking.k8s.io/") && strings.Count(p, "/") == 3:
		v := strings.TrimPrefix(p, "/apis/policy.networking.k8s.io/")
		res := map[string]string{"v1beta1": "clusternetworkpolicies", "v1alpha2": "clusternetworkpolicies", "v1alpha1": "adminnetworkpolicies,baselineadminnetworkpolicies"}[v]
		var rs []string
		for _, name := range strings.Split(res, ",") {
			rs = append(rs, `{"name":"`+name+`","namespaced":false,"kind":"X","verbs":["get","list"]}`)
		}
		write(`{"kind":"APIResourceList","groupVersion":"policy.networking.k8s.io/` + v + `","resources":[` + strings.Join(rs, ",") + `]}`)
	case f.forbidden[p]:
		w.WriteHeader(http.StatusForbidden)
		write(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden: User \"u\" cannot list"}`)
	default:
		items := f.items[p]
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		end := len(items)
		if l, _ := strconv.Atoi(r.URL.Query().Get("limit")); l > 0 && start+l < end {
			end = start + l
		}
		next := ""
		if end < len(items) {
			next = strconv.Itoa(end)
		}
		kind := map[string]string{"/api/v1/nodes": "NodeList"}[p]
		if kind == "" {
			kind = "List"
		}
		write(`{"kind":"` + kind + `","apiVersion":"v1","metadata":{"continue":"` + next + `"},"items":[` + strings.Join(items[start:end], ",") + `]}`)
	}
}

func (f *fakeAPI) requested(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.paths, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

func cnpJSON(version, name string, nodesPeer bool) string {
	peer := `{"namespaces":{}}`
	if nodesPeer {
		peer = `{"nodes":{}}`
	}
	return `{"apiVersion":"policy.networking.k8s.io/` + version + `","kind":"ClusterNetworkPolicy","metadata":{"name":"` + name + `"},` +
		`"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},"egress":[{"action":"Deny","to":[` + peer + `]}]}}`
}

func TestFromClusterTiers(t *testing.T) {
	const (
		cnpBeta  = "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies"
		cnpAlpha = "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies"
		anp      = "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies"
		banp     = "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies"
		nodes    = "/api/v1/nodes"
	)
	node := `{"metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"192.168.0.1"}]}}`
	tests := []struct {
		name       string
		api        *fakeAPI
		objects    []string // kind/name apiVersion
		warnings   []string // prefixes
		nodesKnown bool
		err        string
	}{
		{
			name: "no CRDs: nothing listed, nothing said",
			api:  &fakeAPI{items: map[string][]string{cnpBeta: {cnpJSON("v1beta1", "never", true)}}},
		},
		{
			name: "v1beta1 preferred over v1alpha2, paged; v1alpha1 kinds; nodes listed for a nodes peer",
			api: &fakeAPI{versions: []string{"v1beta1", "v1alpha2", "v1alpha1"}, items: map[string][]string{
				cnpBeta:  {cnpJSON("v1beta1", "a", false), cnpJSON("v1beta1", "b", true), cnpJSON("v1beta1", "c", false)},
				cnpAlpha: {cnpJSON("v1alpha2", "a", false)},
				anp:      {`{"metadata":{"name":"legacy"},"spec":{"priority":3,"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[{"namespaces":{}}],"ports":[{"portNumber":{"protocol":"TCP","port":80}}]}]}}`},
				banp:     {`{"metadata":{"name":"default"},"spec":{"subject":{"namespaces":{}},"egress":[{"action":"Deny","to":[{"networks":["0.0.0.0/0"]}],"future":true}]}}`},
				nodes:    {node},
			}},
			objects: []string{
				"ClusterNetworkPolicy/a policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy/b policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy/c policy.networking.k8s.io/v1beta1",
				"AdminNetworkPolicy/legacy policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy/default policy.networking.k8s.io/v1alpha1",
			},
			warnings:   []string{`BaselineAdminNetworkPolicy "default" (policy.networking.k8s.io/v1alpha1): unknown field "spec.egress[0].future"`},
			nodesKnown: true,
		},
		{
			name: "only v1alpha2 served: read as v1alpha2; no nodes peer, no nodes list",
			api: &fakeAPI{versions: []string{"v1alpha2"}, items: map[string][]string{
				cnpAlpha: {cnpJSON("v1alpha2", "a", false)},
				nodes:    {node},
			}},
			objects: []string{"ClusterNetworkPolicy/a policy.networking.k8s.io/v1alpha2"},
		},
		{
			name: "forbidden tier list is an error naming the resource",
			api: &fakeAPI{versions: []string{"v1beta1"}, forbidden: map[string]bool{cnpBeta: true},
				items: map[string][]string{cnpBeta: {cnpJSON("v1beta1", "a", false)}}},
			err: "listing clusternetworkpolicies.policy.networking.k8s.io: ",
		},
		{
			name: "forbidden nodes: a warning, nodes unknown",
			api: &fakeAPI{versions: []string{"v1beta1"}, forbidden: map[string]bool{nodes: true},
				items: map[string][]string{cnpBeta: {cnpJSON("v1beta1", "a", true)}}},
			objects:  []string{"ClusterNetworkPolicy/a policy.networking.k8s.io/v1beta1"},
			warnings: []string{"cannot list nodes (forbidden): nodes peers of cluster-wide policies are outside the model"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.api)
			defer srv.Close()
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := FromCluster(context.Background(), cs, ClusterOptions{ChunkSize: 1})
			if tt.err != "" {
				var le *ListError
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || !errors.As(err, &le) || !le.ClusterScoped {
					t.Fatalf("got error %v, want a cluster-scoped ListError starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range snap.ClusterNetworkPolicies {
				got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion)
			}
			for _, p := range snap.AdminNetworkPolicies {
				got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion)
			}
			for _, p := range snap.BaselineAdminNetworkPolicies {
				got = append(got, p.Kind+"/"+p.Name+" "+p.APIVersion)
			}
			if !slices.Equal(got, tt.objects) {
				t.Errorf("got objects %q, want %q", got, tt.objects)
			}
			if len(snap.Warnings) != len(tt.warnings) {
				t.Fatalf("got warnings %q, want %d", snap.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.HasPrefix(snap.Warnings[i], w) {
					t.Errorf("warning %d: got %q, want prefix %q", i, snap.Warnings[i], w)
				}
			}
			if snap.NodesKnown != tt.nodesKnown || tt.nodesKnown && len(snap.Nodes) != 1 {
				t.Errorf("got NodesKnown %v with %d nodes, want %v", snap.NodesKnown, len(snap.Nodes), tt.nodesKnown)
			}
			if tt.api.requested(cnpAlpha) && tt.api.requested(cnpBeta) {
				t.Error("listed ClusterNetworkPolicies in two versions, want the preferred one only")
			}
			if !tt.nodesKnown && tt.api.requested(nodes) && tt.api.forbidden[nodes] == false {
				t.Error("listed nodes though no nodes peer needs them")
			}
			if len(tt.objects) > 2 && !tt.api.requested(cnpBeta+"?continue=") {
				t.Error("did not page through the ClusterNetworkPolicies")
			}
		})
	}
}
