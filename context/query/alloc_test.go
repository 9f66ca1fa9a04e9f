//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package query_test

import "testing"

// TestSteadyStateAllocations: once the pools are warm, a Build + Release
// allocates only the per-frame score slice and the Images header.
func TestSteadyStateAllocations(t *testing.T) {
	frames := benchScene().Frames()
	b := newBuilder(t)
	allocs := testing.AllocsPerRun(20, func() {
		im, err := b.Build(frames, "x")
		if err != nil {
			t.Fatal(err)
		}
		b.Release(im)
	})
	if allocs > 2 {
		t.Errorf("%.1f allocations per Build, want ≤ 2", allocs)
	}
}
