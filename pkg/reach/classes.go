package reach

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
)

// Equivalence classes.
//
// Two pods that every policy treats alike get the same verdicts, so the
// matrix is computed per class, and its cost grows with the number of
// classes, not pods. Pods are grouped in two steps:
//
//  1. by what a policy could possibly look at: namespace, labels, the named
//     ports some rule uses, hostNetwork, and (when ipBlocks see pods) which
//     ipBlocks contain the pod's IPs. Replicas of a workload share all of it.
//  2. those groups by what the policies actually do with them: which
//     policies select them and which peers match them. Labels no selector
//     reads (pod-template-hash, ...) stop mattering here.
//
// Every input of a verdict is a function of the step 2 signature, which is
// why distinct pods of one class always get the class's verdict.

type classIndex struct {
	addrs    *addrPartition
	podClass []int // per pod of the model
	classes  []podClass
	// named are the distinct vectors of resolved named ports, indexed by
	// podClass.named.
	named [][]int32
	// byPeer is classesByPeer of the classes, built once for the matrix
	// and Query alike (see classesByPeer).
	byPeerOnce sync.Once
	byPeer     [][]int32
}

func (ci *classIndex) classesByPeer() [][]int32 {
	ci.byPeerOnce.Do(func() { ci.byPeer = classesByPeer(ci.classes) })
	return ci.byPeer
}

type podClass struct {
	pods        int
	hostNetwork bool
	// peers has bit p set when peer p matches the class's pods.
	peers bitset
	// named indexes classIndex.named: the class's number for each of the
	// model's namedRefs (0: the pod lacks it).
	named int
	// selectedBy lists, per Dir, the policies selecting the class that
	// isolate that direction; empty means not isolated.
	selectedBy [2][]int
	// maybe has bit p set when peer p may match the class's pods (a peer
	// outside the model facing hostNetwork pods; an address peer holding
	// part of where pods without an IP may be).
	maybe bitset
	// depends says the class's pods have no IP and some address peer
	// holds them only maybe (Model.uncertainPod): its undefined ports as
	// a far end are labelled depends.
	depends bool
	// tiers lists the cluster-wide policies selecting the class, in
	// Model.tiered order.
	tiers []int
}

func (m *Model) classIndex() *classIndex {
	m.classesOnce.Do(func() { m.classes = m.buildClasses() })
	return m.classes
}

func (m *Model) buildClasses() *classIndex {
	ci := &classIndex{addrs: newAddrPartition(m.blocks), podClass: make([]int, len(m.pods))}

	// Step 1: group pods by everything a policy could look at.
	type group struct {
		rep                 *podInfo
		blocks, maybeBlocks bitset
		named               []int32
		class               int
	}
	var groups []*group
	groupOf := map[string]*group{}
	var key strings.Builder
	podGroup := make([]*group, len(m.pods))
	// Replicas mostly fall into groups already seen: the sets are built in
	// scratch space and kept only for a new group.
	blocks, maybeBlocks := newBitset(len(m.blocks)), newBitset(len(m.blocks))
	named := make([]int32, len(m.namedRefs))
	var labelKeys []string
	for i := range m.pods {
		p := &m.pods[i]
		clear(blocks)
		// maybeBlocks: the blocks that contain a pod without an IP only
		// maybe (podnet.go).
		clear(maybeBlocks)
		if m.ipBlockSeesPod(p) || m.tierBlocks {
			for _, ip := range p.ips {
				blocks.or(ci.addrs.blocks[ci.addrs.classOf(ip)])
			}
			if len(p.ips) == 0 {
				for b := range m.blocks {
					switch m.unknownRel(b, p.hostNetwork) {
					case matchYes:
						blocks.set(b)
					case matchMaybe:
						maybeBlocks.set(b)
					}
				}
			}
		}
		for k, ref := range m.namedRefs {
			named[k], _ = p.resolve(ref.name, ref.proto)
		}
		key.Reset()
		key.WriteString(p.ns)
		labelKeys = writeLabels(&key, p.labels, labelKeys)
		writeNamed(&key, named)
		key.WriteString(strconv.FormatBool(p.hostNetwork))
		key.WriteString(strconv.FormatBool(len(p.ips) > 0))
		blocks.writeKey(&key)
		maybeBlocks.writeKey(&key)
		g, ok := groupOf[key.String()]
		if !ok {
			g = &group{rep: p, blocks: blocks.clone(), maybeBlocks: maybeBlocks.clone(), named: slices.Clone(named)}
			groupOf[key.String()] = g
			groups = append(groups, g)
		}
		podGroup[i] = g
	}

	// Step 2: group those by what the policies do with them. Only the
	// policies of a group's namespace can select it, and only some peers can
	// match it (see peerIndex), so each group is matched against those.
	classOf := map[string]int{}
	namedOf := map[string]int{}
	idx := m.newPeerIndex()
	tierSubjects := m.tierSubjectsByNamespace()
	selected, peers, maybe := newBitset(len(m.policies)), newBitset(m.peerCount), newBitset(m.peerCount)
	for _, g := range groups {
		clear(selected)
		clear(peers)
		clear(maybe)
		var selectedBy [2][]int
		for _, pi := range m.byNamespace[g.rep.ns] { // ascending, as selectedBy must be
			pol := &m.policies[pi]
			if m.selects(pol, g.rep) {
				selected.set(pi)
				for d := range selectedBy {
					if pol.isolates[d] {
						selectedBy[d] = append(selectedBy[d], pi)
					}
				}
			}
		}
		tiers := tierSubjects(g.rep)
		for _, pi := range tiers {
			selected.set(pi)
		}
		for _, id := range idx.anyPeers {
			peers.set(id)
		}
		// mark sets the peers of the blocks the group is in, and marks
		// maybe those of the blocks it may be in.
		mark := func(byBlock [][]int) {
			for b, ids := range byBlock {
				switch {
				case g.blocks.has(b):
					for _, id := range ids {
						peers.set(id)
					}
				case g.maybeBlocks.has(b):
					for _, id := range ids {
						maybe.set(id)
					}
				}
			}
		}
		mark(idx.netPeers)
		if g.rep.hostNetwork {
			mark(idx.nodePeers)
		}
		if g.rep.hostNetwork && len(g.rep.ips) > 0 {
			for _, id := range idx.maybePeers {
				maybe.set(id)
			}
		}
		if !g.rep.hostNetwork { // no selector peer matches a hostNetwork pod
			for _, c := range idx.candidates(g.rep.ns) {
				if c.sel == nil || c.sel.Matches(g.rep.labels) {
					for _, id := range c.ids {
						peers.set(id)
					}
				}
			}
		}
		if m.ipBlockSeesPod(g.rep) {
			mark(idx.blockPeers)
		}
		key.Reset()
		writeNamed(&key, g.named)
		nk := key.String()
		named, ok := namedOf[nk]
		if !ok {
			named = len(ci.named)
			namedOf[nk] = named
			ci.named = append(ci.named, g.named)
		}
		depends := m.uncertainPod(g.rep)
		key.WriteString(strconv.FormatBool(g.rep.hostNetwork))
		key.WriteString(strconv.FormatBool(depends))
		selected.writeKey(&key)
		peers.writeKey(&key)
		maybe.writeKey(&key)
		c, ok := classOf[key.String()]
		if !ok {
			c = len(ci.classes)
			classOf[key.String()] = c
			ci.classes = append(ci.classes, podClass{
				hostNetwork: g.rep.hostNetwork,
				peers:       peers.clone(),
				named:       named,
				selectedBy:  selectedBy,
				maybe:       maybe.clone(),
				tiers:       tiers,
				depends:     depends,
			})
		}
		g.class = c
	}
	for i, g := range podGroup {
		ci.podClass[i] = g.class
		ci.classes[g.class].pods++
	}
	return ci
}

// peerIndex says which selector peers can match the pods of a namespace,
// so class building does not try every peer of the cluster on every group:
// a peer without namespaceSelector matches only pods of its policy's
// namespace, and one with a namespaceSelector only pods of the namespaces
// that selector matches, decided once per distinct selector and namespace.
type peerIndex struct {
	m *Model
	// own holds the peers without namespaceSelector, by policy namespace.
	own map[string][]*peer
	// byNSSel groups the peers with a namespaceSelector by the selector's
	// canonical form.
	byNSSel []nsSelPeers
	// blockPeers lists the ipBlock peers' ids by block index.
	blockPeers [][]int
	// netPeers lists, by block index, the address peers that match pods
	// whatever the options say (networks of the tiers); nodePeers the
	// node address peers, which match only hostNetwork pods.
	netPeers, nodePeers [][]int
	// anyPeers match every pod; maybePeers may match hostNetwork pods.
	anyPeers, maybePeers []int
	cache                map[string][]selPeers
	// podSels are the selector peers' distinct podSelectors (nil: every
	// pod), podSelOf[peer id] the index of a peer's among them: policies
	// repeat a few selectors (app=x, every pod) many times.
	podSels  []labels.Selector
	podSelOf map[int]int
}

type nsSelPeers struct {
	sel   labels.Selector
	peers []*peer
}

// selPeers are the ids of the peers sharing a podSelector (nil: every pod).
type selPeers struct {
	sel labels.Selector
	ids []int
}

func (m *Model) newPeerIndex() *peerIndex {
	idx := &peerIndex{m: m, own: map[string][]*peer{}, blockPeers: make([][]int, len(m.blocks)), cache: map[string][]selPeers{},
		netPeers: make([][]int, len(m.blocks)), nodePeers: make([][]int, len(m.blocks)), podSelOf: map[int]int{}}
	bySel := map[string]int{}
	byPodSel := map[string]int{}
	podSel := func(pr *peer) {
		key := "*"
		if pr.podSel != nil {
			// The type tells labels.Nothing from labels.Everything, which
			// both print as "".
			key = fmt.Sprintf("%T %s", pr.podSel, pr.podSel.String())
		}
		i, ok := byPodSel[key]
		if !ok {
			i = len(idx.podSels)
			byPodSel[key] = i
			idx.podSels = append(idx.podSels, pr.podSel)
		}
		idx.podSelOf[pr.id] = i
	}
	for pi := range m.policies {
		pol := &m.policies[pi]
		for d := range pol.rules {
			for ri := range pol.rules[d] {
				for k := range pol.rules[d][ri].peers {
					pr := &pol.rules[d][ri].peers[k]
					switch {
					case pr.never:
					case pr.any:
						idx.anyPeers = append(idx.anyPeers, pr.id)
					case pr.outside != "":
						idx.maybePeers = append(idx.maybePeers, pr.id)
					case pr.block >= 0 && pr.kind == PeerNodes:
						idx.nodePeers[pr.block] = append(idx.nodePeers[pr.block], pr.id)
					case pr.block >= 0 && pr.seesPods:
						idx.netPeers[pr.block] = append(idx.netPeers[pr.block], pr.id)
					case pr.block >= 0:
						idx.blockPeers[pr.block] = append(idx.blockPeers[pr.block], pr.id)
					case pr.nsSel == nil:
						podSel(pr)
						idx.own[pol.ref.Namespace] = append(idx.own[pol.ref.Namespace], pr)
					default:
						podSel(pr)
						key := pr.nsSel.String()
						i, ok := bySel[key]
						if !ok {
							i = len(idx.byNSSel)
							bySel[key] = i
							idx.byNSSel = append(idx.byNSSel, nsSelPeers{sel: pr.nsSel})
						}
						idx.byNSSel[i].peers = append(idx.byNSSel[i].peers, pr)
					}
				}
			}
		}
	}
	return idx
}

// candidates returns the selector peers that can match pods of namespace
// ns, grouped by podSelector so that each is matched once per pod group.
func (idx *peerIndex) candidates(ns string) []selPeers {
	if c, ok := idx.cache[ns]; ok {
		return c
	}
	var c []selPeers
	at := map[int]int{}
	add := func(prs []*peer) {
		for _, pr := range prs {
			s := idx.podSelOf[pr.id]
			i, ok := at[s]
			if !ok {
				i = len(c)
				at[s] = i
				c = append(c, selPeers{sel: idx.podSels[s]})
			}
			c[i].ids = append(c[i].ids, pr.id)
		}
	}
	add(idx.own[ns])
	set := idx.m.namespaceLabels(ns)
	for _, g := range idx.byNSSel {
		if g.sel.Matches(set) {
			add(g.peers)
		}
	}
	idx.cache[ns] = c
	return c
}

// writeLabels writes labels in key order with separators no valid label
// contains; keys is scratch space, returned for the next call.
func writeLabels(b *strings.Builder, set map[string]string, keys []string) []string {
	keys = keys[:0]
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(set[k])
	}
	b.WriteByte(2)
	return keys
}

func writeNamed(b *strings.Builder, named []int32) {
	for _, n := range named {
		b.WriteString(strconv.Itoa(int(n)))
		b.WriteByte(',')
	}
	b.WriteByte(2)
}

// bitset is a fixed-size set of small integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) or(o bitset) {
	for i := range o {
		b[i] |= o[i]
	}
}

func (b bitset) key() string {
	var s strings.Builder
	b.writeKey(&s)
	return s.String()
}

// writeKey writes the number of nonzero words, then each with its
// position, as varints: the encoding is prefix-free, so keys written one
// after another stay apart, and the sparse sets of peers and policies
// write little.
func (b bitset) writeKey(s *strings.Builder) {
	var buf [2 * binary.MaxVarintLen64]byte
	n := 0
	for _, w := range b {
		if w != 0 {
			n++
		}
	}
	s.Write(buf[:binary.PutUvarint(buf[:], uint64(n))])
	for i, w := range b {
		if w != 0 {
			k := binary.PutUvarint(buf[:], uint64(i))
			k += binary.PutUvarint(buf[k:], w)
			s.Write(buf[:k])
		}
	}
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }
