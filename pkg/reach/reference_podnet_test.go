package reach_test

// The reference reading of pods without an IP (templates, pending pods):
// such a pod is somewhere in the pod network, and holds one address of
// each family that network has. The network is --pod-cidr, else the Node
// objects' spec.podCIDRs when the snapshot has Node objects, else per
// family the longest prefix, at most /16 (IPv4) or /48 (IPv6), that every
// IP of a pod (not hostNetwork) of that family shares, else every address.
// A hostNetwork pod without an IP is somewhere among the node addresses,
// which the snapshot does not tell: every address. An address block then
// matches if it holds all of the network's part of its family, does not if
// it holds none of it, and may otherwise. Like the rest of the reference it
// uses the standard library's net package, bit by bit, not the engine's
// range arithmetic.

import (
	"net"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

func refEverywhere() []*net.IPNet {
	_, v4, _ := net.ParseCIDR("0.0.0.0/0")
	_, v6, _ := net.ParseCIDR("::/0")
	return []*net.IPNet{v4, v6}
}

func refPodNetwork(snap *inventory.Snapshot, o refOptions) []*net.IPNet {
	parse := func(cidrs []string) []*net.IPNet {
		var out []*net.IPNet
		for _, c := range cidrs {
			if _, n, err := net.ParseCIDR(c); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	if len(o.podCIDRs) > 0 {
		return parse(o.podCIDRs)
	}
	if snap.NodesKnown {
		var cidrs []string
		for _, n := range snap.Nodes {
			if len(n.Spec.PodCIDRs) > 0 {
				cidrs = append(cidrs, n.Spec.PodCIDRs...)
			} else if n.Spec.PodCIDR != "" {
				cidrs = append(cidrs, n.Spec.PodCIDR)
			}
		}
		if out := parse(cidrs); len(out) > 0 {
			return out
		}
	}
	var out []*net.IPNet
	for _, fam := range []struct{ bits, max int }{{32, 16}, {128, 48}} {
		var ips []net.IP
		for i := range snap.Pods {
			if snap.Pods[i].Spec.HostNetwork {
				continue
			}
			for _, s := range refPodIPs(&snap.Pods[i]) {
				ip := net.ParseIP(s)
				if ip == nil {
					continue
				}
				if v4 := ip.To4(); v4 != nil {
					if fam.bits == 32 {
						ips = append(ips, v4)
					}
				} else if fam.bits == 128 {
					ips = append(ips, ip)
				}
			}
		}
		if len(ips) == 0 {
			continue
		}
		for ones := fam.max; ones >= 0; ones-- {
			mask := net.CIDRMask(ones, fam.bits)
			same := true
			for _, ip := range ips {
				same = same && ip.Mask(mask).Equal(ips[0].Mask(mask))
			}
			if same {
				out = append(out, &net.IPNet{IP: ips[0].Mask(mask), Mask: mask})
				break
			}
		}
	}
	if len(out) == 0 {
		return refEverywhere()
	}
	return out
}

// refUnknownIP: does the block cidr minus except hold a pod without an IP?
func refUnknownIP(snap *inventory.Snapshot, o refOptions, p *corev1.Pod, cidr string, except []string) match {
	where := refEverywhere()
	if !p.Spec.HostNetwork {
		where = refPodNetwork(snap, o)
	}
	_, block, err := net.ParseCIDR(cidr)
	if err != nil {
		return matchNo
	}
	var excepts []*net.IPNet
	for _, e := range except {
		if _, n, err := net.ParseCIDR(e); err == nil {
			excepts = append(excepts, n)
		}
	}
	all, none, any := true, true, false
	for _, n := range where {
		if refIs4(n) != refIs4(block) {
			continue
		}
		any = true
		all = all && refHoldsAll(block, excepts, n)
		none = none && refHoldsNone(block, excepts, n)
	}
	switch {
	case !any || none:
		return matchNo
	case all:
		return matchYes
	}
	return matchMaybe
}

func refIs4(n *net.IPNet) bool { return n.IP.To4() != nil }

// refWithin: every address of inner is in outer.
func refWithin(inner, outer *net.IPNet) bool {
	io, _ := inner.Mask.Size()
	oo, _ := outer.Mask.Size()
	return oo <= io && outer.Contains(inner.IP)
}

func refOverlap(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// refHoldsAll: n lies in block and no except touches it.
func refHoldsAll(block *net.IPNet, excepts []*net.IPNet, n *net.IPNet) bool {
	if !refWithin(n, block) {
		return false
	}
	for _, e := range excepts {
		if refOverlap(e, n) {
			return false
		}
	}
	return true
}

// refHoldsNone: the part of n in block is empty or all excepted.
func refHoldsNone(block *net.IPNet, excepts []*net.IPNet, n *net.IPNet) bool {
	if !refOverlap(block, n) {
		return true
	}
	part := n
	if refWithin(block, n) {
		part = block
	}
	return refExcepted(excepts, part)
}

// refExcepted: the excepts together hold every address of n, halving n
// until each half lies in one except or touches none.
func refExcepted(excepts []*net.IPNet, n *net.IPNet) bool {
	touched := false
	for _, e := range excepts {
		if refWithin(n, e) {
			return true
		}
		touched = touched || refOverlap(e, n)
	}
	ones, bits := n.Mask.Size()
	if !touched || ones == bits {
		return false
	}
	mask := net.CIDRMask(ones+1, bits)
	lo := &net.IPNet{IP: n.IP.Mask(mask), Mask: mask}
	hi := &net.IPNet{IP: append(net.IP(nil), lo.IP...), Mask: mask}
	hi.IP[ones/8] |= 0x80 >> (ones % 8)
	return refExcepted(excepts, lo) && refExcepted(excepts, hi)
}
