package offline

import (
	"encoding/json"
	"io"
	"math"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/stream"
)

// Result is what `anyanomaly detect` writes as JSON (format documented in
// docs/detector.md).
type Result struct {
	// Path is the scored video or folder.
	Path string `json:"path"`
	// Model is the LVLM that answered.
	Model string `json:"model"`
	// Texts are the texts scored.
	Texts []string `json:"texts"`
	// Weights are the fusion weights used.
	Weights detector.Weights `json:"weights"`
	// FPS is the source frame rate.
	FPS float64 `json:"fps"`
	// Frames counts every source frame; FramesScored those covered by a
	// segment (trailing frames that fill no segment are not scored).
	Frames       int64 `json:"frames"`
	FramesScored int64 `json:"frames_scored"`
	// SegmentFrames and Stride are N and the stride, in analysed frames.
	SegmentFrames int `json:"segment_frames"`
	Stride        int `json:"stride"`
	// Segments are the raw segment scores in order.
	Segments []Segment `json:"segments"`
	// FrameScores give every source frame 0..FramesScored-1 the score of
	// its segment (the maximum when overlapping segments cover it).
	FrameScores FrameScores `json:"frame_scores"`
	// LVLMCalls counts questions sent to the model by this run; CacheHits
	// those answered from the cache.
	LVLMCalls     uint64 `json:"lvlm_calls"`
	CacheHits     uint64 `json:"cache_hits"`
	ParseFailures uint64 `json:"parse_failures"`
}

// Segment is one segment's result.
type Segment struct {
	Seq        uint64                  `json:"segment"`
	FirstFrame int64                   `json:"first_frame"`
	LastFrame  int64                   `json:"last_frame"`
	Score      float64                 `json:"score"`
	Contexts   detector.ContextScores  `json:"contexts"`
	Reasons    detector.ContextReasons `json:"reasons"`
}

// FrameScores are per-frame series, all of length FramesScored.
type FrameScores struct {
	Fused    []float64 `json:"fused"`
	Frame    []float64 `json:"frame"`
	Position []float64 `json:"position"`
	Temporal []float64 `json:"temporal"`
}

func newResult(cfg Config, info stream.FileInfo, scores []detector.SegmentScore, model string, st detector.ScorerStats) *Result {
	r := &Result{
		Path: cfg.Path, Model: model, Texts: cfg.Texts, Weights: cfg.Weights, FPS: info.FPS, Frames: info.Frames,
		SegmentFrames: cfg.SegmentFrames, Stride: cfg.Stride,
		LVLMCalls: st.Calls, CacheHits: st.CacheHits, ParseFailures: st.ParseFailures,
		Segments: make([]Segment, 0, len(scores)),
	}
	for _, s := range scores {
		r.Segments = append(r.Segments, Segment{Seq: s.Seq, FirstFrame: s.FirstFrame, LastFrame: s.LastFrame, Score: s.Score, Contexts: s.Contexts, Reasons: s.Reasons})
		r.FramesScored = max(r.FramesScored, s.LastFrame+1)
	}
	n := r.FramesScored
	r.FrameScores = FrameScores{Fused: make([]float64, n), Frame: make([]float64, n), Position: make([]float64, n), Temporal: make([]float64, n)}
	// With --sample-fps, analysed frames are up to step source frames
	// apart, and the frames after a segment's last analysed frame, up to
	// the next segment's first, lie between analysed frames too: they take
	// this segment's score. A wider gap (--stride beyond N, a window
	// dropped at a resolution change) was never looked at and stays 0.
	fps := info.FPS
	if fps <= 0 {
		fps = 25 // as the reader assumes (stream.ReadFile)
	}
	step := int64(1)
	if cfg.SampleFPS > 0 && fps > cfg.SampleFPS {
		step = int64(math.Ceil(fps / cfg.SampleFPS))
	}
	for k, s := range r.Segments {
		last := s.LastFrame
		if k+1 < len(r.Segments) {
			if next := r.Segments[k+1].FirstFrame; next-s.LastFrame <= step {
				last = max(last, next-1)
			}
		}
		for i := s.FirstFrame; i <= last && i < n; i++ {
			r.FrameScores.Fused[i] = max(r.FrameScores.Fused[i], s.Score)
			r.FrameScores.Frame[i] = max(r.FrameScores.Frame[i], s.Contexts.Frame)
			r.FrameScores.Position[i] = max(r.FrameScores.Position[i], s.Contexts.Position)
			r.FrameScores.Temporal[i] = max(r.FrameScores.Temporal[i], s.Contexts.Temporal)
		}
	}
	return r
}

// WriteJSON writes r, indented.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
