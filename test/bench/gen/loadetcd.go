package gen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// LoadEtcd writes the snapshot's namespaces, NetworkPolicies and pods
// straight into the API server's etcd, as a restore from a backup would,
// through etcd's JSON gateway at etcdURL (http://host:port). Load goes
// through the API server at 100 to 200 objects a second on 2 cores, which
// makes a 100,000-pod cluster a 20-minute wait; this takes a minute or two.
//
// The API server is still what the audit reads from: cs is used to find the
// keys the server stores each kind under (one object of each kind is
// created through it and looked up in etcd) and, at the end, to check that
// the server lists every object written. Objects are stored as JSON, which
// the server decodes beside its own protobuf; they skip admission and
// defaulting, so pods lack the fields the server would default, none of
// which the audit reads.
func LoadEtcd(ctx context.Context, cs kubernetes.Interface, etcdURL string, snap *inventory.Snapshot, workers int, progress io.Writer) (LoadStats, error) {
	start := time.Now()
	e := etcdGateway{url: strings.TrimRight(etcdURL, "/")}
	if len(snap.Namespaces) == 0 {
		return LoadStats{}, fmt.Errorf("the snapshot has no namespaces")
	}
	prefixes, err := e.discoverPrefixes(ctx, cs, snap.Namespaces[0].Name)
	if err != nil {
		return LoadStats{}, err
	}
	type kv struct{ key, value []byte }
	var all []kv
	add := func(key string, obj any) error {
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		all = append(all, kv{[]byte(key), b})
		return nil
	}
	created := metav1.NewTime(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	uid := func(kind, ns, name string) types.UID {
		return types.UID(fmt.Sprintf("bench-%s-%s-%s", kind, ns, name))
	}
	for i := range snap.Namespaces {
		ns := snap.Namespaces[i].DeepCopy()
		ns.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
		ns.ResourceVersion, ns.CreationTimestamp = "", created
		if ns.UID == "" {
			ns.UID = uid("ns", "", ns.Name)
		}
		ns.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
		ns.Status.Phase = corev1.NamespaceActive
		if err := add(prefixes.namespaces+ns.Name, ns); err != nil {
			return LoadStats{}, err
		}
	}
	for i := range snap.Policies {
		np := snap.Policies[i].DeepCopy()
		np.TypeMeta = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
		np.ResourceVersion, np.CreationTimestamp = "", created
		if np.UID == "" {
			np.UID = uid("np", np.Namespace, np.Name)
		}
		if err := add(prefixes.policies+np.Namespace+"/"+np.Name, np); err != nil {
			return LoadStats{}, err
		}
	}
	for i := range snap.Pods {
		p := snap.Pods[i].DeepCopy()
		p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		p.ResourceVersion, p.CreationTimestamp = "", created
		if p.UID == "" {
			p.UID = uid("pod", p.Namespace, p.Name)
		}
		if p.Status.PodIP != "" && len(p.Status.PodIPs) == 0 {
			p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
		}
		if p.Status.Phase == "" {
			p.Status.Phase = corev1.PodRunning
		}
		if err := add(prefixes.pods+p.Namespace+"/"+p.Name, p); err != nil {
			return LoadStats{}, err
		}
	}

	// etcd takes at most 128 operations per transaction by default, and
	// requests of up to 1.5 MiB.
	const maxOps, maxBytes = 128, 1 << 20
	var batches [][]kv
	var cur []kv
	size := 0
	for _, o := range all {
		if len(cur) == maxOps || size+len(o.key)+len(o.value) > maxBytes {
			batches = append(batches, cur)
			cur, size = nil, 0
		}
		cur = append(cur, o)
		size += len(o.key) + len(o.value)
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	var requests, written atomic.Int64
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make([]error, max(workers, 1))
	for w := range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(batches) || errs[w] != nil {
					return
				}
				ops := make([]map[string]any, len(batches[i]))
				for j, o := range batches[i] {
					ops[j] = map[string]any{"requestPut": map[string]string{
						"key":   base64.StdEncoding.EncodeToString(o.key),
						"value": base64.StdEncoding.EncodeToString(o.value),
					}}
				}
				requests.Add(1)
				if err := e.post(ctx, "/v3/kv/txn", map[string]any{"success": ops}, nil); err != nil {
					errs[w] = err
					return
				}
				if n := written.Add(int64(len(batches[i]))); progress != nil && (n/20000 != (n-int64(len(batches[i])))/20000) {
					fmt.Fprintf(progress, "written %d/%d objects into etcd (%.0f/s)\n", n, len(all), float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return LoadStats{}, err
		}
	}
	if err := waitListed(ctx, cs, snap); err != nil {
		return LoadStats{}, err
	}
	return LoadStats{
		Namespaces: len(snap.Namespaces), Pods: len(snap.Pods), Policies: len(snap.Policies),
		Requests: requests.Load(), Elapsed: time.Since(start),
	}, nil
}

type etcdPrefixes struct{ namespaces, pods, policies string }

type etcdGateway struct{ url string }

func (e etcdGateway) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// discoverPrefixes creates namespace ns (one of the snapshot's, written
// again from the snapshot later), a pod and a NetworkPolicy in it through the
// API server, finds the etcd keys it stored them under, and deletes the pod
// and the policy.
func (e etcdGateway) discoverPrefixes(ctx context.Context, cs kubernetes.Interface, ns string) (etcdPrefixes, error) {
	const name = "netaudit-bench-probe"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return etcdPrefixes{}, fmt.Errorf("probe namespace: %w", err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "probe"}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return etcdPrefixes{}, fmt.Errorf("probe pod: %w", err)
	}
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
		return etcdPrefixes{}, fmt.Errorf("probe networkpolicy: %w", err)
	}
	// Every key: from "\x00" to the end of the key space.
	var r struct {
		Kvs []struct {
			Key string `json:"key"`
		} `json:"kvs"`
	}
	if err := e.post(ctx, "/v3/kv/range", map[string]any{
		"key": base64.StdEncoding.EncodeToString([]byte{0}), "range_end": base64.StdEncoding.EncodeToString([]byte{0}), "keys_only": true,
	}, &r); err != nil {
		return etcdPrefixes{}, err
	}
	var p etcdPrefixes
	for _, kv := range r.Kvs {
		k, err := base64.StdEncoding.DecodeString(kv.Key)
		if err != nil {
			return etcdPrefixes{}, err
		}
		key := string(k)
		switch {
		case strings.HasSuffix(key, "/namespaces/"+ns):
			p.namespaces = strings.TrimSuffix(key, ns)
		case strings.HasSuffix(key, "/pods/"+ns+"/"+name):
			p.pods = strings.TrimSuffix(key, ns+"/"+name)
		case strings.HasSuffix(key, "/networkpolicies/"+ns+"/"+name):
			p.policies = strings.TrimSuffix(key, ns+"/"+name)
		}
	}
	if p.namespaces == "" || p.pods == "" || p.policies == "" {
		return etcdPrefixes{}, fmt.Errorf("could not find the etcd keys of the probe objects (found %+v among %d keys)", p, len(r.Kvs))
	}
	// The probe objects stay out of the audit: delete them.
	if err := cs.NetworkingV1().NetworkPolicies(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return etcdPrefixes{}, err
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		return etcdPrefixes{}, err
	}
	return p, nil
}

// waitListed waits until the API server lists every namespace, pod and
// policy written, for at most five minutes. Its watch caches follow etcd,
// and a consistent list waits for the cache to catch up with etcd's latest
// revision, which can time out while the server is still taking in the new
// objects: such errors are retried.
func waitListed(ctx context.Context, cs kubernetes.Interface, snap *inventory.Snapshot) error {
	deadline := time.Now().Add(5 * time.Minute)
	lists := []struct {
		what string
		want int
		list func(metav1.ListOptions) (metav1.ListMeta, int, error)
	}{
		{"namespaces", len(snap.Namespaces), func(lo metav1.ListOptions) (metav1.ListMeta, int, error) {
			l, err := cs.CoreV1().Namespaces().List(ctx, lo)
			if err != nil {
				return metav1.ListMeta{}, 0, err
			}
			return l.ListMeta, len(l.Items), nil
		}},
		{"pods", len(snap.Pods), func(lo metav1.ListOptions) (metav1.ListMeta, int, error) {
			l, err := cs.CoreV1().Pods("").List(ctx, lo)
			if err != nil {
				return metav1.ListMeta{}, 0, err
			}
			return l.ListMeta, len(l.Items), nil
		}},
		{"networkpolicies", len(snap.Policies), func(lo metav1.ListOptions) (metav1.ListMeta, int, error) {
			l, err := cs.NetworkingV1().NetworkPolicies("").List(ctx, lo)
			if err != nil {
				return metav1.ListMeta{}, 0, err
			}
			return l.ListMeta, len(l.Items), nil
		}},
	}
	for _, l := range lists {
		for {
			n, err := countListed(l.list)
			if err == nil && n >= int64(l.want) {
				break
			}
			if time.Now().After(deadline) {
				if err != nil {
					return fmt.Errorf("after loading, listing %s: %w", l.what, err)
				}
				return fmt.Errorf("after loading, the API server lists %d %s, want %d", n, l.what, l.want)
			}
			time.Sleep(time.Second)
		}
	}
	return nil
}

// countListed counts the objects a list call returns: from the first page's
// remainingItemCount when the server gives it, else page by page.
func countListed(list func(metav1.ListOptions) (metav1.ListMeta, int, error)) (int64, error) {
	lo := metav1.ListOptions{Limit: 5000}
	var n int64
	for {
		meta, items, err := list(lo)
		if err != nil {
			return 0, err
		}
		if lo.Continue == "" && meta.RemainingItemCount != nil {
			return int64(items) + *meta.RemainingItemCount, nil
		}
		n += int64(items)
		if meta.Continue == "" {
			return n, nil
		}
		lo.Continue = meta.Continue
	}
}
