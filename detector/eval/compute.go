package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
	"github.com/anyanomaly/anyanomaly/detector/eval/metrics"
)

// Smooth says where the Gaussian filter runs.
type Smooth string

// The smoothing modes.
const (
	// SmoothConcat filters the concatenation of all videos of a run, as the
	// reference implementation does (scores bleed across video borders).
	SmoothConcat Smooth = "concat"
	// SmoothPerVideo filters each video on its own.
	SmoothPerVideo Smooth = "per-video"
)

// Params are the declared evaluation parameters, printed with every result.
type Params struct {
	// Segment is N, the frames per segment (method §2; 24).
	Segment int `json:"segment"`
	// Sigma is the Gaussian filter's σ in frames; 0 disables smoothing.
	Sigma float64 `json:"sigma"`
	// Weights are (α, β, γ) of the fused score.
	Weights detector.Weights `json:"weights"`
	// Smooth is where the filter runs.
	Smooth Smooth `json:"smooth"`
}

// DefaultSigma is this project's declared σ: half a default segment, fixed
// before looking at any result (the paper instead tunes σ on the test
// labels).
const DefaultSigma = 12

// DefaultParams are N = 24, σ = DefaultSigma, weights (0.5, 0.3, 0.2) and
// smoothing over the concatenation.
func DefaultParams() Params {
	return Params{Segment: 24, Sigma: DefaultSigma, Weights: detector.DefaultWeights, Smooth: SmoothConcat}
}

// Validate reports the first problem with p.
func (p Params) Validate() error {
	if p.Segment < 4 {
		return fmt.Errorf("segment length %d: want at least 4 frames", p.Segment)
	}
	if p.Sigma < 0 || math.IsNaN(p.Sigma) || math.IsInf(p.Sigma, 0) {
		return fmt.Errorf("sigma %v: want a finite number ≥ 0", p.Sigma)
	}
	if err := p.Weights.Validate(); err != nil {
		return err
	}
	if p.Smooth != SmoothConcat && p.Smooth != SmoothPerVideo {
		return fmt.Errorf("smoothing %q: want %q or %q", p.Smooth, SmoothConcat, SmoothPerVideo)
	}
	return nil
}

// Variant is one row of the paper's context ablation (Tables 1–2).
type Variant int

// The variants, in table order.
const (
	// FrameOnly scores with the key frame alone (the frame-level baseline
	// of the ablation, on key frames).
	FrameOnly Variant = iota
	// PlusPC fuses the key frame and the position context.
	PlusPC
	// PlusTC fuses the key frame and the temporal context.
	PlusTC
	// Fused fuses all three contexts: the method's score.
	Fused
	numVariants
)

// Variants lists every variant in table order.
var Variants = [numVariants]Variant{FrameOnly, PlusPC, PlusTC, Fused}

// String is the variant's table label.
func (v Variant) String() string {
	return [...]string{"frame", "+PC", "+TC", "fused"}[v]
}

// weightsFor restricts w to the variant's contexts and rescales the kept
// weights to sum to 1 (the AUC does not depend on the scale; the plotted
// curves stay in [0,1]). A variant whose kept weights are all zero falls
// back to the key frame alone.
func weightsFor(v Variant, w detector.Weights) detector.Weights {
	switch v {
	case FrameOnly:
		return detector.Weights{Alpha: 1}
	case PlusPC:
		w.Gamma = 0
	case PlusTC:
		w.Beta = 0
	}
	s := w.Alpha + w.Beta + w.Gamma
	if s == 0 {
		return detector.Weights{Alpha: 1}
	}
	return detector.Weights{Alpha: w.Alpha / s, Beta: w.Beta / s, Gamma: w.Gamma / s}
}

// VideoScores are one run's per-segment context scores for one video.
type VideoScores struct {
	// Video is the video's name.
	Video string `json:"video"`
	// Frames is the number of frames the source delivered.
	Frames int `json:"frames"`
	// Segments are the context scores of the complete segments, in order.
	Segments []detector.ContextScores `json:"segments"`
	// SegmentFrames is the N the segments were scored with (0 in files
	// written before it was recorded).
	SegmentFrames int `json:"segment_frames,omitempty"`
	// Model and Texts are the LVLM and the questions the segments were
	// scored with (empty in files written before they were recorded), so
	// that --rescore can name the model and refuse labels whose texts
	// have changed since.
	Model string   `json:"model,omitempty"`
	Texts []string `json:"texts,omitempty"`
}

// series is a run's frame-level data laid out for the protocol: the
// truncated labels and the three per-frame context scores, concatenated,
// with each video's offset.
type series struct {
	labels  []bool
	ctx     [3][]float64
	videos  []string
	offsets []int // len(videos)+1
}

// buildSeries truncates every video to whole segments, spreads each
// segment's scores over its frames and concatenates the videos in label
// order.
func buildSeries(run labels.Run, scores map[string]VideoScores, n int) (*series, error) {
	s := &series{offsets: []int{0}}
	for _, v := range run.Videos {
		vs, ok := scores[v.Name]
		if !ok {
			return nil, fmt.Errorf("run %s: no scores for video %s", run.Name, v.Name)
		}
		frames := v.Frames
		if frames == 0 {
			// "frames" absent: the source's count is known only now, so
			// the intervals are checked here rather than at parse time.
			frames = vs.Frames
			for _, iv := range v.Anomalies {
				if iv.End > frames {
					return nil, fmt.Errorf("run %s: video %s: interval [%d, %d) reaches past the %d frames the source has", run.Name, v.Name, iv.Start, iv.End, frames)
				}
			}
		}
		// --rescore with another --segment would spread each score over
		// the wrong frames, and silently: refuse it. A run scores exactly
		// the whole segments of the frames it read, which also tells files
		// that do not record N.
		if vs.SegmentFrames != 0 && vs.SegmentFrames != n {
			return nil, fmt.Errorf("run %s: video %s was scored with segments of %d frames, not %d: rescore with --segment %d", run.Name, v.Name, vs.SegmentFrames, n, vs.SegmentFrames)
		}
		if vs.Frames > 0 && len(vs.Segments) != vs.Frames/n {
			return nil, fmt.Errorf("run %s: video %s: %d segment scores for %d frames: they were not scored with segments of %d frames (--segment)", run.Name, v.Name, len(vs.Segments), vs.Frames, n)
		}
		nseg := frames / n
		if len(vs.Segments) < nseg {
			return nil, fmt.Errorf("run %s: video %s: %d labelled frames need %d segments of %d, have %d", run.Name, v.Name, frames, nseg, n, len(vs.Segments))
		}
		used := nseg * n
		s.labels = append(s.labels, v.Mask(used)...)
		for i := 0; i < nseg; i++ {
			c := vs.Segments[i]
			for range n {
				s.ctx[0] = append(s.ctx[0], c.Frame)
				s.ctx[1] = append(s.ctx[1], c.Position)
				s.ctx[2] = append(s.ctx[2], c.Temporal)
			}
		}
		s.videos = append(s.videos, v.Name)
		s.offsets = append(s.offsets, len(s.labels))
	}
	return s, nil
}

// fuse returns the per-frame weighted sum of the contexts.
func (s *series) fuse(w detector.Weights) []float64 {
	out := make([]float64, len(s.labels))
	for i := range out {
		out[i] = w.Alpha*s.ctx[0][i] + w.Beta*s.ctx[1][i] + w.Gamma*s.ctx[2][i]
	}
	return out
}

// smooth applies the Gaussian filter over the concatenation or per video.
func (s *series) smooth(x []float64, sigma float64, mode Smooth) ([]float64, error) {
	if mode == SmoothConcat {
		return metrics.GaussianFilter1D(x, sigma)
	}
	out := make([]float64, 0, len(x))
	for i := range s.videos {
		part, err := metrics.GaussianFilter1D(x[s.offsets[i]:s.offsets[i+1]], sigma)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// Score is one variant's result on one run.
type Score struct {
	// Micro is the frame-level ROC-AUC over the concatenation (the paper's
	// number), in [0,1].
	Micro float64 `json:"micro_auc"`
	// Macro is the mean of the per-video AUCs over the videos whose labels
	// hold both classes; nil when there is none.
	Macro *float64 `json:"macro_auc,omitempty"`
	// MacroVideos is how many videos entered Macro.
	MacroVideos int `json:"macro_videos"`
	// Sigma and Weights are the parameters this score was computed with.
	Sigma   float64          `json:"sigma"`
	Weights detector.Weights `json:"weights"`
}

// evaluate runs the protocol for one variant's weights: fuse, smooth,
// normalise globally, micro and macro AUC. It also returns the normalised
// per-frame curve.
func (s *series) evaluate(w detector.Weights, sigma float64, mode Smooth) (Score, []float64, error) {
	sm, err := s.smooth(s.fuse(w), sigma, mode)
	if err != nil {
		return Score{}, nil, err
	}
	curve := metrics.MinMax(sm)
	micro, err := metrics.ROCAUC(curve, s.labels)
	if err != nil {
		return Score{}, nil, err
	}
	out := Score{Micro: micro, Sigma: sigma, Weights: w}
	sum := 0.0
	for i := range s.videos {
		a, b := s.offsets[i], s.offsets[i+1]
		auc, err := metrics.ROCAUC(curve[a:b], s.labels[a:b])
		if errors.Is(err, metrics.ErrSingleClass) {
			continue
		}
		if err != nil {
			return Score{}, nil, fmt.Errorf("video %s: %w", s.videos[i], err)
		}
		sum += auc
		out.MacroVideos++
	}
	if out.MacroVideos > 0 {
		m := sum / float64(out.MacroVideos)
		out.Macro = &m
	}
	return out, curve, nil
}

// positives counts the anomalous frames kept after truncation.
func (s *series) positives() int {
	n := 0
	for _, l := range s.labels {
		if l {
			n++
		}
	}
	return n
}
