package relevance

import (
	"encoding/binary"
	"sync"
)

// The background median runs a sorting network over whole frames at once:
// each comparator is a compare-exchange of two frames' grey grids, done on
// eight cells per 64-bit word. Pruned to the comparators the middle outputs
// depend on, this is several times cheaper than sorting every cell's values
// one cell at a time.

// maxNetworkFrames bounds the segment length that uses a network; longer
// segments sort per cell.
const maxNetworkFrames = 64

// networks caches the pruned median network per frame count.
var networks sync.Map // int → []comparator

type comparator struct{ lo, hi int32 }

// medianNetwork returns Batcher's odd–even merge sort network for n inputs
// (inputs past n are +∞ and their comparators are dropped), pruned to the
// comparators that the middle output(s) depend on.
func medianNetwork(n int) []comparator {
	if v, ok := networks.Load(n); ok {
		return v.([]comparator)
	}
	var all []comparator
	for p := 1; p < n; p *= 2 {
		for k := p; k >= 1; k /= 2 {
			for j := k % p; j+k < n; j += 2 * k {
				for i := 0; i < k && i+j+k < n; i++ {
					if (i+j)/(2*p) == (i+j+k)/(2*p) {
						all = append(all, comparator{int32(i + j), int32(i + j + k)})
					}
				}
			}
		}
	}
	need := make([]bool, n)
	need[n/2] = true
	if n%2 == 0 {
		need[n/2-1] = true
	}
	var kept []comparator
	for i := len(all) - 1; i >= 0; i-- {
		c := all[i]
		if need[c.lo] || need[c.hi] {
			need[c.lo], need[c.hi] = true, true
			kept = append(kept, c)
		}
	}
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	networks.Store(n, kept)
	return kept
}

const (
	hiBits  = 0x8080808080808080
	loBits  = 0x7F7F7F7F7F7F7F7F
	lsbBits = 0x0101010101010101
)

// minMax8 is a compare-exchange of eight unsigned bytes at once. Per byte,
// t's top bit says whether a's low seven bits are ≥ b's (the subtraction
// cannot borrow across bytes), and the top bits of a and b settle the rest.
func minMax8(a, b uint64) (lo, hi uint64) {
	t := (a | hiBits) - (b & loBits)
	ge := (a&^b | ^(a^b)&t) & hiBits
	mask := (ge >> 7) * 0xFF
	hi = a&mask | b&^mask
	return a ^ b ^ hi, hi
}

// medianNet fills s.bg like median, with the network on s.words.
func (s *motionSegment) medianNet(cells int) {
	n := s.n
	wpf := (cells + 7) / 8 // words per frame
	s.words = grow(s.words, n*wpf)
	var pad [8]byte
	for i := 0; i < n; i++ {
		g := s.grey[i*cells : (i+1)*cells]
		w := s.words[i*wpf : (i+1)*wpf]
		for k := range w {
			if 8*k+8 <= len(g) {
				w[k] = binary.LittleEndian.Uint64(g[8*k : 8*k+8])
				continue
			}
			pad = [8]byte{}
			copy(pad[:], g[8*k:])
			w[k] = binary.LittleEndian.Uint64(pad[:])
		}
	}
	for _, c := range medianNetwork(n) {
		a := s.words[int(c.lo)*wpf : int(c.lo)*wpf+wpf]
		b := s.words[int(c.hi)*wpf : int(c.hi)*wpf+wpf]
		for k := range a {
			a[k], b[k] = minMax8(a[k], b[k])
		}
	}
	mid := s.words[(n/2)*wpf : (n/2)*wpf+wpf]
	if n%2 == 0 {
		// Per-byte mean of the two middle values, rounded up:
		// (x|y) − ((x^y)>>1) without carries between bytes.
		below := s.words[(n/2-1)*wpf : (n/2-1)*wpf+wpf]
		for k, y := range mid {
			x := below[k]
			mid[k] = (x | y) - ((x^y)>>1)&loBits
		}
	}
	for k, v := range mid {
		binary.LittleEndian.PutUint64(pad[:], v)
		copy(s.bg[8*k:min(8*k+8, cells)], pad[:])
	}
}
