package inventory

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// streamPods is a list of pods with most of what a real pod carries, more
// than one decoding batch of them.
func streamPods(n int) *corev1.PodList {
	l := &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page-token"}}
	for i := range n {
		l.Items = append(l.Items, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("web-%d", i), Namespace: fmt.Sprintf("ns-%d", i%7),
				Labels:          map[string]string{"app": "web", "shard": fmt.Sprint(i % 3)},
				Annotations:     map[string]string{"note": strings.Repeat("x", i%50)},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-abc", UID: "u1"}},
			},
			Spec: corev1.PodSpec{
				NodeName:    fmt.Sprintf("node-%d", i%5),
				HostNetwork: i%97 == 0,
				Containers: []corev1.Container{{
					Name: "app", Image: "web:1",
					Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}},
				}},
				Volumes: []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}},
			},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.0.%d.%d", i/250, i%250),
				PodIPs: []corev1.PodIP{{IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250)}, {IP: fmt.Sprintf("fd00::%x", i)}},
				HostIP: "192.168.0.1",
			},
		})
	}
	return l
}

func encodeList(t *testing.T, mediaType string, obj runtime.Object) []byte {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), mediaType)
	if !ok {
		t.Fatalf("no serializer for %s", mediaType)
	}
	var buf bytes.Buffer
	if err := scheme.Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion).Encode(obj, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func podListJSON() func([]byte) ([]corev1.Pod, string, error) {
	return decodeJSONList(func(l *corev1.PodList) ([]corev1.Pod, string) { return l.Items, l.Continue })
}

func concatRuns[T any](runs [][]T) []T {
	var out []T
	for _, r := range runs {
		out = append(out, r...)
	}
	return out
}

// The streamed decoder gives exactly what client-go's decoder gives, for
// protobuf and for JSON, with the continue token, across batches.
func TestStreamListMatchesClientGo(t *testing.T) {
	for _, n := range []int{0, 1, streamBatch, 3*streamBatch + 17} {
		want := streamPods(n)
		for _, mt := range []string{"application/vnd.kubernetes.protobuf", "application/json"} {
			t.Run(fmt.Sprintf("%d pods %s", n, mt), func(t *testing.T) {
				data := encodeList(t, mt, want)
				var reported atomic.Int64
				var ref corev1.PodList
				if err := runtime.DecodeInto(scheme.Codecs.UniversalDecoder(), data, &ref); err != nil {
					t.Fatal(err)
				}
				runs, cont, err := decodeListStream[corev1.Pod](bufio.NewReader(bytes.NewReader(data)), func(k int) { reported.Add(int64(k)) }, podListJSON())
				if err != nil {
					t.Fatal(err)
				}
				got := concatRuns(runs)
				if reported.Load() != int64(n) {
					t.Errorf("progress told of %d items, want %d", reported.Load(), n)
				}
				if cont != "next-page-token" {
					t.Errorf("continue %q, want next-page-token", cont)
				}
				if len(got) != len(ref.Items) || (len(got) > 0 && !reflect.DeepEqual(got, ref.Items)) {
					t.Fatalf("%d pods decoded, differing from client-go's %d", len(got), len(ref.Items))
				}
			})
		}
	}
}

// A response cut short is an error, never a shorter list.
func TestStreamListTruncated(t *testing.T) {
	data := encodeList(t, "application/vnd.kubernetes.protobuf", streamPods(600))
	for _, cut := range []int{len(data) - 1, len(data) / 2, 12, 5} {
		_, _, err := decodeListStream[corev1.Pod](bufio.NewReader(bytes.NewReader(data[:cut])), func(int) {}, podListJSON())
		if err == nil {
			t.Errorf("cut at %d of %d bytes: no error", cut, len(data))
		}
	}
	// A protobuf envelope with no list in it.
	if _, _, err := decodeListStream[corev1.Pod](bufio.NewReader(bytes.NewReader(protobufMagic)), func(int) {}, podListJSON()); err == nil {
		t.Error("an empty envelope: no error")
	}
}

// Through a real client: the request asks for protobuf with the list
// options, and an API error keeps its type, so RBAC denials are named.
func TestStreamListOverHTTP(t *testing.T) {
	pods := streamPods(300)
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Path + "?" + r.URL.RawQuery
		if r.URL.Path == "/api/v1/namespaces/denied/pods" {
			status := apierrors.NewForbidden(corev1.Resource("pods"), "", fmt.Errorf("user cannot list pods"))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write(encodeList(t, "application/json", &status.ErrStatus))
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/vnd.kubernetes.protobuf") {
			t.Errorf("Accept %q does not ask for protobuf", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "application/vnd.kubernetes.protobuf")
		w.Write(encodeList(t, "application/vnd.kubernetes.protobuf", pods))
	}))
	defer srv.Close()
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc := restClientOf(cs.CoreV1().RESTClient())
	if rc == nil {
		t.Fatal("no REST client behind a real clientset")
	}
	runs, cont, err := streamList[corev1.Pod](context.Background(), rc, "pods", "web", metav1.ListOptions{Limit: 300, Continue: "abc"}, func(int) {}, podListJSON())
	if err != nil {
		t.Fatal(err)
	}
	if got := concatRuns(runs); len(got) != 300 || got[299].Name != "web-299" || cont != "next-page-token" {
		t.Errorf("got %d pods, continue %q", len(got), cont)
	}
	if !strings.HasPrefix(query, "/api/v1/namespaces/web/pods?") || !strings.Contains(query, "limit=300") || !strings.Contains(query, "continue=abc") {
		t.Errorf("request %s", query)
	}
	if _, _, err := streamList[corev1.Pod](context.Background(), rc, "pods", "", metav1.ListOptions{}, func(int) {}, podListJSON()); err != nil || query != "/api/v1/pods?" {
		t.Errorf("all namespaces: %v, request %s", err, query)
	}
	_, _, err = streamList[corev1.Pod](context.Background(), rc, "pods", "denied", metav1.ListOptions{}, func(int) {}, podListJSON())
	if !apierrors.IsForbidden(err) {
		t.Errorf("a 403: %v, want a Forbidden API error", err)
	}
}
