package reach_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

var (
	flagSnapshots = flag.Int("snapshots", 10000, "random snapshots the property test checks (-short: 500)")
	flagSeed      = flag.Uint64("seed", 1, "seed of the property test's first snapshot; snapshot i uses seed+i")
)

// TestPropertyEngineMatchesReference generates random snapshots and checks,
// with ipBlocks matching pod IPs and without:
//   - every Verdict, pod to pod and between pods and outside addresses, in
//     every detail the reference evaluator computes (isolation, the policies
//     and rules involved, the reason), on every port where a verdict can
//     change and every protocol;
//   - the matrix, at pod and workload level, edge by edge and for outside
//     addresses, against those verdicts: its port sets must equal exactly
//     the ports the verdicts allow.
func TestPropertyEngineMatchesReference(t *testing.T) {
	n := *flagSnapshots
	if testing.Short() && n > 500 {
		n = 500
	}
	start := time.Now()
	var next, probes atomic.Int64
	var mu sync.Mutex
	var failed []uint64
	failures := map[uint64]error{}
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				seed := *flagSeed + uint64(i)
				pc := generateCase(randChooser{rand.New(rand.NewPCG(seed, 0))})
				count, err := checkCase(pc)
				probes.Add(int64(count))
				if err != nil {
					mu.Lock()
					failed = append(failed, seed)
					failures[seed] = err
					mu.Unlock()
					next.Store(int64(n)) // stop the others soon
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		seed := failed[0]
		pc := generateCase(randChooser{rand.New(rand.NewPCG(seed, 0))})
		t.Fatalf("seed %d: %v\nreproduce with: go test ./pkg/reach -run TestPropertyEngineMatchesReference -seed %d -snapshots 1\noutside addresses probed: %v\n%s",
			seed, failures[seed], seed, pc.external, dumpSnapshot(pc.snap))
	}
	t.Logf("%d snapshots (seeds %d..%d), %d verdicts compared with the reference, in %v",
		n, *flagSeed, *flagSeed+uint64(n)-1, probes.Load(), time.Since(start).Round(time.Millisecond))
}

// FuzzVerdict feeds the fuzzer's bytes to the same generator and checks.
func FuzzVerdict(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x02\x01\x01\x00\x03\x07\x05\x02\x04\x04\x01\x03\x02\x02\x03\x00\x01\x04"))
	f.Add([]byte("network policies are additive; a pod may always reach itself"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pc := generateCase(&byteChooser{data: data})
		if _, err := checkCase(pc); err != nil {
			t.Fatalf("%v\noutside addresses probed: %v\n%s", err, pc.external, dumpSnapshot(pc.snap))
		}
	})
}

// probe is one port of one protocol.
type probe struct {
	proto reach.Protocol
	port  int32
}

// probePorts returns, per protocol, every port where some verdict may
// change: 1, each range's first port and the one after its last, each named
// port's number and the next. Between two of them every verdict is
// constant, so checking these checks every port.
func probePorts(snap *inventory.Snapshot) []probe {
	points := map[probe]bool{}
	add := func(proto reach.Protocol, ports ...int32) {
		for _, p := range ports {
			if p >= reach.MinPort && p <= reach.MaxPort {
				points[probe{proto, p}] = true
			}
		}
	}
	for _, proto := range []reach.Protocol{reach.TCP, reach.UDP, reach.SCTP} {
		add(proto, 1)
	}
	for _, np := range snap.Policies {
		var ports []networkingv1.NetworkPolicyPort
		for _, r := range np.Spec.Ingress {
			ports = append(ports, r.Ports...)
		}
		for _, r := range np.Spec.Egress {
			ports = append(ports, r.Ports...)
		}
		for _, p := range ports {
			proto := reach.TCP
			if p.Protocol != nil {
				proto = reach.Protocol(*p.Protocol)
			}
			if p.Port == nil || p.Port.Type != intstr.Int {
				continue
			}
			end := p.Port.IntVal
			if p.EndPort != nil {
				end = *p.EndPort
			}
			add(proto, p.Port.IntVal-1, p.Port.IntVal, end, end+1)
		}
	}
	for _, p := range snap.Pods {
		for _, c := range append(append([]corev1.Container{}, p.Spec.Containers...), p.Spec.InitContainers...) {
			for _, cp := range c.Ports {
				proto := reach.Protocol(cp.Protocol)
				if proto == "" {
					proto = reach.TCP
				}
				add(proto, cp.ContainerPort, cp.ContainerPort+1)
			}
		}
	}
	out := make([]probe, 0, len(points))
	for p := range points {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b probe) int {
		if a.proto != b.proto {
			return strings.Compare(string(a.proto), string(b.proto))
		}
		return int(a.port - b.port)
	})
	return out
}

// portsAllowed turns verdicts at the probes into the port set they imply:
// a probe's verdict holds up to the next probe of its protocol.
func portsAllowed(probes []probe, allowed func(k int) bool) reach.PortSet {
	var out reach.PortSet
	var ranges []reach.PortRange // of the protocol at hand, adjacent ones merged
	for k, p := range probes {
		last := k+1 == len(probes) || probes[k+1].proto != p.proto
		if allowed(k) {
			to := int32(reach.MaxPort)
			if !last {
				to = probes[k+1].port - 1
			}
			if n := len(ranges); n > 0 && ranges[n-1].To+1 == p.port {
				ranges[n-1].To = to
			} else {
				ranges = append(ranges, reach.PortRange{From: p.port, To: to})
			}
		}
		if last && len(ranges) > 0 {
			out = out.Union(reach.PortsOf(p.proto, ranges...))
			ranges = ranges[:0]
		}
	}
	return out
}

// checkCase runs every check on one snapshot, with both options, and
// returns how many verdicts it compared.
func checkCase(pc propCase) (int, error) {
	count := 0
	all := caseOptions(pc.podCIDRs)
	if !hasIPBlock(pc.snap) {
		// The option is about ipBlocks only: without any, both settings
		// ask the same question (as in the tier property test).
		all = slices.Delete(all, 1, 2)
	}
	for _, opts := range all {
		n, err := checkWithOptions(pc, opts)
		count += n
		if err != nil {
			return count, fmt.Errorf("IPBlockMatchesPods=%v PodCIDRs=%v: %w", opts.IPBlockMatchesPods, opts.PodCIDRs, err)
		}
	}
	return count, nil
}

// caseOptions: ipBlocks matching pods and not, with the pod network
// inferred, and with the case's --pod-cidr when it has one.
func caseOptions(podCIDRs []string) []reach.Options {
	out := []reach.Options{{IPBlockMatchesPods: true}, {IPBlockMatchesPods: false}}
	if len(podCIDRs) > 0 {
		o := reach.Options{IPBlockMatchesPods: true}
		for _, c := range podCIDRs {
			o.PodCIDRs = append(o.PodCIDRs, netip.MustParsePrefix(c))
		}
		out = append(out, o)
	}
	return out
}

func checkWithOptions(pc propCase, opts reach.Options) (int, error) {
	snap := pc.snap
	m, err := reach.Build(snap, opts)
	if err != nil {
		return 0, fmt.Errorf("Build: %w", err)
	}
	probes := probePorts(snap)
	pods := snap.Pods
	var ext []netip.Addr
	for _, s := range pc.external {
		ext = append(ext, netip.MustParseAddr(s))
	}

	// depends: the probes at which a pod pair's verdict is undefined
	// (without tiers, always because of a pod without an IP).
	depends := map[[2]*corev1.Pod][]probe{}
	var errs []error
	count := 0
	ro := refOpts(opts)
	// check compares one pair at one probe; ref is the reference's
	// reading of the pair, rsrc to rdst.
	check := func(src, dst reach.Endpoint, ref *refPair, rsrc, rdst refEnd, p probe) bool {
		count++
		got := m.Verdict(src, dst, p.port, p.proto)
		want := ref.at(p.port, string(p.proto))
		if diff := compareVerdict(got, want); diff != "" && len(errs) < 5 {
			errs = append(errs, fmt.Errorf("%s -> %s %d/%s: %s", src, dst, p.port, p.proto, diff))
		}
		if got.Undefined {
			depends[[2]*corev1.Pod{rsrc.pod, rdst.pod}] = append(depends[[2]*corev1.Pod{rsrc.pod, rdst.pod}], p)
		}
		return got.Allowed
	}
	// allowed[i][j][k]: pod i to pod j; out[i][e][k], in[i][e][k]: pod i to
	// and from address e.
	allowed := make([][][]bool, len(pods))
	out := make([][][]bool, len(pods))
	in := make([][][]bool, len(pods))
	for i := range pods {
		allowed[i] = make([][]bool, len(pods))
		for j := range pods {
			allowed[i][j] = make([]bool, len(probes))
			rsrc, rdst := refEnd{pod: &pods[i]}, refEnd{pod: &pods[j]}
			ref := refPrepare(snap, ro, rsrc, rdst)
			for k, p := range probes {
				allowed[i][j][k] = check(reach.PodEndpoint(&pods[i]), reach.PodEndpoint(&pods[j]), &ref, rsrc, rdst, p)
			}
		}
		out[i] = make([][]bool, len(ext))
		in[i] = make([][]bool, len(ext))
		for e, a := range ext {
			out[i][e] = make([]bool, len(probes))
			in[i][e] = make([]bool, len(probes))
			// The matrix's external access leaves node-local traffic out
			// (it is about addresses, not one pod's node): compare it with
			// the verdicts of the same pod on another node.
			offNode := offNodeCopy(&pods[i], a)
			pod, addr := refEnd{pod: &pods[i]}, refEnd{ip: a.String()}
			refOut, refIn := refPrepare(snap, ro, pod, addr), refPrepare(snap, ro, addr, pod)
			for k, p := range probes {
				out[i][e][k] = check(reach.PodEndpoint(&pods[i]), reach.IPEndpoint(a), &refOut, pod, addr, p)
				in[i][e][k] = check(reach.IPEndpoint(a), reach.PodEndpoint(&pods[i]), &refIn, addr, pod, p)
				if offNode != nil {
					out[i][e][k] = m.Verdict(reach.PodEndpoint(offNode), reach.IPEndpoint(a), p.port, p.proto).Allowed
					in[i][e][k] = m.Verdict(reach.IPEndpoint(a), reach.PodEndpoint(offNode), p.port, p.proto).Allowed
				}
			}
		}
	}
	if len(errs) > 0 {
		return count, errors.Join(errs...)
	}

	undefined := make([][][]bool, len(pods))
	for i := range pods {
		undefined[i] = make([][]bool, len(pods))
		for j := range pods {
			undefined[i][j] = make([]bool, len(probes))
			for _, p := range depends[[2]*corev1.Pod{&pods[i], &pods[j]}] {
				undefined[i][j][slices.Index(probes, p)] = true
			}
		}
	}
	for _, level := range []reach.Level{reach.ByPod, reach.ByWorkload} {
		mx := m.Matrix(level)
		if len(mx.Undefined) > 0 {
			return count, fmt.Errorf("matrix by %s: undefined ports without tiers: %v", level, mx.Undefined)
		}
		if err := checkMatrixDepends(mx, level, pods, probes, allowed, undefined); err != nil {
			return count, fmt.Errorf("matrix by %s: %w", level, err)
		}
		if err := checkMatrix(mx, level, pods, ext, probes, allowed, out, in); err != nil {
			return count, fmt.Errorf("matrix by %s: %w", level, err)
		}
	}
	return count, nil
}

// checkMatrixDepends compares the matrix's Depends with the verdicts: a
// node pair's ports are those where some pod pair's verdict depends on a
// pod's IP and none is allowed.
func checkMatrixDepends(mx *reach.Matrix, level reach.Level, pods []corev1.Pod, probes []probe, allowed, depends [][][]bool) error {
	nodeOf := make([]int, len(pods))
	for i := range pods {
		w := inventory.Workload{Namespace: pods[i].Namespace, Kind: "Pod", Name: pods[i].Name}
		if level == reach.ByWorkload {
			w = inventory.WorkloadOf(&pods[i])
		}
		nodeOf[i] = slices.IndexFunc(mx.Nodes, func(n reach.Node) bool {
			return n.Namespace == w.Namespace && n.Kind == w.Kind && n.Name == w.Name
		})
	}
	got := map[[2]int]reach.PortSet{}
	for _, e := range mx.Depends {
		got[[2]int{e.From, e.To}] = e.Ports
	}
	for a := range mx.Nodes {
		for b := range mx.Nodes {
			some := func(v [][][]bool, k int) bool {
				for i := range pods {
					for j := range pods {
						if i != j && nodeOf[i] == a && nodeOf[j] == b && v[i][j][k] {
							return true
						}
					}
				}
				return false
			}
			want := portsAllowed(probes, func(k int) bool { return some(depends, k) && !some(allowed, k) })
			if g := got[[2]int{a, b}]; !g.Equal(want) {
				return fmt.Errorf("depends %s/%s -> %s/%s: got %v, want %v", mx.Nodes[a].Namespace, mx.Nodes[a].Name, mx.Nodes[b].Namespace, mx.Nodes[b].Name, g, want)
			}
		}
	}
	return nil
}

// offNodeCopy returns, when a is an address of the pod's node, the pod
// under another name on no node, which Verdict judges on its own labels,
// ports and IPs; nil otherwise.
func offNodeCopy(p *corev1.Pod, a netip.Addr) *corev1.Pod {
	on := p.Status.HostIP == a.String()
	for _, h := range p.Status.HostIPs {
		on = on || h.IP == a.String()
	}
	if !on {
		return nil
	}
	c := p.DeepCopy()
	c.Name += "-elsewhere"
	c.Status.HostIP, c.Status.HostIPs = "", nil
	return c
}

// checkMatrix compares a matrix with the verdicts it must summarise.
func checkMatrix(mx *reach.Matrix, level reach.Level, pods []corev1.Pod, ext []netip.Addr, probes []probe, allowed, out, in [][][]bool) error {
	// Which node each pod belongs to, by the documented rule.
	nodeOf := map[inventory.Workload]int{}
	for n, node := range mx.Nodes {
		if n > 0 {
			prev := mx.Nodes[n-1]
			if prev.Namespace > node.Namespace || prev.Namespace == node.Namespace &&
				(prev.Kind > node.Kind || prev.Kind == node.Kind && prev.Name >= node.Name) {
				return fmt.Errorf("nodes %d and %d out of order: %v, %v", n-1, n, prev, node)
			}
		}
		nodeOf[inventory.Workload{Namespace: node.Namespace, Kind: node.Kind, Name: node.Name}] = n
	}
	members := make([][]int, len(mx.Nodes))
	for i := range pods {
		w := inventory.Workload{Namespace: pods[i].Namespace, Kind: "Pod", Name: pods[i].Name}
		if level == reach.ByWorkload {
			w = inventory.WorkloadOf(&pods[i])
		}
		n, ok := nodeOf[w]
		if !ok {
			return fmt.Errorf("pod %s/%s: no node %v", pods[i].Namespace, pods[i].Name, w)
		}
		members[n] = append(members[n], i)
	}
	for n, node := range mx.Nodes {
		var names []string
		for _, i := range members[n] {
			names = append(names, pods[i].Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, node.Pods) {
			return fmt.Errorf("node %v: got pods %v, want %v", node, node.Pods, names)
		}
	}

	edges := map[[2]int]reach.PortSet{}
	for e, edge := range mx.Edges {
		if edge.Ports.IsEmpty() {
			return fmt.Errorf("edge %d->%d has no ports", edge.From, edge.To)
		}
		if e > 0 {
			prev := mx.Edges[e-1]
			if prev.From > edge.From || prev.From == edge.From && prev.To >= edge.To {
				return fmt.Errorf("edges %d and %d out of order", e-1, e)
			}
		}
		edges[[2]int{edge.From, edge.To}] = edge.Ports
	}
	for a := range mx.Nodes {
		for b := range mx.Nodes {
			want := portsAllowed(probes, func(k int) bool {
				for _, i := range members[a] {
					for _, j := range members[b] {
						if i != j && allowed[i][j][k] {
							return true
						}
					}
				}
				return false
			})
			if got := edges[[2]int{a, b}]; !got.Equal(want) {
				return fmt.Errorf("edge %s/%s -> %s/%s: got %v, want %v", mx.Nodes[a].Namespace, mx.Nodes[a].Name, mx.Nodes[b].Namespace, mx.Nodes[b].Name, got, want)
			}
		}
	}

	if len(mx.External) != len(mx.Nodes) {
		return fmt.Errorf("got %d external entries, want one per node (%d)", len(mx.External), len(mx.Nodes))
	}
	for n, access := range mx.External {
		for e, a := range ext {
			for _, side := range []struct {
				name     string
				entries  []reach.CIDRPorts
				verdicts [][][]bool
			}{{"egress", access.Egress, out}, {"ingress", access.Ingress, in}} {
				got, err := portsFor(side.entries, a)
				if err != nil {
					return fmt.Errorf("node %s/%s %s: %w", mx.Nodes[n].Namespace, mx.Nodes[n].Name, side.name, err)
				}
				want := portsAllowed(probes, func(k int) bool {
					for _, i := range members[n] {
						if side.verdicts[i][e][k] {
							return true
						}
					}
					return false
				})
				if !got.Equal(want) {
					return fmt.Errorf("node %s/%s %s with %s: got %v, want %v", mx.Nodes[n].Namespace, mx.Nodes[n].Name, side.name, a, got, want)
				}
			}
		}
	}
	return nil
}

// portsFor finds the port set of the one entry whose CIDRs contain a.
func portsFor(entries []reach.CIDRPorts, a netip.Addr) (reach.PortSet, error) {
	var found []reach.PortSet
	for _, e := range entries {
		for _, c := range e.CIDRs {
			if c.Contains(a) {
				found = append(found, e.Ports)
			}
		}
	}
	switch len(found) {
	case 0:
		return reach.PortSet{}, nil
	case 1:
		return found[0], nil
	}
	return reach.PortSet{}, fmt.Errorf("%s is in %d CIDRs, want at most one", a, len(found))
}

var refReasons = map[string]string{
	"external":      reach.ReasonExternal,
	"self":          reach.ReasonSelf,
	"hostNetwork":   reach.ReasonHostNetwork,
	"not isolated":  reach.ReasonNotIsolated,
	"allowed":       reach.ReasonAllowed,
	"no rule":       reach.ReasonNoRule,
	"from node":     reach.ReasonFromNode,
	"to node":       reach.ReasonToNode,
	"from node pod": reach.ReasonFromNodePod,
	"to node pod":   reach.ReasonToNodePod,
}

// compareVerdict lists how an engine verdict differs from the reference's.
// sideNames names a side's isolating policies ("ns/name") and allowing
// rules ("ns/name#rule") as the reference does.
func sideNames(d reach.Direction) (isolatedBy, allowedBy []string) {
	for _, r := range d.IsolatedBy {
		isolatedBy = append(isolatedBy, r.String())
	}
	for _, r := range d.AllowedBy {
		allowedBy = append(allowedBy, r.Policy.String()+"#"+strconv.Itoa(r.Rule))
	}
	return isolatedBy, allowedBy
}

func compareVerdict(got reach.Verdict, want refVerdict) string {
	var diffs []string
	if got.Allowed != want.allowed {
		diffs = append(diffs, fmt.Sprintf("got %s, want %s", allowedText(got.Allowed), allowedText(want.allowed)))
	}
	// Without tiers a verdict is undefined only because of a pod without
	// an IP: it depends.
	if got.Undefined != want.undefined || got.Depends != want.undefined {
		diffs = append(diffs, fmt.Sprintf("got undefined=%v depends=%v, want both %v", got.Undefined, got.Depends, want.undefined))
	}
	for _, side := range []struct {
		name string
		got  reach.Direction
		want refSide
	}{{"egress", got.Egress, want.egress}, {"ingress", got.Ingress, want.ingress}} {
		g, w := side.got, side.want
		isolatedBy, allowedBy := sideNames(g)
		reasonOK := g.Reason == refReasons[w.why]
		if w.why == "depends" {
			reasonOK = g.Depends && strings.HasPrefix(g.Reason, reach.ReasonDepends+": ")
		}
		if g.Evaluated != w.evaluated || g.Isolated != w.isolated || g.Allowed != w.allowed || !reasonOK || g.Undefined != w.maybe ||
			!slices.Equal(isolatedBy, w.isolatedBy) || !slices.Equal(allowedBy, w.allowedBy) {
			diffs = append(diffs, fmt.Sprintf("%s: got evaluated=%v isolated=%v allowed=%v by %v %v (%q), want evaluated=%v isolated=%v allowed=%v by %v %v (%q)",
				side.name, g.Evaluated, g.Isolated, g.Allowed, isolatedBy, allowedBy, g.Reason,
				w.evaluated, w.isolated, w.allowed, w.isolatedBy, w.allowedBy, refReasons[w.why]))
		}
	}
	return strings.Join(diffs, "; ")
}
