package gen

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// LoadStats says how a load went.
type LoadStats struct {
	Namespaces, Pods, Policies int
	Requests                   int64
	Elapsed                    time.Duration
}

// Load creates the snapshot's objects through the API server: namespaces
// (labels updated when one exists), NetworkPolicies, and pods, each created
// and then given its status (IPs, phase) through the status subresource as
// the kubelet would. workers requests run at once; progress, when not nil,
// gets a line every few thousand objects.
func Load(ctx context.Context, cs kubernetes.Interface, snap *inventory.Snapshot, workers int, progress io.Writer) (LoadStats, error) {
	start := time.Now()
	var requests atomic.Int64
	for i := range snap.Namespaces {
		ns := snap.Namespaces[i].DeepCopy()
		ns.UID, ns.ResourceVersion, ns.CreationTimestamp = "", "", metav1.Time{}
		requests.Add(1)
		_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			requests.Add(2)
			var have *corev1.Namespace
			if have, err = cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{}); err == nil {
				have.Labels = ns.Labels
				_, err = cs.CoreV1().Namespaces().Update(ctx, have, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return LoadStats{}, fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
	}

	type job func(context.Context) error
	jobs := make(chan job)
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var done atomic.Int64
	total := int64(len(snap.Pods) + len(snap.Policies))
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := j(ctx); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				if n := done.Add(1); progress != nil && (n%2000 == 0 || n == total) {
					fmt.Fprintf(progress, "loaded %d/%d pods and policies (%.0f/s)\n", n, total, float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	send := func(j job) bool {
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	func() {
		defer close(jobs)
		for i := range snap.Policies {
			np := snap.Policies[i].DeepCopy()
			np.UID, np.ResourceVersion, np.CreationTimestamp = "", "", metav1.Time{}
			if !send(func(ctx context.Context) error {
				requests.Add(1)
				if _, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
					return fmt.Errorf("networkpolicy %s/%s: %w", np.Namespace, np.Name, err)
				}
				return nil
			}) {
				return
			}
		}
		for i := range snap.Pods {
			p := snap.Pods[i].DeepCopy()
			status := p.Status
			p.UID, p.ResourceVersion, p.CreationTimestamp, p.Status = "", "", metav1.Time{}, corev1.PodStatus{}
			// Owner UIDs point at controllers that do not exist; the
			// garbage collector does not run under envtest, so they stay.
			if !send(func(ctx context.Context) error {
				requests.Add(2)
				created, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
				if err != nil {
					return fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
				}
				created.Status = status
				if _, err := cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
					return fmt.Errorf("pod %s/%s status: %w", p.Namespace, p.Name, err)
				}
				return nil
			}) {
				return
			}
		}
	}()
	wg.Wait()
	if firstErr != nil {
		return LoadStats{}, firstErr
	}
	return LoadStats{
		Namespaces: len(snap.Namespaces), Pods: len(snap.Pods), Policies: len(snap.Policies),
		Requests: requests.Load(), Elapsed: time.Since(start),
	}, nil
}
