// Package eval is the benchmark protocol of method §9: it scores the test
// videos of a labelled dataset segment by segment through the real detector
// (or any SegmentScorer), then computes the paper's frame-level numbers per
// run and per context variant (Tables 1–2), with fixed declared parameters
// and, optionally, the reference implementation's grid search on the test
// labels, clearly labelled as such.
//
// `anyanomaly eval` is a thin wrapper around Evaluator; docs/eval.md is the
// user's guide.
package eval

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// Source delivers the complete segments of one test video: segmentFrames
// consecutive frames each, every frame of the video, a trailing partial
// segment not delivered. It returns the video's total frame count. fn may
// call Release on a segment once it no longer needs its images; a source
// that recycles images may then reuse them for later frames.
type Source interface {
	Read(ctx context.Context, video string, segmentFrames int, fn func(*segment.Segment) error) (frames int, err error)
}

// SegmentScorer scores one segment of a video for a set of texts: per
// context, the maximum over the texts.
type SegmentScorer interface {
	ScoreSegment(ctx context.Context, video string, seg *segment.Segment, texts []string) (detector.ContextScores, error)
}

// CallCounter is implemented by scorers that count their LVLM calls; the
// report then carries the counts.
type CallCounter interface {
	// CallStats returns the questions sent to the LVLM and those answered
	// from the cache.
	CallStats() (calls, cacheHits uint64)
}

// Progress follows the scoring: one step per (segment, run).
type Progress interface {
	// Start announces the total number of steps (-1 when unknown).
	Start(total int)
	// Add reports n more steps done.
	Add(n int)
	// Finish ends the display.
	Finish()
}

// Config configures an evaluation.
type Config struct {
	// Dataset names the dataset in reports.
	Dataset string
	// Labels are the runs to evaluate.
	Labels *labels.Set
	// Params are the declared parameters.
	Params Params
	// Oracle also runs the reference implementation's grid search on the
	// test labels and reports it separately.
	Oracle bool
	// Model names the LVLM in reports.
	Model string
	// Concurrency is how many videos are scored at once (default 1); match
	// the endpoint's parallel slots (OLLAMA_NUM_PARALLEL).
	Concurrency int
}

// Deps are the evaluator's collaborators.
type Deps struct {
	// Source reads the videos.
	Source Source
	// Scorer scores segments.
	Scorer SegmentScorer
	// Progress, when set, follows the scoring.
	Progress Progress
	// Logger receives one line per video (default: discard).
	Logger *slog.Logger
}

// Evaluator runs the protocol.
type Evaluator struct {
	cfg  Config
	deps Deps
}

// New checks cfg and deps; it does no I/O.
func New(cfg Config, deps Deps) (*Evaluator, error) {
	if cfg.Labels == nil || len(cfg.Labels.Runs) == 0 {
		return nil, fmt.Errorf("eval: no runs to evaluate")
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if deps.Source == nil || deps.Scorer == nil {
		return nil, fmt.Errorf("eval: a source and a scorer are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dataset == "" {
		cfg.Dataset = cfg.Labels.Dataset
	}
	return &Evaluator{cfg: cfg, deps: deps}, nil
}

// Evaluate scores every video of every run and computes the report.
func (e *Evaluator) Evaluate(ctx context.Context) (*Report, error) {
	start := time.Now()
	scores, err := e.collect(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := Compute(e.cfg, scores)
	if err != nil {
		return nil, err
	}
	if c, ok := e.deps.Scorer.(CallCounter); ok {
		rep.LVLMCalls, rep.CacheHits = c.CallStats()
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// collect scores every segment of every video, once per run that contains
// the video, Concurrency videos at a time. The result maps run name → video name → scores.
func (e *Evaluator) collect(ctx context.Context) (map[string]map[string]VideoScores, error) {
	n := e.cfg.Params.Segment
	runsOf := map[string][]labels.Run{}
	total := 0
	for _, r := range e.cfg.Labels.Runs {
		for _, v := range r.Videos {
			runsOf[v.Name] = append(runsOf[v.Name], r)
			if v.Frames == 0 || total < 0 {
				total = -1
			} else {
				total += v.Frames / n
			}
		}
	}
	if p := e.deps.Progress; p != nil {
		p.Start(total)
		defer p.Finish()
	}
	out := map[string]map[string]VideoScores{}
	for _, r := range e.cfg.Labels.Runs {
		out[r.Name] = map[string]VideoScores{}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, e.cfg.Concurrency))
	for _, name := range e.cfg.Labels.VideoNames() {
		runs := runsOf[name]
		g.Go(func() error {
			per, err := e.scoreVideo(gctx, name, runs)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i, r := range runs {
				out[r.Name][name] = per[i]
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// scoreVideo reads one video and scores its segments for every run that
// contains it, in the runs' order.
func (e *Evaluator) scoreVideo(ctx context.Context, name string, runs []labels.Run) ([]VideoScores, error) {
	n := e.cfg.Params.Segment
	v, _ := runs[0].Video(name)
	labelled := v.Frames // labels.Set guarantees one count per video
	want := -1           // segments needed; -1: all the source has
	if labelled > 0 {
		want = labelled / n
	}
	per := make([][]detector.ContextScores, len(runs))
	next := uint64(0)
	t0 := time.Now()
	frames, err := e.deps.Source.Read(ctx, name, n, func(seg *segment.Segment) error {
		// Scores keep no image, so the source may reuse them for later
		// frames (a no-op for sources that do not recycle).
		defer seg.Release()
		if seg.Seq != next {
			return fmt.Errorf("segment %d arrived when %d was expected", seg.Seq, next)
		}
		next++
		if len(seg.Frames) != n {
			return fmt.Errorf("segment %d has %d frames, want %d", seg.Seq, len(seg.Frames), n)
		}
		if first := seg.Frames[0].SourceIndex; first != int64(seg.Seq)*int64(n) {
			return fmt.Errorf("segment %d starts at source frame %d, want %d (frames must not be sampled or skipped)", seg.Seq, first, int64(seg.Seq)*int64(n))
		}
		if want >= 0 && int(seg.Seq) >= want {
			return nil // frames past the labels: nothing to score
		}
		for i, r := range runs {
			c, err := e.deps.Scorer.ScoreSegment(ctx, name, seg, r.Texts)
			if err != nil {
				return fmt.Errorf("run %s: %w", r.Name, err)
			}
			per[i] = append(per[i], c)
			if p := e.deps.Progress; p != nil {
				p.Add(1)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eval %s: video %s: %w", e.cfg.Dataset, name, err)
	}
	if labelled > 0 && frames != labelled {
		return nil, fmt.Errorf("eval %s: video %s: the source has %d frames but the labels cover %d; check --root and the dataset version", e.cfg.Dataset, name, frames, labelled)
	}
	out := make([]VideoScores, len(runs))
	for i := range runs {
		out[i] = VideoScores{Video: name, Frames: frames, Segments: per[i], SegmentFrames: n,
			Model: e.cfg.Model, Texts: slices.Clone(runs[i].Texts)}
	}
	e.deps.Logger.Info("video scored", "dataset", e.cfg.Dataset, "video", name, "frames", frames, "runs", len(runs), "elapsed", time.Since(t0).Round(time.Millisecond))
	return out, nil
}

// Compute runs the numeric part of the protocol on collected scores (run →
// video → scores): per run and variant the micro and macro AUC with the
// declared parameters, the oracle search when cfg.Oracle is set, and the
// action, appearance and overall averages.
func Compute(cfg Config, scores map[string]map[string]VideoScores) (*Report, error) {
	if cfg.Labels == nil || len(cfg.Labels.Runs) == 0 {
		return nil, fmt.Errorf("eval: no runs to evaluate")
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	rep := &Report{
		Dataset:      cfg.Dataset,
		LabelsSource: cfg.Labels.Source,
		Model:        cfg.Model,
		Params:       cfg.Params,
		Runs:         make([]RunResult, len(cfg.Labels.Runs)),
		Segments:     scores,
		curves:       map[string]*runCurves{},
	}
	if rep.Dataset == "" {
		rep.Dataset = cfg.Labels.Dataset
	}
	p := cfg.Params
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	curves := make([]*runCurves, len(cfg.Labels.Runs))
	for i, run := range cfg.Labels.Runs {
		g.Go(func() error {
			s, err := buildSeries(run, scores[run.Name], p.Segment)
			if err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			res := RunResult{
				Run: run.Name, Texts: run.Texts, Kind: run.Kind, Multi: run.Multi,
				Videos: len(run.Videos), Frames: len(s.labels), Positives: s.positives(),
			}
			if pos := res.Positives; pos == 0 || pos == res.Frames {
				// E.g. C-ShT's stroller-running: one video, anomalous from
				// the first frame to the last. No AUC exists; say so and
				// keep the other runs.
				res.Undefined = fmt.Sprintf("no AUC: all %d frames are %s", res.Frames, map[bool]string{true: "anomalous", false: "normal"}[pos > 0])
				rep.Runs[i] = res
				return nil
			}
			rc := &runCurves{series: s}
			for _, v := range Variants {
				sc, curve, err := s.evaluate(weightsFor(v, p.Weights), p.Sigma, p.Smooth)
				if err != nil {
					return fmt.Errorf("eval: run %s (%s): %w", run.Name, v, err)
				}
				res.Scores.set(v, sc)
				rc.curves[v] = curve
			}
			if cfg.Oracle {
				best, err := s.oracle(p.Smooth)
				if err != nil {
					return fmt.Errorf("eval: run %s: oracle search: %w", run.Name, err)
				}
				var o VariantScores
				for _, v := range Variants {
					o.set(v, best[v])
				}
				res.Oracle = &o
			}
			rep.Runs[i] = res
			curves[i] = rc
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, run := range cfg.Labels.Runs {
		if curves[i] != nil {
			rep.curves[run.Name] = curves[i]
		}
	}
	rep.Averages = averages(rep.Runs, false)
	if cfg.Oracle {
		rep.OracleAverages = averages(rep.Runs, true)
	}
	return rep, nil
}

// averages groups the single-type runs: action, appearance, and overall =
// the mean over all single-type runs (the paper's "overall").
func averages(runs []RunResult, oracle bool) []Average {
	groups := []struct {
		name string
		keep func(RunResult) bool
	}{
		{"action", func(r RunResult) bool { return r.Kind == labels.KindAction }},
		{"appearance", func(r RunResult) bool { return r.Kind == labels.KindAppearance }},
		{"overall", func(r RunResult) bool { return true }},
	}
	var out []Average
	for _, g := range groups {
		var sum VariantAUCs
		n := 0
		for _, r := range runs {
			if r.Multi || r.Undefined != "" || !g.keep(r) {
				continue
			}
			vs := r.Scores
			if oracle {
				vs = *r.Oracle
			}
			for _, v := range Variants {
				sum.set(v, sum.Get(v)+vs.Get(v).Micro)
			}
			n++
		}
		if n == 0 {
			continue
		}
		a := Average{Group: g.name, Runs: n}
		for _, v := range Variants {
			a.Micro.set(v, sum.Get(v)/float64(n))
		}
		out = append(out, a)
	}
	return out
}
