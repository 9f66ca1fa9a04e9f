package offline

import (
	"testing"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/stream"
)

// TestFrameScoresCoverFramesBetweenAnalysedOnes: with --sample-fps 5 on a
// 25 fps file and N = 24, segment 0 analyses source frames 0, 5, …, 115
// and segment 1 starts at 120. Frames 116–119 lie between analysed frames
// and take segment 0's score; they once read 0, a false dip inside an
// event. Overlapping segments keep the maximum; trailing frames past the
// last segment stay unscored.
func TestFrameScoresCoverFramesBetweenAnalysedOnes(t *testing.T) {
	c := func(v float64) detector.ContextScores {
		return detector.ContextScores{Frame: v, Position: v, Temporal: v}
	}
	tests := []struct {
		name   string
		scores []detector.SegmentScore
		want   map[int]float64 // frame → fused score
		scored int64
	}{
		{"sampled", []detector.SegmentScore{
			{Seq: 0, FirstFrame: 0, LastFrame: 115, Score: 0.9, Contexts: c(0.9)},
			{Seq: 1, FirstFrame: 120, LastFrame: 235, Score: 0.4, Contexts: c(0.4)},
		}, map[int]float64{0: 0.9, 115: 0.9, 116: 0.9, 119: 0.9, 120: 0.4, 235: 0.4}, 236},
		{"stride beyond N leaves the skipped frames unscored", []detector.SegmentScore{
			{Seq: 0, FirstFrame: 0, LastFrame: 115, Score: 0.9, Contexts: c(0.9)},
			{Seq: 1, FirstFrame: 240, LastFrame: 355, Score: 0.4, Contexts: c(0.4)},
		}, map[int]float64{115: 0.9, 116: 0, 239: 0, 240: 0.4}, 356},
		{"overlapping", []detector.SegmentScore{
			{Seq: 0, FirstFrame: 0, LastFrame: 23, Score: 0.2, Contexts: c(0.2)},
			{Seq: 1, FirstFrame: 12, LastFrame: 35, Score: 0.7, Contexts: c(0.7)},
		}, map[int]float64{0: 0.2, 11: 0.2, 12: 0.7, 23: 0.7, 35: 0.7}, 36},
	}
	// A file whose demuxer reports no frame rate is read as 25 fps
	// (stream.ReadFile), and its sampling gaps are filled the same way.
	t.Run("unknown frame rate", func(t *testing.T) {
		r := newResult(Config{SegmentFrames: 24, Stride: 24, SampleFPS: 5}, stream.FileInfo{Frames: 400}, tests[0].scores, "m", detector.ScorerStats{})
		if got := r.FrameScores.Fused[117]; got != 0.9 {
			t.Fatalf("frame 117: %g, want 0.9", got)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newResult(Config{SegmentFrames: 24, Stride: 24, SampleFPS: 5}, stream.FileInfo{Frames: 400, FPS: 25}, tc.scores, "m", detector.ScorerStats{})
			if r.FramesScored != tc.scored || int64(len(r.FrameScores.Fused)) != tc.scored {
				t.Fatalf("frames scored %d (series %d), want %d", r.FramesScored, len(r.FrameScores.Fused), tc.scored)
			}
			for f, want := range tc.want {
				if got := r.FrameScores.Fused[f]; got != want || r.FrameScores.Temporal[f] != want {
					t.Errorf("frame %d: fused %g temporal %g, want %g", f, got, r.FrameScores.Temporal[f], want)
				}
			}
		})
	}
}
