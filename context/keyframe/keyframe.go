// Package keyframe picks a segment's key frame and its four temporal key
// frames from per-frame relevance (method §4, the paper's "CLIP →
// grouping").
package keyframe

import (
	"fmt"
	"math"
)

// Selection is the outcome of Select, with the numbers that explain it.
type Selection struct {
	// Key is the index of the most relevant frame (the first one on ties).
	Key int `json:"key"`
	// Temporal are the four temporal key frames in time order.
	Temporal [4]int `json:"temporal"`
	// GroupSize is g = ⌊N/4⌋, the spacing of the temporal key frames.
	GroupSize int `json:"group_size"`
	// Offset is the index of the first temporal key frame.
	Offset int `json:"offset"`
}

// MinFrames is the smallest segment Select accepts: with fewer than four
// frames there are not four distinct temporal key frames to pick.
const MinFrames = 4

// Select picks the key frame k = argmax(scores) and the temporal key frames.
//
// With N = len(scores) and g = ⌊N/4⌋ the segment is cut into four groups of
// g frames and the temporal key frames are k mod g + j·g, j = 0..3: the same
// offset in every group, so they are evenly spaced and include k.
//
// When N is not a multiple of 4, the r = N mod 4 frames after the fourth
// group (indices 4g..N−1) belong to no group. If k falls among them, the
// groups are slid to end at k instead: the temporal key frames are
// k−3g, k−2g, k−g, k. They stay evenly spaced by g, in range, and include k.
//
// Fewer than MinFrames frames, or a NaN score, is an error.
func Select(scores []float64) (Selection, error) {
	n := len(scores)
	if n < MinFrames {
		return Selection{}, fmt.Errorf("keyframe: %d frames, need at least %d", n, MinFrames)
	}
	k := 0
	for i, v := range scores {
		if math.IsNaN(v) {
			return Selection{}, fmt.Errorf("keyframe: score of frame %d is NaN", i)
		}
		if v > scores[k] {
			k = i
		}
	}
	g := n / 4
	off := k % g
	if k >= 4*g {
		off = k - 3*g
	}
	sel := Selection{Key: k, GroupSize: g, Offset: off}
	for j := range sel.Temporal {
		sel.Temporal[j] = off + j*g
	}
	return sel, nil
}
