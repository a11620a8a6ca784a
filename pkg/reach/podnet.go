package reach

import (
	"math/bits"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Pods without an IP.
//
// Workloads judged from their templates, and pending pods, have no IP yet.
// Such a pod is somewhere in the pod network: an address peer whose
// addresses (cidr minus except) contain the whole pod network of its family
// matches it, one disjoint from it does not, and one that overlaps it only
// in part may or may not (matchMaybe): verdicts that turns are undefined,
// and labelled depends (Verdict.Depends). A pod is taken to hold one address
// of each family the pod network has. Each peer is judged on its own, so
// peers that only together cover the pod network still make the verdict
// depend on the IP. hostNetwork pods without an IP are somewhere among the
// node addresses, which the model does not know: for them the network is
// every address of both families.

// Where the pod network comes from (PodNetwork.Source).
const (
	PodNetworkFlag     = "--pod-cidr"
	PodNetworkNodes    = "the nodes' spec.podCIDRs"
	PodNetworkInferred = "inferred from the pods' IPs"
	PodNetworkUnknown  = "unknown"
)

// Inferred pod networks are at least this wide: one pod's IP says little
// about the range its peers get.
const (
	inferMaxBitsV4 = 16
	inferMaxBitsV6 = 48
)

// PodNetwork is where the model places pods without an IP.
type PodNetwork struct {
	// Prefixes are sorted, IPv4 first; for PodNetworkUnknown, 0.0.0.0/0 and
	// ::/0.
	Prefixes []netip.Prefix `json:"prefixes"`
	Source   string         `json:"source"`
}

var everywhere = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}

// podNetwork decides the pod network: the option, else the nodes' podCIDRs
// when Node objects were read, else per family the smallest prefix covering
// every pod IP of that family, widened to /16 (IPv4) or /48 (IPv6), else
// unknown.
func podNetwork(snap *inventory.Snapshot, opts Options) PodNetwork {
	if len(opts.PodCIDRs) > 0 {
		var ps []netip.Prefix
		for _, p := range opts.PodCIDRs {
			ps = append(ps, p.Masked())
		}
		return PodNetwork{Prefixes: sortPrefixes(ps), Source: PodNetworkFlag}
	}
	if snap.NodesKnown {
		var ps []netip.Prefix
		for i := range snap.Nodes {
			cidrs := snap.Nodes[i].Spec.PodCIDRs
			if len(cidrs) == 0 && snap.Nodes[i].Spec.PodCIDR != "" {
				cidrs = []string{snap.Nodes[i].Spec.PodCIDR}
			}
			for _, c := range cidrs {
				if p, err := parseCIDR(c); err == nil {
					ps = append(ps, p)
				}
			}
		}
		if len(ps) > 0 {
			return PodNetwork{Prefixes: sortPrefixes(ps), Source: PodNetworkNodes}
		}
	}
	var ps []netip.Prefix
	for f, maxBits := range [2]int{inferMaxBitsV4, inferMaxBitsV6} {
		var first netip.Addr
		common := 0
		for i := range snap.Pods {
			p := &snap.Pods[i]
			if p.Spec.HostNetwork {
				continue
			}
			for _, a := range inventory.PodIPs(p) {
				if familyIndex(a) != f {
					continue
				}
				if !first.IsValid() {
					first, common = a, a.BitLen()
					continue
				}
				common = min(common, commonBits(first, a))
			}
		}
		if first.IsValid() {
			ps = append(ps, netip.PrefixFrom(first, min(common, maxBits)).Masked())
		}
	}
	if len(ps) > 0 {
		return PodNetwork{Prefixes: ps, Source: PodNetworkInferred}
	}
	return PodNetwork{Prefixes: everywhere, Source: PodNetworkUnknown}
}

// commonBits is the length of the longest prefix a and b (one family) share.
func commonBits(a, b netip.Addr) int {
	x, y := toU128(a), toU128(b)
	if a.Is4() {
		return min(32, bits.LeadingZeros32(uint32(x.lo^y.lo)))
	}
	if x.hi != y.hi {
		return bits.LeadingZeros64(x.hi ^ y.hi)
	}
	return 64 + bits.LeadingZeros64(x.lo^y.lo)
}

// String renders "10.244.0.0/16, fd00::/48".
func (n PodNetwork) String() string {
	var out []string
	for _, p := range n.Prefixes {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}

// relation says what the block does with an address somewhere in net: it
// contains every such address (matchYes), none (matchNo) or some
// (matchMaybe). Each family is judged on its own prefixes; a family net
// lacks has no such address.
func (b *ipBlock) relation(net []netip.Prefix) match {
	all, none, any := true, true, false
	for _, p := range net {
		if p.Addr().BitLen() != b.cidr.Addr().BitLen() {
			continue
		}
		any = true
		a, n := b.covers(p)
		all, none = all && a, none && n
	}
	switch {
	case !any || none:
		return matchNo
	case all:
		return matchYes
	}
	return matchMaybe
}

// covers says whether the block holds every address of p (all) or none.
func (b *ipBlock) covers(p netip.Prefix) (all, none bool) {
	if !b.cidr.Overlaps(p) {
		return false, true
	}
	inside := p // the part of p in cidr: p, or cidr when p is wider
	if b.cidr.Bits() > p.Bits() {
		inside = b.cidr
	}
	all = inside == p
	for _, e := range b.except {
		if e.Overlaps(p) {
			all = false
		}
	}
	lo, hi := prefixRange(inside)
	return all, coveredBy(lo, hi, b.except, inside.Addr().BitLen())
}

// coveredBy says whether the prefixes of one family (sorted by first
// address) cover every address from lo to hi.
func coveredBy(lo, hi u128, ps []netip.Prefix, width int) bool {
	next := lo // the first address not known to be covered
	for _, e := range ps {
		if e.Addr().BitLen() != width {
			continue
		}
		elo, ehi := prefixRange(e)
		if ehi.less(next) {
			continue
		}
		if next.less(elo) {
			return false
		}
		if !ehi.less(hi) {
			return true
		}
		next = ehi.addOne()
	}
	return false
}

// PodNetwork returns where the model places pods without an IP.
func (m *Model) PodNetwork() PodNetwork { return m.podNet }

// DependsOnIP says whether verdicts involving the pod may depend on its IP:
// it has none, and some address peer holds only part of where it may be.
func (m *Model) DependsOnIP(p *corev1.Pod) bool {
	if p == nil {
		return false
	}
	if i, ok := m.podIndex[p.Namespace+"/"+p.Name]; ok {
		return m.uncertainPod(&m.pods[i])
	}
	info, _ := newPodInfo(p)
	return m.uncertainPod(&info)
}

// unknownRel is what an address peer with block b does with a pod without
// an IP: the pod network for pods, every address for hostNetwork pods.
func (m *Model) unknownRel(b int, hostNetwork bool) match {
	if hostNetwork {
		return m.unknownRels[1][b]
	}
	return m.unknownRels[0][b]
}

// computeUnknown fills unknownRels and uncertain once blocks and peers are
// compiled.
func (m *Model) computeUnknown() {
	for i, net := range [2][]netip.Prefix{m.podNet.Prefixes, everywhere} {
		m.unknownRels[i] = make([]match, len(m.blocks))
		for b := range m.blocks {
			m.unknownRels[i][b] = m.blocks[b].relation(net)
		}
	}
	for pi := range m.policies {
		pol := &m.policies[pi]
		for d := range pol.rules {
			for ri := range pol.rules[d] {
				for k := range pol.rules[d][ri].peers {
					pr := &pol.rules[d][ri].peers[k]
					if pr.block < 0 || pr.never || pr.any || pr.outside != "" {
						continue
					}
					for i, hostNetwork := range [2]bool{false, true} {
						if pr.kind == PeerNodes && !hostNetwork {
							continue
						}
						if !pr.seesPods && !m.opts.IPBlockMatchesPods && !hostNetwork {
							continue
						}
						if m.unknownRels[i][pr.block] == matchMaybe {
							m.uncertain[i] = true
						}
					}
				}
			}
		}
	}
}

// uncertainPod says whether some address peer matches the pod only maybe
// because its IP is unknown: its undefined verdicts then depend on its IP.
func (m *Model) uncertainPod(p *podInfo) bool {
	if p == nil || len(p.ips) > 0 {
		return false
	}
	if p.hostNetwork {
		return m.uncertain[1]
	}
	return m.uncertain[0]
}

// dependsReason explains a direction that depends on the IP of other: the
// first address peer of the subject's policies in direction d that covers
// only part of where other may be.
func (m *Model) dependsReason(d Dir, subject, other *podInfo) string {
	where := "the pod network " + m.podNet.String() + " (" + m.podNet.Source + ")"
	if other.hostNetwork {
		where = "the node addresses (unknown)"
	}
	pols := append([]int(nil), m.byNamespace[subject.ns]...)
	pols = append(pols, m.tiered...)
	for _, pi := range pols {
		pol := &m.policies[pi]
		if !m.selects(pol, subject) {
			continue
		}
		for ri := range pol.rules[d] {
			r := &pol.rules[d][ri]
			for k := range r.peers {
				pr := &r.peers[k]
				if pr.block >= 0 && m.peerMatch(pol, pr, party{pod: other}) == matchMaybe {
					return ReasonDepends + ": " + other.ref + " has no IP, and " + pr.text + " (" + pol.ref.String() + " " + r.field +
						") holds only part of " + where
				}
			}
		}
	}
	return ReasonDepends + ": " + other.ref + " has no IP"
}
