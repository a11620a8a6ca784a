package inventory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
)

// ClusterOptions say what to read from a live cluster.
type ClusterOptions struct {
	// Namespace limits pods and policies to one namespace; "" means all.
	Namespace string
	// ChunkSize is the page size of list calls (limit + continue); 0 disables paging.
	ChunkSize int64
	// Context and Server are recorded in the snapshot's Source.
	Context string
	Server  string
	// Progress, when set, is called with the number of objects each page,
	// or each batch of a page as it is decoded, brought (from several
	// goroutines at once).
	Progress func(n int)
	// Metadata, when set, counts the policies of kinds outside the model
	// (Cilium, Calico, Antrea, MultiNetworkPolicy) that discovery finds.
	Metadata metadata.Interface
}

// ListError says which list failed, so the caller can name the resource and
// namespace (and map RBAC denials and timeouts to a hint).
type ListError struct {
	Resource  string
	Namespace string
	// ClusterScoped is set for resources that live in no namespace.
	ClusterScoped bool
	Err           error
}

func (e *ListError) Error() string {
	where := "all namespaces"
	if e.Namespace != "" {
		where = fmt.Sprintf("namespace %q", e.Namespace)
	}
	if e.Resource == "namespaces" || e.ClusterScoped {
		return fmt.Sprintf("listing %s: %v", e.Resource, e.Err)
	}
	return fmt.Sprintf("listing %s in %s: %v", e.Resource, where, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

// FromCluster lists namespaces, pods and NetworkPolicies concurrently, in
// pages, with get/list calls only. Any failure to list pods or policies is an
// error: an empty inventory must never be presented as fact.
//
// Namespaces are listed cluster-wide even with a Namespace, because
// namespaceSelector peers match on the labels of other namespaces. If that
// list is forbidden while a Namespace is given, the snapshot carries only the
// namespaces it can name, each with just its kubernetes.io/metadata.name
// label, and a warning that namespaceSelector peers matching other labels may
// be judged wrongly. Without a Namespace it is an error.
func FromCluster(ctx context.Context, cs kubernetes.Interface, opts ClusterOptions) (*Snapshot, error) {
	snap := &Snapshot{Source: Source{Kind: SourceCluster, Context: opts.Context, Server: opts.Server, Namespace: opts.Namespace}}
	// The three lists run concurrently and all run to the end, so that when
	// several fail (RBAC, unreachable) the error reported is always the same
	// one: pods, then networkpolicies, then namespaces.
	var nsErr error
	errs := make([]error, 4)
	var wg sync.WaitGroup
	goList := func(i int, fn func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	goList(2, func() error {
		err := listPages(ctx, opts, &snap.Namespaces, func(ctx context.Context, lo metav1.ListOptions) ([][]corev1.Namespace, string, error) {
			return listPage(ctx, cs.CoreV1().RESTClient(), "namespaces", "", lo, opts.progress, cs.CoreV1().Namespaces().List,
				func(l *corev1.NamespaceList) ([]corev1.Namespace, string) { return l.Items, l.Continue })
		})
		if err != nil && opts.Namespace != "" {
			nsErr = err // recoverable: see below
			return nil
		}
		if err != nil {
			return &ListError{Resource: "namespaces", Err: err}
		}
		return nil
	})
	goList(0, func() error {
		err := listPages(ctx, opts, &snap.Pods, func(ctx context.Context, lo metav1.ListOptions) ([][]corev1.Pod, string, error) {
			return listPage(ctx, cs.CoreV1().RESTClient(), "pods", opts.Namespace, lo, opts.progress, cs.CoreV1().Pods(opts.Namespace).List,
				func(l *corev1.PodList) ([]corev1.Pod, string) { return l.Items, l.Continue })
		})
		if err != nil {
			return &ListError{Resource: "pods", Namespace: opts.Namespace, Err: err}
		}
		return nil
	})
	goList(1, func() error {
		err := listPages(ctx, opts, &snap.Policies, func(ctx context.Context, lo metav1.ListOptions) ([][]networkingv1.NetworkPolicy, string, error) {
			return listPage(ctx, cs.NetworkingV1().RESTClient(), "networkpolicies", opts.Namespace, lo, opts.progress, cs.NetworkingV1().NetworkPolicies(opts.Namespace).List,
				func(l *networkingv1.NetworkPolicyList) ([]networkingv1.NetworkPolicy, string) {
					return l.Items, l.Continue
				})
		})
		if err != nil {
			return &ListError{Resource: "networkpolicies", Namespace: opts.Namespace, Err: err}
		}
		return nil
	})
	// The cluster-wide tiers, when the server serves them (tiers.go).
	goList(3, func() error { return listTiers(ctx, cs, opts, snap) })
	// Policies of kinds outside the model, when a metadata client is given (outside.go).
	outside := &Snapshot{}
	if opts.Metadata != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outsideLister{disc: cs.Discovery(), md: opts.Metadata, namespace: opts.Namespace, chunk: opts.ChunkSize, progress: opts.Progress}.list(ctx, outside)
		}()
	}
	wg.Wait()
	if errs[3] == nil {
		errs[3] = listNodes(ctx, cs, opts, snap)
	}
	snap.OutsidePolicies, snap.Assumptions = outside.OutsidePolicies, append(snap.Assumptions, outside.Assumptions...)
	snap.Warnings = append(snap.Warnings, outside.Warnings...)
	snap.noteOutside()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if nsErr != nil {
		if !apierrors.IsForbidden(nsErr) {
			return nil, &ListError{Resource: "namespaces", Err: nsErr}
		}
		if ns, err := cs.CoreV1().Namespaces().Get(ctx, opts.Namespace, metav1.GetOptions{}); err == nil {
			snap.Namespaces = []corev1.Namespace{*ns}
		}
		snap.Warnings = append(snap.Warnings, fmt.Sprintf(
			"cannot list namespaces (forbidden): namespaces other than %q are known by name only, so namespaceSelector peers that match labels other than kubernetes.io/metadata.name may be judged wrongly; grant list on namespaces for exact answers", opts.Namespace))
		snap.Assume(AssumptionNamespacesByName, fmt.Sprintf("namespaces could not be listed: namespaces other than %q are assumed to carry only the label kubernetes.io/metadata.name", opts.Namespace))
	}
	snap.warnStoredInvalid()
	snap.setAsideFinishedPods()
	snap.synthesiseNamespaces()
	snap.Sort()
	return snap, nil
}

// listPages pages through one kind's list call into dst, reporting progress.
// The pages are joined once at the end: appending each to dst would copy
// 100,000 pods (1.2 KB each) about five times over as dst grows.
//
// page returns a page's items in runs (streamList decodes a page in
// batches), so that they are copied once, into dst, and reports progress
// itself: streamList does as each batch arrives.
func listPages[T any](ctx context.Context, opts ClusterOptions, dst *[]T, page func(context.Context, metav1.ListOptions) ([][]T, string, error)) error {
	pages := [][]T{*dst}
	err := listAll(ctx, opts.ChunkSize, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
		runs, next, err := page(ctx, lo)
		if err != nil {
			return "", err
		}
		pages = append(pages, runs...)
		return next, nil
	})
	if err != nil {
		return err
	}
	*dst = slices.Concat(pages...)
	return nil
}

// listAll pages through a list call with limit + continue. A continue token
// that expires mid-way (410 Gone) is an error with advice, never a partial list.
//
// A server that hands out a continue token it gave before would make the
// loop run forever: that is an error too.
func listAll(ctx context.Context, chunk int64, page func(context.Context, metav1.ListOptions) (string, error)) error {
	lo := metav1.ListOptions{Limit: chunk}
	seen := map[string]bool{}
	for {
		next, err := page(ctx, lo)
		if apierrors.IsResourceExpired(err) && lo.Continue != "" {
			return fmt.Errorf("paging expired before the list was read in full (the cluster changed faster than it could be paged); retry, or use --chunk-size=0: %w", err)
		}
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return fmt.Errorf("the API server returned the same continue token twice, so paging would never end (a broken server or proxy); retry, or use --chunk-size=0")
		}
		seen[next] = true
		lo.Continue = next
	}
}

func (o ClusterOptions) progress(n int) {
	if o.Progress != nil {
		o.Progress(n)
	}
}
