package predict

import "slices"

// TreeSHAP: exact Shapley values of a tree ensemble's raw score in
// polynomial time (Lundberg, Erion and Lee, "Consistent Individualized
// Feature Attribution for Tree Ensembles", 2018, algorithm 2). For every
// row, Base plus the expected value of each tree plus the sum of the
// values equals the raw score, which is what lets a lead's factors add up
// to its score.

type pathElem struct {
	feature   int
	zero, one float64
	weight    float64
}

// ExpectedValue is the raw score of the average training row: the base
// plus each tree's cover-weighted mean leaf value.
func (m *GBDT) ExpectedValue() float64 {
	s := m.Base
	for t := range m.Trees {
		s += m.Trees[t].expected(0)
	}
	return s
}

func (t *Tree) expected(k int) float64 {
	n := &t.Nodes[k]
	if n.Left < 0 {
		return n.Value
	}
	l, r := &t.Nodes[n.Left], &t.Nodes[n.Right]
	return (l.Cover*t.expected(n.Left) + r.Cover*t.expected(n.Right)) / n.Cover
}

// SHAP adds the Shapley values of row to phi (one per feature column).
func (m *GBDT) SHAP(row []float64, phi []float64) {
	depth := m.maxDepth()
	buf := make([]pathElem, (depth+2)*(depth+3)/2+depth+2)
	for t := range m.Trees {
		m.Trees[t].shap(row, phi, buf)
	}
}

// maxDepth is the depth of the deepest tree: known from training or from
// Parse, which sets it once, else counted. It never writes the model, which
// scorers on many goroutines share.
func (m *GBDT) maxDepth() int {
	if m.depth > 0 {
		return m.depth
	}
	return m.treeDepth()
}

func (m *GBDT) treeDepth() int {
	d := 0
	for t := range m.Trees {
		d = max(d, m.Trees[t].depthOf(0))
	}
	return d
}

func (t *Tree) depthOf(k int) int {
	n := &t.Nodes[k]
	if n.Left < 0 {
		return 0
	}
	return 1 + max(t.depthOf(n.Left), t.depthOf(n.Right))
}

func (t *Tree) shap(row, phi []float64, buf []pathElem) {
	t.recurse(row, phi, 0, buf, 0, 1, 1, -1)
}

// recurse visits node k. parent holds the unique path of the parent node
// (elements 0..depth-1; element depth is scratch); the path of node k is
// that path extended by the split that led here, written just after it in
// the same buffer, so one allocation serves the whole walk.
func (t *Tree) recurse(row, phi []float64, k int, parent []pathElem, depth int, zero, one float64, feature int) {
	path := parent[depth+1:]
	copy(path[:depth+1], parent[:depth+1])
	extend(path, depth, zero, one, feature)
	n := &t.Nodes[k]
	if n.Left < 0 {
		for i := 1; i <= depth; i++ {
			w := unwoundSum(path, depth, i)
			e := &path[i]
			phi[e.feature] += w * (e.one - e.zero) * n.Value
		}
		return
	}
	hot, cold := n.Left, n.Right
	if row[n.Feature] > n.Threshold {
		hot, cold = cold, hot
	}
	hotZero := t.Nodes[hot].Cover / n.Cover
	coldZero := t.Nodes[cold].Cover / n.Cover
	inZero, inOne := 1.0, 1.0
	pi := 0
	for ; pi <= depth; pi++ {
		if path[pi].feature == n.Feature {
			break
		}
	}
	if pi <= depth {
		inZero, inOne = path[pi].zero, path[pi].one
		unwind(path, depth, pi)
		depth--
	}
	t.recurse(row, phi, hot, path, depth+1, hotZero*inZero, inOne, n.Feature)
	t.recurse(row, phi, cold, path, depth+1, coldZero*inZero, 0, n.Feature)
}

func extend(path []pathElem, depth int, zero, one float64, feature int) {
	path[depth] = pathElem{feature: feature, zero: zero, one: one}
	if depth == 0 {
		path[depth].weight = 1
	}
	d1 := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float64(i+1) / d1
		path[i].weight = zero * path[i].weight * float64(depth-i) / d1
	}
}

func unwind(path []pathElem, depth, pi int) {
	one, zero := path[pi].one, path[pi].zero
	next := path[depth].weight
	d1 := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * d1 / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(depth-i)/d1
		} else {
			path[i].weight = path[i].weight * d1 / (zero * float64(depth-i))
		}
	}
	for i := pi; i < depth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

func unwoundSum(path []pathElem, depth, pi int) float64 {
	one, zero := path[pi].one, path[pi].zero
	next := path[depth].weight
	d1 := float64(depth + 1)
	total := 0.0
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * d1 / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(depth-i)/d1
		} else if zero != 0 {
			total += path[i].weight / zero / (float64(depth-i) / d1)
		}
	}
	return total
}

// Precomputed TreeSHAP. For one leaf, the recursive algorithm's result
// depends on a row only through which of the leaf's path features the row
// agrees with (the "one" fractions are 0 or 1). A leaf with d distinct
// features on its path therefore has 2^d possible contributions, which are
// computed once per model; scoring a row then costs one comparison per
// inner node and one table lookup per leaf instead of O(depth²) work per
// leaf (the idea of Yang's Fast TreeSHAP v2). Tables that would exceed
// maxShapTable fall back to the recursive algorithm.

// maxShapTable bounds the values in the precomputed tables of one model.
const maxShapTable = 8 << 20

// shapTree holds one tree's leaf tables in flat arrays (leaf li's entries
// are [start[li], start[li+1]) of each array), so that scoring walks
// memory in order.
type shapTree struct {
	// conds are the splits on each leaf's path: the node, the direction
	// taken, and the slot in feats of the node's feature.
	condStart []int32
	conds     []shapCond
	// feats are the distinct features on each leaf's path.
	featStart []int32
	feats     []int32
	// vals[valStart[li]+mask*d+j] is the contribution to feature slot j
	// of a leaf with d distinct features when the row agrees with exactly
	// the features whose bits are set in mask. Single precision halves the
	// memory a lead's walk touches; factors are shown to two decimals.
	valStart []int32
	vals     []float32
	// Per node: the slot of an inner node's feature among the distinct
	// features on the path to it (newSlot when the path meets the feature
	// for the first time there), and the leaf index of a leaf. Slots are
	// numbered in order of first appearance, the same for every leaf below
	// a node, so one walk down the tree builds each leaf's mask.
	slot    []uint8
	newSlot []bool
	leafOf  []int32
	// flat is the tree in depth-first order with what the walk needs at
	// each node, so that a row is scored by one loop without calls.
	flat []flatNode
}

type flatNode struct {
	threshold float64
	feature   int32
	leaf      int32 // leaf index, -1 for an inner node
	depth     uint8
	// left: the node is its parent's left child; pslot, pnew: the
	// parent's feature slot and whether it is new there.
	left  bool
	pslot uint8
	pnew  bool
}

// maxFlatDepth bounds the depth of trees walked with flat tables.
const maxFlatDepth = 63

func (st *shapTree) flatten(t *Tree) bool {
	var add func(k int, depth int, left bool, parent int) bool
	add = func(k int, depth int, left bool, parent int) bool {
		if depth > maxFlatDepth {
			return false
		}
		n := &t.Nodes[k]
		fn := flatNode{depth: uint8(depth), left: left, leaf: -1}
		if parent >= 0 {
			fn.pslot, fn.pnew = st.slot[parent], st.newSlot[parent]
		}
		if n.Left < 0 {
			fn.leaf = st.leafOf[k]
			st.flat = append(st.flat, fn)
			return true
		}
		fn.feature, fn.threshold = int32(n.Feature), n.Threshold
		st.flat = append(st.flat, fn)
		return add(n.Left, depth+1, true, k) && add(n.Right, depth+1, false, k)
	}
	return add(0, 0, false, -1)
}

type shapCond struct {
	node int32
	left bool
	slot uint8
}

// shapTables precomputes every tree's leaf tables, or returns nil when
// they would be too large.
func (m *GBDT) shapTables() []shapTree {
	total := 0
	out := make([]shapTree, len(m.Trees))
	for ti := range m.Trees {
		t := &m.Trees[ti]
		st := &out[ti]
		st.slot = make([]uint8, len(t.Nodes))
		st.newSlot = make([]bool, len(t.Nodes))
		st.leafOf = make([]int32, len(t.Nodes))
		var walk func(k int, path []shapCond) bool
		walk = func(k int, path []shapCond) bool {
			n := &t.Nodes[k]
			st.leafOf[k] = -1
			if n.Left >= 0 {
				var seen []int
				for _, c := range path {
					if f := t.Nodes[c.node].Feature; !slices.Contains(seen, f) {
						seen = append(seen, f)
					}
				}
				if i := slices.Index(seen, n.Feature); i >= 0 {
					st.slot[k] = uint8(i)
				} else {
					st.slot[k], st.newSlot[k] = uint8(len(seen)), true
				}
				l := append(path, shapCond{node: int32(k), left: true})
				if !walk(n.Left, l) {
					return false
				}
				r := append(path[:len(path):len(path)], shapCond{node: int32(k), left: false})
				return walk(n.Right, r)
			}
			st.leafOf[k] = int32(len(st.featStart) - 1)
			if st.condStart == nil {
				st.leafOf[k] = 0
				st.condStart, st.featStart, st.valStart = []int32{0}, []int32{0}, []int32{0}
			}
			c0, f0 := len(st.conds), len(st.feats)
			st.conds = append(st.conds, path...)
			var zeros []float64
			for c := c0; c < len(st.conds); c++ {
				nd := &t.Nodes[st.conds[c].node]
				child := nd.Right
				if st.conds[c].left {
					child = nd.Left
				}
				frac := t.Nodes[child].Cover / nd.Cover
				slot := -1
				for j, f := range st.feats[f0:] {
					if int(f) == nd.Feature {
						slot = j
					}
				}
				if slot < 0 {
					slot = len(st.feats) - f0
					st.feats = append(st.feats, int32(nd.Feature))
					zeros = append(zeros, 1)
				}
				zeros[slot] *= frac
				st.conds[c].slot = uint8(slot)
			}
			feats := st.feats[f0:]
			d := len(feats)
			if d > 16 {
				return false
			}
			total += (1 << d) * d
			if total > maxShapTable {
				return false
			}
			v0 := len(st.vals)
			st.vals = append(st.vals, make([]float32, (1<<d)*d)...)
			vals := st.vals[v0:]
			path2 := make([]pathElem, d+1)
			for mask := 0; mask < 1<<d; mask++ {
				clear(path2)
				extend(path2, 0, 1, 1, -1)
				for j := 0; j < d; j++ {
					one := float64(mask >> j & 1)
					extend(path2, j+1, zeros[j], one, int(feats[j]))
				}
				for j := 0; j < d; j++ {
					w := unwoundSum(path2, d, j+1)
					e := &path2[j+1]
					vals[mask*d+j] = float32(w * (e.one - e.zero) * n.Value)
				}
			}
			st.condStart = append(st.condStart, int32(len(st.conds)))
			st.featStart = append(st.featStart, int32(len(st.feats)))
			st.valStart = append(st.valStart, int32(len(st.vals)))
			return true
		}
		if !walk(0, nil) || !st.flatten(t) {
			return nil
		}
	}
	return out
}

// shapFast adds the Shapley values of row to phi with the precomputed
// tables, in one walk down each tree.
func (m *GBDT) shapFast(tables []shapTree, row, phi []float64) {
	var masks [maxFlatDepth + 1]int32
	var dirs [maxFlatDepth + 1]bool
	for ti := range tables {
		st := &tables[ti]
		for i := range st.flat {
			n := &st.flat[i]
			d := n.depth
			if d > 0 {
				mask := masks[d-1]
				bit := int32(1) << n.pslot
				if n.left == dirs[d-1] {
					if n.pnew {
						mask |= bit
					}
				} else {
					mask &^= bit
				}
				masks[d] = mask
			}
			if n.leaf < 0 {
				dirs[d] = row[n.feature] <= n.threshold
				continue
			}
			li := n.leaf
			f0, f1 := st.featStart[li], st.featStart[li+1]
			vals := st.vals[st.valStart[li]+masks[d]*(f1-f0):]
			for j, f := range st.feats[f0:f1] {
				phi[f] += float64(vals[j])
			}
		}
	}
}
