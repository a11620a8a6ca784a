package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// ensureNamespace creates a namespace or sets its labels.
func ensureNamespace(ctx context.Context, name string, labels map[string]string) error {
	ns, err := admin.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	ns.Labels = labels
	_, err = admin.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
	return err
}

// applied remembers, per cluster (client) and namespace, the pods
// applySnapshot last created there (as JSON): a snapshot with the same pods
// keeps them instead of deleting and creating them again. The scenario tables
// share one model of pods and differ in their policies.
var applied = struct {
	sync.Mutex
	pods map[appliedKey]string
}{pods: map[appliedKey]string{}}

type appliedKey struct {
	client    kubernetes.Interface
	namespace string
}

// forgetPods says that pods of a cluster's namespace were changed outside
// applySnapshot.
func forgetPods(client kubernetes.Interface, namespace string) {
	applied.Lock()
	defer applied.Unlock()
	delete(applied.pods, appliedKey{client, namespace})
}

// applySnapshot creates the snapshot's objects in the cluster: namespaces
// (or their labels), pods with their status.podIP(s) set through the status
// subresource, and policies. Pods and policies already in those namespaces
// are deleted first, so a test sees only its own objects there; pods that
// are exactly the snapshot's, created by the previous applySnapshot, stay.
func applySnapshot(t *testing.T, snap *inventory.Snapshot) {
	t.Helper()
	applied.Lock()
	defer applied.Unlock()
	ctx := context.Background()
	podsOf := map[string][]corev1.Pod{}
	for _, p := range snap.Pods {
		podsOf[p.Namespace] = append(podsOf[p.Namespace], p)
	}
	keep, want := map[string]bool{}, map[appliedKey]string{}
	for _, ns := range snap.Namespaces {
		if err := ensureNamespace(ctx, ns.Name, ns.Labels); err != nil {
			t.Fatalf("namespace %s: %v", ns.Name, err)
		}
		key := appliedKey{admin, ns.Name}
		want[key] = string(must(json.Marshal(podsOf[ns.Name])))
		if prev, ok := applied.pods[key]; ok && prev == want[key] {
			keep[ns.Name] = true
		} else {
			delete(applied.pods, key)
			if err := admin.CoreV1().Pods(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{}); err != nil {
				t.Fatalf("clearing pods in %s: %v", ns.Name, err)
			}
		}
		if err := admin.NetworkingV1().NetworkPolicies(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatalf("clearing policies in %s: %v", ns.Name, err)
		}
	}
	for i := range snap.Pods {
		if keep[snap.Pods[i].Namespace] {
			continue
		}
		p := snap.Pods[i].DeepCopy()
		status := p.Status
		p.ResourceVersion, p.UID = "", ""
		created, err := admin.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("pod %s/%s: %v", p.Namespace, p.Name, err)
		}
		if status.PodIP != "" && len(status.PodIPs) == 0 {
			status.PodIPs = []corev1.PodIP{{IP: status.PodIP}}
		}
		if status.Phase == "" {
			status.Phase = corev1.PodRunning
		}
		created.Status = status
		if _, err := admin.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("pod %s/%s status: %v", p.Namespace, p.Name, err)
		}
	}
	for key, pods := range want {
		applied.pods[key] = pods
	}
	for i := range snap.Policies {
		np := snap.Policies[i].DeepCopy()
		np.ResourceVersion, np.UID = "", ""
		if _, err := admin.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
			t.Fatalf("networkpolicy %s/%s: %v", np.Namespace, np.Name, err)
		}
	}
}

// applyManifests loads manifest files with the plugin's own decoder and
// creates their objects in the cluster.
func applyManifests(t *testing.T, paths ...string) *inventory.Snapshot {
	// Paths are relative to the test's folder or absolute.
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: paths})
	if err != nil {
		t.Fatalf("reading fixtures: %v", err)
	}
	applySnapshot(t, snap)
	return snap
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}
