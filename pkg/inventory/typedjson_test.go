package inventory

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/randfill"
)

// checkFastUnmarshal decodes data into a fresh new() both ways: when the
// fast path takes it, kjson must decode it too, to the same object. It
// returns whether the fast path took it.
func checkFastUnmarshal(t *testing.T, data []byte, newObj func() any) bool {
	t.Helper()
	fast, slow := newObj(), newObj()
	ok := typedUnmarshal(data, fast) // a panic fails the test
	err := kjson.UnmarshalCaseSensitivePreserveInts(data, slow)
	switch {
	case ok && err != nil:
		t.Fatalf("fast path took what kjson rejects (%v) into %T:\n%s", err, fast, data)
	case ok && !reflect.DeepEqual(fast, slow):
		t.Fatalf("into %T, fast path:\n%#v\nkjson:\n%#v\nfrom:\n%s", fast, fast, slow, data)
	}
	return ok
}

func TestFastUnmarshalCases(t *testing.T) {
	pod := func() any { return &corev1.Pod{} }
	np := func() any { return &networkingv1.NetworkPolicy{} }
	for _, tt := range []struct {
		name string
		json string
		new  func() any
		fast bool
	}{
		{"typed pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"b","labels":{"app":"x","k8s.io/y":""},"creationTimestamp":"2026-01-15T09:00:00Z","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r","uid":"u","controller":true}]},"spec":{"containers":[{"name":"c","ports":[{"containerPort":8080,"name":"http","protocol":"TCP"}],"resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m"}}}],"nodeName":"n","hostNetwork":false,"terminationGracePeriodSeconds":30},"status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}]}}`, pod, true},
		{"pretty printed", "{\n  \"metadata\" : {\n    \"name\" : \"a\" ,\n \"labels\": { }\n  },\n\t\"spec\": {\"containers\": [ ] }\r\n}\n", pod, true},
		{"empty array and object", `{"spec":{"containers":[],"nodeSelector":{}}}`, pod, true},
		{"nulls", `{"metadata":{"labels":null,"creationTimestamp":null,"deletionTimestamp":null,"name":null},"spec":{"containers":null,"hostNetwork":null,"activeDeadlineSeconds":null}}`, pod, true},
		{"unknown fields", `{"metadata":{"name":"a","bogus":{"x":[1,{"y":"}]"}],"z":null}},"extra":[[],[[]]],"spec":{"containers":[{"name":"c","nope":true}]}}`, pod, true},
		{"escapes", `{"metadata":{"name":"a\u00e9\"\\\n","labels":{"k\u0065y":"v\/w","\u2028":"\ud83d\ude00"}}}`, pod, true},
		{"escaped field name", `{"metad\u0061ta":{"n\u0061me":"a"}}`, pod, true},
		{"invalid UTF-8", "{\"metadata\":{\"name\":\"a\xff\xfeb\",\"labels\":{\"\xc3\":\"\xe2\x82\"}}}", pod, true},
		{"UTF-8", `{"metadata":{"name":"ünïcödé 日本"}}`, pod, true},
		{"int or string", `{"spec":{"podSelector":{},"ingress":[{"ports":[{"port":80},{"port":"http","endPort":90,"protocol":"UDP"}]}]}}`, np, true},
		{"large int32", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":2147483647}]}]}}`, pod, true},
		{"negative int64", `{"spec":{"activeDeadlineSeconds":-9223372036854775808}}`, pod, true},
		{"int32 overflow", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":2147483648}]}]}}`, pod, false},
		{"float into int", `{"spec":{"terminationGracePeriodSeconds":30.0}}`, pod, false},
		{"exponent into int", `{"spec":{"terminationGracePeriodSeconds":3e1}}`, pod, false},
		{"string into int", `{"spec":{"terminationGracePeriodSeconds":"30"}}`, pod, false},
		{"number into string", `{"metadata":{"name":5}}`, pod, false},
		{"bool into string", `{"metadata":{"name":true}}`, pod, false},
		{"object into string", `{"metadata":{"name":{}}}`, pod, false},
		{"array into map", `{"metadata":{"labels":[]}}`, pod, false},
		{"string into struct", `{"spec":"x"}`, pod, false},
		{"number into slice", `{"spec":{"containers":1}}`, pod, false},
		{"bad time", `{"metadata":{"creationTimestamp":"yesterday"}}`, pod, false},
		{"bad quantity", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}`, pod, false},
		{"bad int or string", `{"spec":{"ingress":[{"ports":[{"port":true}]}]}}`, np, false},
		{"time null", `{"metadata":{"creationTimestamp":null}}`, pod, true},
		{"quantity as number", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":2}}}]}}`, pod, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastUnmarshal(t, []byte(tt.json), tt.new); got != tt.fast {
				t.Errorf("fast path took it: got %v, want %v", got, tt.fast)
			}
		})
	}
}

// TestFastUnmarshalMatchesKJSON decodes every object in the repo's test
// files both ways, and requires the fast path to take the pods, policies and
// namespaces among them.
func TestFastUnmarshalMatchesKJSON(t *testing.T) {
	taken, core := 0, 0
	docs := repoTestDocuments(t, "testdata/*.json", "testdata/*/*.json")
	for _, doc := range docs {
		j, err := documentJSON(doc, false)
		if err != nil || !j.obj.object || j.obj.dupKeys {
			continue
		}
		objs := []jsonObject{j.obj}
		if j.obj.hasItems {
			objs = j.obj.items
		}
		for _, o := range objs {
			gvk := schemaKind(o)
			if gvk == nil {
				continue
			}
			if checkFastUnmarshal(t, j.data[o.start:o.end], func() any { obj, _ := scheme.Scheme.New(*gvk); return obj }) {
				taken++
				switch gvk.Kind {
				case "Pod", "NetworkPolicy", "Namespace":
					core++
				}
			}
		}
	}
	if taken == 0 || core == 0 {
		t.Fatalf("the fast path took %d objects (%d pods, policies and namespaces) in %d documents", taken, core, len(docs))
	}
	t.Logf("fast path took %d objects, %d of them pods, policies and namespaces", taken, core)
}

// schemaKind is the kind of o when client-go's scheme has it.
func schemaKind(o jsonObject) *schema.GroupVersionKind {
	gv, err := schema.ParseGroupVersion(o.apiVersion)
	if err != nil || o.kind == "" {
		return nil
	}
	gvk := gv.WithKind(o.kind)
	if !scheme.Scheme.Recognizes(gvk) {
		return nil
	}
	return &gvk
}

// TestFastUnmarshalRandomObjects fills every kind client-go's scheme knows
// with random values (random Unicode strings, so escapes too), writes it as
// JSON and decodes it both ways.
func TestFastUnmarshalRandomObjects(t *testing.T) {
	filler := randfill.NewWithSeed(1).NilChance(0.2).NumElements(0, 2).MaxDepth(8).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(int64(c.Intn(100000)), resource.DecimalSI)
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31())
			} else {
				*v = intstr.FromString(c.String(8))
			}
		},
		func(tm *metav1.Time, c randfill.Continue) {
			*tm = metav1.Unix(int64(c.Intn(2_000_000_000)), 0)
		},
		func(tm *metav1.MicroTime, c randfill.Continue) {
			*tm = metav1.NewMicroTime(metav1.Unix(int64(c.Intn(2_000_000_000)), 0).Time)
		},
		func(r *k8sruntime.RawExtension, c randfill.Continue) {
			if c.Bool() {
				r.Raw = []byte(`{"apiVersion":"v1","kind":"ConfigMap"}`)
			}
		},
	)
	kinds := scheme.Scheme.AllKnownTypes()
	if len(kinds) < 100 {
		t.Fatalf("the scheme knows only %d kinds", len(kinds))
	}
	taken, total := 0, 0
	rounds := 10
	if testing.Short() {
		rounds = 1
	}
	for gvk, typ := range kinds {
		if strings.HasSuffix(gvk.Kind, "Options") || gvk.Kind == "WatchEvent" || gvk.Kind == "Status" {
			continue // parameters and envelopes, not objects in manifests
		}
		for range rounds {
			obj := reflect.New(typ).Interface()
			filler.Fill(obj)
			data, err := json.Marshal(obj)
			if err != nil {
				continue
			}
			total++
			if checkFastUnmarshal(t, data, func() any { return reflect.New(typ).Interface() }) {
				taken++
			}
		}
	}
	if taken < total/2 {
		t.Fatalf("the fast path took only %d of %d random objects", taken, total)
	}
	t.Logf("fast path took %d of %d random objects", taken, total)
}

// TestFastUnmarshalPlans builds the plan of every kind in the scheme: the
// types API objects are made of decode fast, with few exceptions.
func TestFastUnmarshalPlans(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[corev1.Pod](), reflect.TypeFor[networkingv1.NetworkPolicy](),
		reflect.TypeFor[corev1.Namespace](), reflect.TypeFor[appsv1.Deployment](), reflect.TypeFor[corev1.Node]()} {
		if p := planFor(typ); p.unsupported || p.fields["metadata"].plan == nil || p.fields["kind"].plan == nil {
			t.Errorf("%v: no plan for its fields: %+v", typ, p)
		}
	}
	for _, typ := range scheme.Scheme.AllKnownTypes() {
		planFor(typ)
	}
}

func FuzzFastUnmarshal(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"a","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}}`))
	f.Add([]byte(`{"spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"In","values":["x"]}]},"ingress":[{"ports":[{"port":"http"}]}]}}`))
	f.Add([]byte(`{"spec":{"template":{"metadata":{"labels":{"a":"b"}}},"replicas":3}}`))
	f.Add([]byte(`{"metadata":{"name":"\u00e9","creationTimestamp":null},"status":{"phase":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, _, err := scanJSON(data, 0, false)
		if err != nil || !o.object || o.dupKeys || o.end != len(data) {
			return
		}
		for _, newObj := range []func() any{
			func() any { return &corev1.Pod{} },
			func() any { return &networkingv1.NetworkPolicy{} },
			func() any { return &appsv1.Deployment{} },
			func() any { return &corev1.Namespace{} },
		} {
			checkFastUnmarshal(t, data, newObj)
		}
	})
}

// BenchmarkTypedPod decodes a pod as kubectl get -o json writes it (with
// its status), with the fast path and with kjson.
func BenchmarkTypedPod(b *testing.B) {
	pod, err := os.ReadFile("testdata/pod.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(pod)))
		b.ReportAllocs()
		for b.Loop() {
			if !fastUnmarshal(pod, &corev1.Pod{}) {
				b.Fatal("fast path refused the pod")
			}
		}
	})
	b.Run("kjson", func(b *testing.B) {
		b.SetBytes(int64(len(pod)))
		b.ReportAllocs()
		for b.Loop() {
			if err := kjson.UnmarshalCaseSensitivePreserveInts(pod, &corev1.Pod{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
