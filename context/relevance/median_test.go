package relevance

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMinMax8 checks the byte-parallel compare-exchange on every pair of
// byte values (in all eight lanes).
func TestMinMax8(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			x := uint64(a) * lsbBits
			y := uint64(b) * lsbBits // same value in every lane
			lo, hi := minMax8(x, y)
			if lo != uint64(min(a, b))*lsbBits || hi != uint64(max(a, b))*lsbBits {
				t.Fatalf("minMax8(%d, %d) = %x, %x", a, b, lo, hi)
			}
		}
	}
	// Lanes are independent.
	lo, hi := minMax8(0x00FF7F80_01FE0000, 0xFF00807F_FE010000)
	if lo != 0x00007F7F_01010000 || hi != 0xFFFF8080_FEFE0000 {
		t.Errorf("mixed lanes: %x %x", lo, hi)
	}
}

// TestMedianNetwork compares the network median (and, past
// maxNetworkFrames, the per-cell sort) with a plain sort for every frame
// count, on random and on nearly constant data, and on cell counts that are
// not multiples of eight.
func TestMedianNetwork(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= maxNetworkFrames+3; n++ {
		for _, cells := range []int{1, 7, 8, 45, 3600} {
			s := &motionSegment{n: n}
			s.grey = make([]uint8, n*cells)
			for i := range s.grey {
				if n%3 == 0 {
					s.grey[i] = uint8(100 + rng.IntN(3)) // static-looking
				} else {
					s.grey[i] = uint8(rng.IntN(256))
				}
			}
			s.bg = make([]uint8, cells)
			if n <= maxNetworkFrames {
				s.medianNet(cells)
			} else {
				s.tmp = make([]uint8, n)
				s.median(cells)
			}
			vals := make([]int, n)
			for c := 0; c < cells; c++ {
				for i := range vals {
					vals[i] = int(s.grey[i*cells+c])
				}
				slices.Sort(vals)
				want := vals[n/2]
				if n%2 == 0 {
					want = (vals[n/2-1] + vals[n/2] + 1) / 2
				}
				if int(s.bg[c]) != want {
					t.Fatalf("n=%d cells=%d cell %d: median %d, want %d", n, cells, c, s.bg[c], want)
				}
			}
		}
	}
}
