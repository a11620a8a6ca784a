// Package gen generates synthetic clusters shaped like real ones, for
// benchmarks: namespaces labelled by team and environment; Deployments and
// StatefulSets whose replicas share labels (plus pod-template-hash or the
// StatefulSet's per-pod labels) and point at their ReplicaSet or StatefulSet
// the way controllers do, so inventory.WorkloadOf groups them; and a mix of
// NetworkPolicies (default deny, DNS egress, allow-from-namespace, AND peers,
// matchExpressions, ipBlocks with excepts over the internet and over pod
// ranges, named ports, port ranges, UDP and SCTP, a few typos and allow-alls).
//
// A Config and its Seed give the same cluster every time. The structure
// (namespaces, workloads, labels, policies) depends on Workloads, Namespaces,
// Policies and Seed only, not on Pods: doubling Pods with the others fixed
// doubles the replicas of the same workloads under the same policies.
package gen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Config sizes a cluster. Zero fields take defaults derived from Pods, in
// the proportions of the benchmark's target cluster (10,000 pods, 1,000
// workloads, 200 namespaces, 2,000 policies).
type Config struct {
	// Pods is the number of pods, system ones included.
	Pods int
	// Workloads defaults to Pods/10, Namespaces to Workloads/5 and
	// Policies to Pods/5. All three include the system namespaces
	// (kube-system, monitoring, ingress-nginx), their workloads and policies.
	Workloads  int
	Namespaces int
	Policies   int
	Seed       uint64
	// UniformLabels leaves out the labels a StatefulSet gives each pod
	// (statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index),
	// so every pod of a workload carries the same labels. netpol-analyzer
	// v1.4.2 panics on pods of one owner whose labels differ when a policy
	// has a namespaceSelector-only peer (np-guard/netpol-analyzer#666).
	UniformLabels bool
	// BarePods leaves out the pods' owner references: each pod is a
	// workload of its own (as pods created by hand or by some operators
	// are), so the workload matrix has one node per pod.
	BarePods bool
}

// Size limits: every namespace owns a /20 of 10.0.0.0/8 for its pod IPs.
const (
	maxPodsPerNamespace = 4094
	maxNamespaces       = 4000
	systemNamespaces    = 3
	systemWorkloads     = 3
	systemPolicies      = 2
)

// Complete fills in the defaults and checks the sizes fit together.
func (c Config) Complete() (Config, error) {
	if c.Pods <= 0 {
		return c, fmt.Errorf("pods must be positive, got %d", c.Pods)
	}
	if c.Workloads == 0 {
		c.Workloads = max(c.Pods/10, systemWorkloads+1)
	}
	if c.Namespaces == 0 {
		c.Namespaces = max(c.Workloads/5, systemNamespaces+1)
	}
	if c.Policies == 0 {
		c.Policies = max(c.Pods/5, systemPolicies)
	}
	switch {
	case c.Namespaces <= systemNamespaces || c.Namespaces > maxNamespaces:
		return c, fmt.Errorf("namespaces must be %d to %d, got %d", systemNamespaces+1, maxNamespaces, c.Namespaces)
	case c.Workloads-systemWorkloads < c.Namespaces-systemNamespaces:
		return c, fmt.Errorf("workloads (%d) must be at least namespaces (%d): every namespace holds one", c.Workloads, c.Namespaces)
	case c.Pods < c.Workloads+systemPods(c.Pods)-systemWorkloads:
		return c, fmt.Errorf("pods (%d) must be at least workloads (%d): every workload has a replica", c.Pods, c.Workloads)
	case c.Pods > (c.Namespaces-systemNamespaces)*maxPodsPerNamespace/2:
		return c, fmt.Errorf("%d pods in %d namespaces leave too little room: every namespace has a /20 for its pods", c.Pods, c.Namespaces)
	case c.Policies < systemPolicies:
		return c, fmt.Errorf("policies must be at least %d, got %d", systemPolicies, c.Policies)
	}
	return c, nil
}

// systemPods is how many pods the system workloads take: CoreDNS and the
// ingress controller scale a little with the cluster.
func systemPods(pods int) int {
	return 2*dnsReplicas(pods) + 1
}

func dnsReplicas(pods int) int { return min(2+pods/5000, 10) }

// epoch is every object's creationTimestamp, so output is reproducible.
var epoch = metav1.NewTime(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))

// Generate builds the cluster. It panics on a Config that Complete rejects.
func Generate(cfg Config) *inventory.Snapshot {
	cfg, err := cfg.Complete()
	if err != nil {
		panic(err)
	}
	g := &generator{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x6e65746175646974)),
		replicas: rand.New(rand.NewPCG(cfg.Seed, 0x7265706c69636173)),
		snap:     &inventory.Snapshot{Source: inventory.Source{Kind: inventory.SourceFiles}},
		nodes:    max(3, cfg.Pods/30),
	}
	g.plan()
	g.emitPods()
	g.emitPolicies()
	g.snap.Sort()
	return g.snap
}

type generator struct {
	cfg Config
	// rng draws the structure; replicas draws replica counts and pod
	// placement, so the structure does not depend on Pods.
	rng, replicas *rand.Rand
	snap          *inventory.Snapshot
	namespaces    []*nsPlan // system ones first
	nodes         int
	uid           uint64
}

type nsPlan struct {
	name, team, env string
	labels          map[string]string
	mesh            bool         // pods carry an istio-proxy sidecar
	cidr            netip.Prefix // the /20 its pods' IPs come from
	workloads       []*workload
	policies        int // how many policies to write
	open            bool
	nextIP          int
}

type workload struct {
	ns       *nsPlan
	name     string
	kind     string // Deployment or StatefulSet
	role     string
	hash     string
	version  string
	httpPort int32
	ports    []corev1.ContainerPort
	replicas int
	weight   float64
	// fixed are a system workload's own labels, instead of the usual ones.
	fixed map[string]string
}

var roles = []struct {
	name   string
	weight float64
	names  []string
}{
	{"backend", 0.50, []string{"api", "auth", "cart", "checkout", "payments", "orders", "catalog", "search", "inventory", "shipping", "notifications", "users", "billing", "gateway", "recommendations", "pricing", "reviews", "accounts"}},
	{"frontend", 0.15, []string{"web", "frontend", "storefront", "portal", "admin-ui", "docs"}},
	{"worker", 0.15, []string{"worker", "scheduler", "mailer", "reporter", "indexer", "importer"}},
	{"db", 0.10, []string{"postgres", "mysql", "mongo"}},
	{"cache", 0.10, []string{"redis", "memcached"}},
}

var (
	teams = []string{"checkout", "identity", "search", "growth", "platform", "data", "payments", "mobile", "ads", "support", "logistics", "media"}
	envs  = []string{"prod", "prod", "staging", "dev"}
)

// plan draws namespaces, workloads and replica counts.
func (g *generator) plan() {
	cfg := g.cfg
	// System namespaces: DNS, monitoring, the ingress controller.
	kubeSystem := g.addNamespace("kube-system", "", "", map[string]string{})
	monitoring := g.addNamespace("monitoring", "platform", "prod", map[string]string{"purpose": "monitoring"})
	ingress := g.addNamespace("ingress-nginx", "platform", "prod", map[string]string{"purpose": "ingress"})
	g.systemWorkload(kubeSystem, "coredns", "dns", dnsReplicas(cfg.Pods), map[string]string{"k8s-app": "kube-dns"},
		port("dns", corev1.ProtocolUDP, 53), port("dns-tcp", corev1.ProtocolTCP, 53), port("metrics", corev1.ProtocolTCP, 9153))
	g.systemWorkload(monitoring, "prometheus", "monitoring", 1, map[string]string{"app": "prometheus", "app.kubernetes.io/name": "prometheus"},
		port("web", corev1.ProtocolTCP, 9090))
	g.systemWorkload(ingress, "ingress-nginx-controller", "ingress", dnsReplicas(cfg.Pods), map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
		port("http", corev1.ProtocolTCP, 80), port("https", corev1.ProtocolTCP, 443), port("metrics", corev1.ProtocolTCP, 10254))

	appNS := cfg.Namespaces - systemNamespaces
	for i := 0; i < appNS; i++ {
		team := teams[i%len(teams)]
		env := envs[g.rng.IntN(len(envs))]
		name := fmt.Sprintf("%s-%s-%03d", team, env, i)
		labels := map[string]string{"team": team, "env": env}
		ns := g.addNamespace(name, team, env, labels)
		if g.rng.Float64() < 0.3 {
			ns.mesh = true
			ns.labels["istio-injection"] = "enabled"
		}
		ns.open = g.rng.Float64() < 0.05
	}

	// Workloads: one per application namespace, then the rest at random.
	apps := g.namespaces[systemNamespaces:]
	for i := 0; i < cfg.Workloads-systemWorkloads; i++ {
		ns := apps[i%len(apps)]
		if i >= len(apps) {
			ns = apps[g.rng.IntN(len(apps))]
		}
		g.addWorkload(ns)
	}

	// Policies: each namespace that is not open gets a share.
	var closed []*nsPlan
	for _, ns := range apps {
		if !ns.open {
			closed = append(closed, ns)
		}
	}
	if len(closed) == 0 {
		closed = apps
		for _, ns := range apps {
			ns.open = false
		}
	}
	appPolicies := cfg.Policies - systemPolicies
	for i, ns := range closed {
		ns.policies = appPolicies / len(closed)
		if i < appPolicies%len(closed) {
			ns.policies++
		}
	}

	// Replicas: proportional to weights drawn apart from the structure.
	var all []*workload
	for _, ns := range apps {
		all = append(all, ns.workloads...)
	}
	total := 0.0
	for _, w := range all {
		w.weight = 0.2 + g.replicas.ExpFloat64()
		total += w.weight
	}
	appPods := cfg.Pods - systemPods(cfg.Pods)
	left := appPods
	for _, w := range all {
		w.replicas = max(1, int(float64(appPods)*w.weight/total))
		left -= w.replicas
	}
	// Hand out or take back the rounding, largest workloads first.
	order := append([]*workload(nil), all...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].weight > order[j].weight })
	for i := 0; left != 0; i = (i + 1) % len(order) {
		w := order[i]
		switch {
		case left > 0:
			w.replicas++
			left--
		case w.replicas > 1:
			w.replicas--
			left++
		}
	}
	for _, ns := range apps {
		n := 0
		for _, w := range ns.workloads {
			n += w.replicas
		}
		if n > maxPodsPerNamespace {
			panic(fmt.Sprintf("namespace %s would hold %d pods, more than its /20 of pod IPs: use more namespaces", ns.name, n))
		}
	}
}

func (g *generator) addNamespace(name, team, env string, labels map[string]string) *nsPlan {
	i := len(g.namespaces)
	labels[corev1.LabelMetadataName] = name
	base := netip.AddrFrom4([4]byte{10, byte((i + 1) >> 4), byte((i + 1) << 4), 0})
	ns := &nsPlan{name: name, team: team, env: env, labels: labels, cidr: netip.PrefixFrom(base, 20)}
	g.namespaces = append(g.namespaces, ns)
	return ns
}

func port(name string, proto corev1.Protocol, n int32) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, Protocol: proto, ContainerPort: n}
}

func (g *generator) systemWorkload(ns *nsPlan, name, role string, replicas int, labels map[string]string, ports ...corev1.ContainerPort) {
	w := &workload{ns: ns, name: name, kind: "Deployment", role: role, hash: g.hash(10), replicas: replicas, ports: ports}
	w.fixed = labels
	ns.workloads = append(ns.workloads, w)
}

func (g *generator) addWorkload(ns *nsPlan) {
	x := g.rng.Float64()
	role := roles[0]
	for _, r := range roles {
		if x < r.weight {
			role = r
			break
		}
		x -= r.weight
	}
	base := role.names[g.rng.IntN(len(role.names))]
	name := base
	for n := 2; ns.has(name); n++ {
		name = base + "-" + strconv.Itoa(n)
	}
	w := &workload{ns: ns, name: name, kind: "Deployment", role: role.name, hash: g.hash(10), version: "v1"}
	switch v := g.rng.Float64(); {
	case v < 0.05:
		w.version = "canary"
	case v < 0.4:
		w.version = "v2"
	}
	w.httpPort = []int32{8080, 8080, 8000, 3000}[g.rng.IntN(4)]
	switch role.name {
	case "frontend":
		w.ports = []corev1.ContainerPort{port("http", corev1.ProtocolTCP, w.httpPort), port("metrics", corev1.ProtocolTCP, 9090)}
	case "backend":
		w.ports = []corev1.ContainerPort{port("http", corev1.ProtocolTCP, w.httpPort), port("grpc", corev1.ProtocolTCP, 9000), port("metrics", corev1.ProtocolTCP, 9090)}
	case "worker":
		w.ports = []corev1.ContainerPort{port("metrics", corev1.ProtocolTCP, 9090)}
	case "db":
		w.kind = "StatefulSet"
		n := map[string]int32{"postgres": 5432, "mysql": 3306, "mongo": 27017}[base]
		w.ports = []corev1.ContainerPort{port("db", corev1.ProtocolTCP, n), port("metrics", corev1.ProtocolTCP, 9187)}
	case "cache":
		w.kind = "StatefulSet"
		n := map[string]int32{"redis": 6379, "memcached": 11211}[base]
		w.ports = []corev1.ContainerPort{port("cache", corev1.ProtocolTCP, n), port("metrics", corev1.ProtocolTCP, 9121)}
	}
	ns.workloads = append(ns.workloads, w)
}

func (ns *nsPlan) has(name string) bool {
	for _, w := range ns.workloads {
		if w.name == name {
			return true
		}
	}
	return false
}

// hash draws a string from the alphabet Kubernetes uses for generated names.
func (g *generator) hash(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *generator) podSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[g.replicas.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *generator) newUID() types.UID {
	g.uid++
	return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", g.uid))
}

// podLabels are the labels a workload's pod template gives every replica.
func (w *workload) podLabels() map[string]string {
	if w.fixed != nil {
		out := map[string]string{}
		for k, v := range w.fixed {
			out[k] = v
		}
		return out
	}
	return map[string]string{
		"app":                       w.name,
		"app.kubernetes.io/name":    w.name,
		"app.kubernetes.io/part-of": w.ns.name,
		"tier":                      w.role,
		"version":                   w.version,
	}
}

func (g *generator) emitPods() {
	yes := true
	for _, ns := range g.namespaces {
		g.snap.Namespaces = append(g.snap.Namespaces, corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns.name, Labels: ns.labels, UID: g.newUID(), CreationTimestamp: epoch},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
		for _, w := range ns.workloads {
			ownerKind, ownerName := "ReplicaSet", w.name+"-"+w.hash
			if w.kind == "StatefulSet" {
				ownerKind, ownerName = "StatefulSet", w.name
			}
			owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: ownerKind, Name: ownerName, UID: g.newUID(), Controller: &yes, BlockOwnerDeletion: &yes}
			for r := 0; r < w.replicas; r++ {
				labels := w.podLabels()
				name := ownerName + "-" + g.podSuffix()
				if w.kind == "StatefulSet" {
					name = fmt.Sprintf("%s-%d", w.name, r)
					labels["controller-revision-hash"] = w.name + "-" + w.hash
					if !g.cfg.UniformLabels {
						labels["statefulset.kubernetes.io/pod-name"] = name
						labels["apps.kubernetes.io/pod-index"] = strconv.Itoa(r)
					}
				} else {
					labels["pod-template-hash"] = w.hash
				}
				p := g.pod(ns, w, name, labels, owner)
				if g.cfg.BarePods {
					p.OwnerReferences = nil
				}
				g.snap.Pods = append(g.snap.Pods, p)
			}
		}
	}
}

func (g *generator) pod(ns *nsPlan, w *workload, name string, labels map[string]string, owner metav1.OwnerReference) corev1.Pod {
	ns.nextIP++
	base := ns.cidr.Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3]) + uint32(ns.nextIP)
	ip := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	node := g.replicas.IntN(g.nodes)
	hostIP := fmt.Sprintf("192.168.%d.%d", node/250, node%250+1)
	image := fmt.Sprintf("registry.example.com/%s/%s:1.%d.0", ns.team, w.name, len(w.name)%7)
	if ns.team == "" {
		image = "registry.k8s.io/" + w.name + ":v1.12.0"
	}
	containers := []corev1.Container{{
		Name:  w.name,
		Image: image,
		Ports: w.ports,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}}
	if ns.mesh {
		containers = append(containers, corev1.Container{
			Name:                     "istio-proxy",
			Image:                    "docker.io/istio/proxyv2:1.24.0",
			Ports:                    []corev1.ContainerPort{port("http-envoy-prom", corev1.ProtocolTCP, 15090)},
			TerminationMessagePath:   corev1.TerminationMessagePathDefault,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			ImagePullPolicy:          corev1.PullIfNotPresent,
		})
	}
	// What the API server and kubelet add to every pod: the service account
	// token volume, default tolerations, conditions and container statuses.
	// They weigh on decoding, as they do in real manifests and lists.
	expiry := int64(3607)
	for i := range containers {
		containers[i].VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}}
	}
	var statuses []corev1.ContainerStatus
	for _, c := range containers {
		statuses = append(statuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image + "@sha256:4f6a3b4d1c2e", ContainerID: "containerd://" + string(g.newUID()),
			Ready: true, Started: new(bool), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: epoch}},
		})
	}
	var conditions []corev1.PodCondition
	for _, t := range []corev1.PodConditionType{"PodReadyToStartContainers", corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		conditions = append(conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: epoch})
	}
	notReady, unreachable := int64(300), int64(300)
	grace := int64(30)
	return corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns.name, Labels: labels, UID: g.newUID(), CreationTimestamp: epoch,
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: corev1.PodSpec{
			Containers:                    containers,
			NodeName:                      fmt.Sprintf("node-%04d", node),
			ServiceAccountName:            "default",
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
			SchedulerName:                 corev1.DefaultSchedulerName,
			TerminationGracePeriodSeconds: &grace,
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &notReady},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &unreachable},
			},
			Volumes: []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &expiry}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
				},
			}}}},
		},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			HostIP:            hostIP,
			HostIPs:           []corev1.HostIP{{IP: hostIP}},
			PodIP:             ip.String(),
			PodIPs:            []corev1.PodIP{{IP: ip.String()}},
			StartTime:         &epoch,
			QOSClass:          corev1.PodQOSBurstable,
			Conditions:        conditions,
			ContainerStatuses: statuses,
		},
	}
}

// policy kinds drawn for per-workload policies, with weights.
var policyKinds = []struct {
	name   string
	weight float64
}{
	{"from-team", 0.18},     // namespaceSelector on team labels, named port
	{"from-frontend", 0.14}, // AND peer: namespaceSelector + podSelector in one peer
	{"match-expressions", 0.12},
	{"from-partners", 0.07}, // ipBlock with excepts, ingress
	{"to-internet", 0.08},   // ipBlock 0.0.0.0/0 with excepts, egress
	{"to-datastores", 0.12}, // egress to db/cache by named and numeric ports, a port range
	{"from-ingress", 0.10},  // from the ingress controller's namespace and pods
	{"to-peer-range", 0.07}, // egress to another namespace's pod CIDR: ipBlocks that match pods
	{"syslog", 0.04},        // UDP and SCTP
	{"egress-all", 0.03},    // egress: [{}]
	{"typo", 0.02},          // podSelector with a typo: selects nothing
	{"from-same-app", 0.03},
}

func (g *generator) emitPolicies() {
	add := func(ns *nsPlan, name string, spec networkingv1.NetworkPolicySpec) {
		g.snap.Policies = append(g.snap.Policies, networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns.name, UID: g.newUID(), CreationTimestamp: epoch, Generation: 1},
			Spec:       spec,
		})
	}
	monitoring, ingress := g.namespaces[1], g.namespaces[2]
	add(monitoring, "default-deny-ingress", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}})
	add(ingress, "allow-web", networkingv1.NetworkPolicySpec{
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}},
			Ports: []networkingv1.NetworkPolicyPort{tcp(80), tcp(443)},
		}},
	})

	apps := g.namespaces[systemNamespaces:]
	for _, ns := range apps {
		used := map[string]int{}
		unique := func(name string) string {
			used[name]++
			if used[name] > 1 {
				return name + "-" + strconv.Itoa(used[name])
			}
			return name
		}
		for i := 0; i < ns.policies; i++ {
			switch i {
			case 0:
				if g.rng.Float64() < 0.9 {
					add(ns, "default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}})
				} else {
					add(ns, "default-deny-ingress", networkingv1.NetworkPolicySpec{})
				}
				continue
			case 1:
				add(ns, "allow-dns", networkingv1.NetworkPolicySpec{
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
					Egress: []networkingv1.NetworkPolicyEgressRule{{
						To: []networkingv1.NetworkPolicyPeer{{
							NamespaceSelector: labelSel(corev1.LabelMetadataName, "kube-system"),
							PodSelector:       labelSel("k8s-app", "kube-dns"),
						}},
						Ports: []networkingv1.NetworkPolicyPort{udp(53), tcp(53)},
					}},
				})
				continue
			case 2:
				if g.rng.Float64() < 0.7 {
					add(ns, "allow-scraping", networkingv1.NetworkPolicySpec{
						Ingress: []networkingv1.NetworkPolicyIngressRule{{
							From: []networkingv1.NetworkPolicyPeer{{
								NamespaceSelector: labelSel("purpose", "monitoring"),
								PodSelector:       labelSel("app", "prometheus"),
							}},
							Ports: []networkingv1.NetworkPolicyPort{named("metrics"), named("http-envoy-prom")},
						}},
					})
					continue
				}
			}
			w := ns.workloads[g.rng.IntN(len(ns.workloads))]
			kind := g.policyKind()
			name, spec := g.workloadPolicy(ns, w, kind)
			add(ns, unique(name), spec)
		}
	}
}

func (g *generator) policyKind() string {
	x := g.rng.Float64()
	for _, k := range policyKinds {
		if x < k.weight {
			return k.name
		}
		x -= k.weight
	}
	return policyKinds[0].name
}

func (g *generator) workloadPolicy(ns *nsPlan, w *workload, kind string) (string, networkingv1.NetworkPolicySpec) {
	self := labelSel("app", w.name)
	ingress := func(from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicySpec {
		return networkingv1.NetworkPolicySpec{PodSelector: *self, Ingress: []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: ports}}}
	}
	egress := func(to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicySpec {
		return networkingv1.NetworkPolicySpec{
			PodSelector: *self,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: to, Ports: ports}},
		}
	}
	other := g.namespaces[systemNamespaces+g.rng.IntN(len(g.namespaces)-systemNamespaces)]
	switch kind {
	case "from-team":
		team := ns.team
		if g.rng.Float64() < 0.3 {
			team = teams[g.rng.IntN(len(teams))]
		}
		return w.name + "-from-team", ingress([]networkingv1.NetworkPolicyPeer{{NamespaceSelector: labelSel("team", team)}}, named("http"), named("grpc"))
	case "from-frontend":
		return w.name + "-from-frontend", ingress([]networkingv1.NetworkPolicyPeer{
			{NamespaceSelector: labelSel("env", ns.env), PodSelector: labelSel("tier", "frontend")},
			{PodSelector: labelSel("tier", "frontend")},
		}, tcp(w.httpPort))
	case "match-expressions":
		apps := []string{w.name, ns.workloads[g.rng.IntN(len(ns.workloads))].name}
		sort.Strings(apps)
		return w.name + "-internal", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: dedupe(apps)},
			}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"backend", "frontend"}},
					{Key: "version", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"canary"}},
				}}}, {NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{ns.team, "platform"}},
					{Key: "env", Operator: metav1.LabelSelectorOpExists},
				}}, PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "tier", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"db", "cache"}},
				}}}},
				Ports: []networkingv1.NetworkPolicyPort{named("grpc"), tcp(9000)},
			}},
		}
	case "from-partners":
		return w.name + "-from-partners", ingress([]networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "172.16.0.0/12", Except: []string{"172.16.5.0/24", "172.20.0.0/16"}}},
			{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}},
		}, tcp(443), tcp(8443))
	case "to-internet":
		return w.name + "-to-internet", egress([]networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "169.254.169.254/32", "192.168.0.0/16"}}},
		}, tcp(443))
	case "to-datastores":
		return w.name + "-to-datastores", egress([]networkingv1.NetworkPolicyPeer{
			{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"cache", "db"}},
			}}},
		}, named("db"), named("cache"), tcp(5432), rangeOf(9092, 9094))
	case "from-ingress":
		return w.name + "-from-ingress", ingress([]networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: labelSel(corev1.LabelMetadataName, "ingress-nginx"),
			PodSelector:       labelSel("app.kubernetes.io/name", "ingress-nginx"),
		}}, named("http"))
	case "to-peer-range":
		// Another namespace's pods by address: an ipBlock that matches pods
		// where the CNI lets it (--ipblock-matches-pods).
		cidr := other.cidr
		except := netip.PrefixFrom(cidr.Addr(), 24)
		return w.name + "-to-" + other.name, egress([]networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: cidr.String(), Except: []string{except.String()}}},
		}, tcp(8080), tcp(8000))
	case "syslog":
		proto := corev1.ProtocolSCTP
		return w.name + "-syslog", egress([]networkingv1.NetworkPolicyPeer{
			{NamespaceSelector: labelSel("team", "platform")},
		}, udp(514), networkingv1.NetworkPolicyPort{Protocol: &proto, Port: ptrPort(3868)})
	case "egress-all":
		spec := egress(nil)
		spec.Egress = []networkingv1.NetworkPolicyEgressRule{{}}
		return w.name + "-egress-all", spec
	case "typo":
		// A typo: the second letter dropped, so the policy selects nothing.
		typo := w.name[:1] + w.name[2:]
		return typo + "-from-team", networkingv1.NetworkPolicySpec{
			PodSelector: *labelSel("app", typo),
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: labelSel("team", ns.team)}}}},
		}
	default: // from-same-app
		return w.name + "-from-" + w.name, ingress([]networkingv1.NetworkPolicyPeer{{PodSelector: self}})
	}
}

func dedupe(s []string) []string {
	if len(s) == 2 && s[0] == s[1] {
		return s[:1]
	}
	return s
}

func labelSel(k, v string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

func ptrPort(n int32) *intstr.IntOrString {
	p := intstr.FromInt32(n)
	return &p
}

func tcp(n int32) networkingv1.NetworkPolicyPort {
	proto := corev1.ProtocolTCP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: ptrPort(n)}
}

func udp(n int32) networkingv1.NetworkPolicyPort {
	proto := corev1.ProtocolUDP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: ptrPort(n)}
}

func named(name string) networkingv1.NetworkPolicyPort {
	proto := corev1.ProtocolTCP
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func rangeOf(from, to int32) networkingv1.NetworkPolicyPort {
	p := tcp(from)
	p.EndPort = &to
	return p
}
