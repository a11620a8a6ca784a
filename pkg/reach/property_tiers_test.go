package reach_test

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach/reachtest"
)

var flagTierSnapshots = flag.Int("tier-snapshots", 10000, "random snapshots with cluster-wide tiers the tier property test checks (-short: 500)")

// engineOutcomes reads the possible outcomes off an engine verdict:
// Undefined means both, and then Allowed is false.
func engineOutcomes(v reach.Verdict) (outcomes, error) {
	switch {
	case v.Undefined && v.Allowed:
		return outcomes{}, errors.New("verdict both Undefined and Allowed")
	case v.Depends && !v.Undefined:
		return outcomes{}, errors.New("verdict Depends but not Undefined")
	case v.Undefined:
		return outcomes{allow: true, deny: true}, nil
	case v.Allowed:
		return outcomes{allow: true}, nil
	}
	return outcomes{deny: true}, nil
}

// TestPropertyTiersMatchReference draws snapshots that mix NetworkPolicies
// with Admin and Baseline policies of both API shapes and checks that the
// engine's verdict, pod to pod and between pods and outside addresses, on
// every port where a verdict can change and every protocol, is exactly the
// set of outcomes the tier reference evaluator finds.
func TestPropertyTiersMatchReference(t *testing.T) {
	n := *flagTierSnapshots
	if testing.Short() && n > 500 {
		n = 500
	}
	start := time.Now()
	var next, probes, undefined atomic.Int64
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
				pc := reachtest.GenerateTierCase(reachtest.Seeded(seed))
				count, undef, err := checkTierCase(pc)
				probes.Add(int64(count))
				undefined.Add(int64(undef))
				if err != nil {
					mu.Lock()
					failed = append(failed, seed)
					failures[seed] = err
					mu.Unlock()
					next.Store(int64(n))
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		seed := failed[0]
		pc := reachtest.GenerateTierCase(reachtest.Seeded(seed))
		t.Fatalf("seed %d: %v\nreproduce with: go test ./pkg/reach -run TestPropertyTiersMatchReference -seed %d -tier-snapshots 1\noutside addresses probed: %v\n%s",
			seed, failures[seed], seed, pc.External, reachtest.DumpSnapshot(pc.Snapshot))
	}
	t.Logf("%d snapshots with tiers (seeds %d..%d), %d verdicts compared with the reference (%d undefined), in %v",
		n, *flagSeed, *flagSeed+uint64(n)-1, probes.Load(), undefined.Load(), time.Since(start).Round(time.Millisecond))
}

// tierProbePorts adds to probePorts the edges of the tier policies' ports.
func tierProbePorts(snap *inventory.Snapshot) []probe {
	points := map[probe]bool{}
	for _, p := range probePorts(snap) {
		points[p] = true
	}
	add := func(proto string, from, to int32) {
		if proto == "" {
			proto = "TCP"
		}
		for _, p := range []int32{from - 1, from, to, to + 1} {
			if p >= reach.MinPort && p <= reach.MaxPort {
				points[probe{reach.Protocol(proto), p}] = true
			}
		}
	}
	admin, baseline := refTiers(snap)
	for _, pol := range append(admin, baseline...) {
		for _, r := range append(slices.Clone(pol.ingress), pol.egress...) {
			for _, p := range r.ports {
				if !p.namedValid && !p.all {
					add(p.proto, p.from, p.to)
				}
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

func checkTierCase(pc reachtest.Case) (count, undefined int, err error) {
	options := []bool{true, false}
	if !hasIPBlock(pc.Snapshot) {
		options = options[:1] // the option is about NetworkPolicy ipBlocks only
	}
	all := []reach.Options{}
	for _, matchPods := range options {
		all = append(all, reach.Options{IPBlockMatchesPods: matchPods})
	}
	if cidrs := caseOptions(pc.PodCIDRs); len(cidrs) > 2 {
		all = append(all, cidrs[2])
	}
	for _, opts := range all {
		n, u, err := checkTierWithOptions(pc, opts)
		count += n
		undefined += u
		if err != nil {
			return count, undefined, fmt.Errorf("IPBlockMatchesPods=%v PodCIDRs=%v: %w", opts.IPBlockMatchesPods, opts.PodCIDRs, err)
		}
	}
	return count, undefined, nil
}

func checkTierWithOptions(pc reachtest.Case, opts reach.Options) (count, undefined int, err error) {
	snap := pc.Snapshot
	m, err := reach.Build(snap, opts)
	if err != nil {
		return 0, 0, fmt.Errorf("Build: %w", err)
	}
	probes := tierProbePorts(snap)
	ref := newRefTierCtx(snap)
	var errs []error
	ro := refOpts(opts)
	// check compares one connection at one probe; pair is the reference's
	// reading of it.
	check := func(src, dst reach.Endpoint, pair *refTierPair, p probe) {
		count++
		want := pair.at(p.port, string(p.proto))
		if want.allow && want.deny {
			undefined++
		}
		v := m.Verdict(src, dst, p.port, p.proto)
		got, err := engineOutcomes(v)
		if err == nil && got == want {
			return
		}
		if len(errs) < 5 {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s -> %s %d/%s: %w", src, dst, p.port, p.proto, err))
			} else {
				errs = append(errs, fmt.Errorf("%s -> %s %d/%s: got %s, want %s\n  egress: %s\n  ingress: %s", src, dst, p.port, p.proto, got, want, describe(v.Egress), describe(v.Ingress)))
			}
		}
	}
	pods := snap.Pods
	var ext []netip.Addr
	for _, s := range pc.External {
		ext = append(ext, netip.MustParseAddr(s))
	}
	for i := range pods {
		for j := range pods {
			pair := ref.prepare(ro, refEnd{pod: &pods[i]}, refEnd{pod: &pods[j]})
			for _, p := range probes {
				check(reach.PodEndpoint(&pods[i]), reach.PodEndpoint(&pods[j]), &pair, p)
			}
		}
		for _, a := range ext {
			pod, addr := refEnd{pod: &pods[i]}, refEnd{ip: a.String()}
			out, in := ref.prepare(ro, pod, addr), ref.prepare(ro, addr, pod)
			for _, p := range probes {
				check(reach.PodEndpoint(&pods[i]), reach.IPEndpoint(a), &out, p)
				check(reach.IPEndpoint(a), reach.PodEndpoint(&pods[i]), &in, p)
			}
		}
	}
	return count, undefined, errors.Join(errs...)
}

// TestTierGeneratorCoverage makes sure the generator draws what the tier
// property test must exercise, so a change that stops it from drawing equal
// priorities or undefined verdicts cannot go unnoticed. It needs no engine.
func TestTierGeneratorCoverage(t *testing.T) {
	const n = 400
	seen := map[string]int{}
	var undefinedVerdicts int
	for seed := uint64(1); seed <= n; seed++ {
		snap := reachtest.GenerateTierCase(reachtest.Seeded(seed)).Snapshot
		admin, baseline := refTiers(snap)
		for tier, pols := range map[string][]refTierPolicy{"admin": admin, "baseline": baseline} {
			prio := map[int32]int{}
			for _, p := range pols {
				prio[p.priority]++
				for _, r := range append(slices.Clone(p.ingress), p.egress...) {
					seen[fmt.Sprintf("%s action %d", tier, r.action)]++
					for _, port := range r.ports {
						switch {
						case port.namedValid:
							seen["named port"]++
						case port.all:
							seen["whole protocol"]++
						case port.from < port.to:
							seen["port range"]++
						}
					}
					for _, peer := range r.peers {
						switch {
						case peer.domains:
							seen["domainNames"]++
						case peer.nodes != nil && snap.NodesKnown:
							seen["nodes known"]++
						case peer.nodes != nil:
							seen["nodes unknown"]++
						case len(peer.networks) > 0:
							seen["networks"]++
						case peer.empty:
							seen["empty peer"]++
						}
					}
				}
			}
			for _, c := range prio {
				if c > 1 {
					seen[tier+" equal priorities"]++
				}
			}
		}
		for _, k := range []string{"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"} {
			switch {
			case k == "ClusterNetworkPolicy" && len(snap.ClusterNetworkPolicies) > 0,
				k == "AdminNetworkPolicy" && len(snap.AdminNetworkPolicies) > 0,
				k == "BaselineAdminNetworkPolicy" && len(snap.BaselineAdminNetworkPolicies) > 0:
				seen[k]++
			}
		}
		if len(snap.Policies) > 0 && snap.TierPolicyCount() > 0 {
			seen["NetworkPolicy with tiers"]++
		}
		if seed <= 100 {
			for i := range snap.Pods {
				for j := range snap.Pods {
					for _, port := range []int32{53, 80, 443, 8080} {
						for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
							if o := refTierEvaluate(snap, refOptions{ipBlockMatchesPods: true}, refEnd{pod: &snap.Pods[i]}, refEnd{pod: &snap.Pods[j]}, port, string(proto)); o.allow && o.deny {
								undefinedVerdicts++
							}
						}
					}
				}
			}
		}
	}
	for _, want := range []string{
		"admin action 1", "admin action 2", "admin action 3", "baseline action 1", "baseline action 2", "baseline action 3",
		"named port", "whole protocol", "port range", "domainNames", "nodes known", "nodes unknown", "networks", "empty peer",
		"admin equal priorities", "baseline equal priorities",
		"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "NetworkPolicy with tiers",
	} {
		if seen[want] == 0 {
			t.Errorf("%d snapshots drew no %s", n, want)
		}
	}
	if undefinedVerdicts == 0 {
		t.Error("no undefined verdict among the pairs sampled: equal priorities never overlap")
	}
	t.Logf("drawn in %d snapshots: %v; %d undefined verdicts sampled", n, seen, undefinedVerdicts)
}

func hasIPBlock(snap *inventory.Snapshot) bool {
	for _, np := range snap.Policies {
		for _, r := range np.Spec.Ingress {
			for _, p := range r.From {
				if p.IPBlock != nil {
					return true
				}
			}
		}
		for _, r := range np.Spec.Egress {
			for _, p := range r.To {
				if p.IPBlock != nil {
					return true
				}
			}
		}
	}
	return false
}
