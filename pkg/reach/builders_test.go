package reach_test

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// Fixture builders: pod("x", "a").labels("app=a").ip("10.0.0.5").obj().

type podBuilder struct{ p corev1.Pod }

func pod(ns, name string) *podBuilder {
	return &podBuilder{corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10"}}},
	}}
}

// labels takes "k=v" pairs.
func (b *podBuilder) labels(pairs ...string) *podBuilder {
	if b.p.Labels == nil {
		b.p.Labels = map[string]string{}
	}
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		b.p.Labels[k] = v
	}
	return b
}

// ip sets status.podIPs (and podIP to the first), as the kubelet does.
func (b *podBuilder) ip(ips ...string) *podBuilder {
	b.p.Status.PodIP = ips[0]
	for _, ip := range ips {
		b.p.Status.PodIPs = append(b.p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return b
}

func (b *podBuilder) port(name string, proto corev1.Protocol, n int32) *podBuilder {
	c := &b.p.Spec.Containers[0]
	c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, Protocol: proto, ContainerPort: n})
	return b
}

// initPort declares a port on an init container, a sidecar if restartAlways.
func (b *podBuilder) initPort(name string, proto corev1.Protocol, n int32, restartAlways bool) *podBuilder {
	c := corev1.Container{Name: "init-" + name, Image: "registry.k8s.io/pause:3.10",
		Ports: []corev1.ContainerPort{{Name: name, Protocol: proto, ContainerPort: n}}}
	if restartAlways {
		always := corev1.ContainerRestartPolicyAlways
		c.RestartPolicy = &always
	}
	b.p.Spec.InitContainers = append(b.p.Spec.InitContainers, c)
	return b
}

func (b *podBuilder) hostNetwork() *podBuilder {
	b.p.Spec.HostNetwork = true
	return b
}

// replicaOf makes the pod a replica of a Deployment, through a ReplicaSet.
func (b *podBuilder) replicaOf(deployment string) *podBuilder {
	b.labels("pod-template-hash=5d4f8c")
	yes := true
	b.p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: deployment + "-5d4f8c", Controller: &yes}}
	return b
}

func (b *podBuilder) obj() corev1.Pod { return b.p }

func namespace(name string, pairs ...string) corev1.Namespace {
	ns := corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[k] = v
	}
	return ns
}

// policy reads a NetworkPolicy manifest, so tests read like what users write.
func policy(t testing.TB, manifest string) networkingv1.NetworkPolicy {
	t.Helper()
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(manifest), &np); err != nil {
		t.Fatalf("policy manifest: %v\n%s", err, manifest)
	}
	return np
}

func snapshot(nss []corev1.Namespace, pods []corev1.Pod, pols ...networkingv1.NetworkPolicy) *inventory.Snapshot {
	s := &inventory.Snapshot{Namespaces: nss, Pods: pods, Policies: pols}
	s.Sort()
	return s
}

func build(t testing.TB, snap *inventory.Snapshot, opts reach.Options) *reach.Model {
	t.Helper()
	m, err := reach.Build(snap, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return m
}

// endpoint reads "ns/pod" or an IP.
func endpoint(t testing.TB, m *reach.Model, s string) reach.Endpoint {
	t.Helper()
	if ns, name, ok := strings.Cut(s, "/"); ok {
		p := m.Pod(ns, name)
		if p == nil {
			t.Fatalf("no pod %s in the snapshot", s)
		}
		return reach.PodEndpoint(p)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("endpoint %q: %v", s, err)
	}
	return reach.IPEndpoint(a)
}

func allowedText(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}
