package offline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/context/keyframe"
	"github.com/anyanomaly/anyanomaly/context/query"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// Config configures one offline run.
type Config struct {
	// Path is a video file or a folder of numbered JPEG frames.
	Path string
	// Texts are the events to score; the per-context score is the maximum
	// over them.
	Texts []string
	// URL and Model name the Ollama endpoint and vision model.
	URL, Model string
	// Concurrency is the number of segments scored at once (default 1,
	// matching Ollama's default of one request per model at a time).
	Concurrency int
	// Timeout bounds one LVLM question, retries included (default 120s).
	Timeout time.Duration
	// Structured asks for JSON {score, reason} answers.
	Structured bool
	// Batch asks about all texts in one call per context.
	Batch bool
	// Prompt selects the prompt variant or an override.
	Prompt vqa.Prompt
	// Weights fuse the contexts (zero = detector.DefaultWeights).
	Weights detector.Weights
	// SegmentFrames, Stride, SampleFPS and LongSide cut the segments (see
	// stream.FileOptions; zero values take its defaults).
	SegmentFrames, Stride int
	SampleFPS             float64
	LongSide              int
	// FolderFPS is the frame rate of a JPEG folder (0 = 25).
	FolderFPS float64
	// HWAccel is the decoder's hardware acceleration (none by default).
	HWAccel string
	// CacheDir, when set, holds the answer cache.
	CacheDir string
	// SkipCheck skips the start-up model check (/api/show).
	SkipCheck bool
}

// Deps are the run's collaborators.
type Deps struct {
	// Logger receives retry notices.
	Logger *slog.Logger
	// Progress, when set, is called after each scored segment with the
	// number scored so far.
	Progress func(scored int)
	// Transport overrides the HTTP transport.
	Transport http.RoundTripper
}

// Run scores cfg.Path and returns the result. A cancelled ctx stops the run;
// answers already cached are kept for the next run.
func Run(ctx context.Context, cfg Config, deps Deps) (*Result, error) {
	if cfg.Path == "" {
		return nil, errors.New("detect: a video file or frames folder is required")
	}
	if len(cfg.Texts) == 0 {
		return nil, errors.New("detect: at least one --text is required")
	}
	// Zero means "the default"; a negative value is a typo, not a wish.
	for _, f := range []struct {
		flag string
		v    float64
	}{
		{"--segment", float64(cfg.SegmentFrames)}, {"--stride", float64(cfg.Stride)}, {"--sample-fps", cfg.SampleFPS},
		{"--long-side", float64(cfg.LongSide)}, {"--fps", cfg.FolderFPS}, {"--concurrency", float64(cfg.Concurrency)},
		{"--timeout", float64(cfg.Timeout)},
	} {
		if f.v < 0 {
			return nil, fmt.Errorf("detect: %s must not be negative, got %g", f.flag, f.v)
		}
	}
	// Caught here, not at the first segment, after the model check and
	// the decoding have been paid for; the bounds are the daemon's.
	if n := cfg.SegmentFrames; n != 0 && (n < keyframe.MinFrames || n > maxSegmentFrames) {
		return nil, fmt.Errorf("detect: --segment %d: want %d-%d frames (key frames are chosen from 4 groups)", n, keyframe.MinFrames, maxSegmentFrames)
	}
	if cfg.Weights == (detector.Weights{}) {
		cfg.Weights = detector.DefaultWeights
	}
	rule := detector.Rule{ID: "detect", Texts: cfg.Texts, Weights: cfg.Weights, Prompt: cfg.Prompt, Batch: cfg.Batch}
	if err := rule.Validate(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.SegmentFrames <= 0 {
		cfg.SegmentFrames = stream.DefaultSegmentFrames
	}
	if cfg.Stride <= 0 {
		cfg.Stride = cfg.SegmentFrames
	}
	if _, err := os.Stat(cfg.Path); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	client, err := vqa.New(vqa.Config{URL: cfg.URL, Model: cfg.Model, Timeout: cfg.Timeout, Structured: cfg.Structured},
		vqa.Deps{Logger: deps.Logger, Transport: deps.Transport})
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	defer client.Close()
	if !cfg.SkipCheck {
		if err := client.Check(ctx); err != nil {
			return nil, fmt.Errorf("detect: %w", err)
		}
	}
	var ch *cache.Cache
	if cfg.CacheDir != "" {
		if ch, err = cache.Open(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("detect: %w", err)
		}
	}
	scorer, err := detector.NewScorer(detector.ScorerConfig{}, detector.ScorerDeps{Cache: ch})
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	abs, _ := filepath.Abs(cfg.Path)
	version, err := stream.SourceVersion(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	source := fmt.Sprintf("detect|%s|%s|n%d|s%d|fps%g|long%d|ffps%g|%+v", abs, version,
		cfg.SegmentFrames, cfg.Stride, cfg.SampleFPS, cfg.LongSide, cfg.FolderFPS, query.DefaultConfig())

	g, gctx := errgroup.WithContext(ctx)
	segs := make(chan *segment.Segment, cfg.Concurrency)
	var mu sync.Mutex
	var scores []detector.SegmentScore
	for range cfg.Concurrency {
		g.Go(func() error {
			for seg := range segs {
				s, err := scorer.Score(gctx, client, seg, rule, source)
				// The score keeps JPEG copies, not the frames: the reader
				// may reuse their images.
				seg.Release()
				if err != nil {
					return err
				}
				// The result needs no query image: an hours-long video
				// must not hold every segment's JPEGs until the end.
				s.Images = detector.QueryImages{}
				mu.Lock()
				scores = append(scores, s)
				n := len(scores)
				mu.Unlock()
				if deps.Progress != nil {
					deps.Progress(n)
				}
			}
			return nil
		})
	}
	var info stream.FileInfo
	g.Go(func() error {
		defer close(segs)
		var rerr error
		info, rerr = stream.ReadFile(gctx, cfg.Path, stream.FileOptions{
			SampleFPS: cfg.SampleFPS, LongSide: cfg.LongSide, SegmentFrames: cfg.SegmentFrames, Stride: cfg.Stride,
			HWAccel: cfg.HWAccel, FolderFPS: cfg.FolderFPS, Start: time.Unix(0, 0).UTC(), Logger: deps.Logger,
			RecycleImages: true,
		}, func(seg *segment.Segment) error {
			select {
			case segs <- seg:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
		return rerr
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("detect %s: %w", cfg.Path, err)
	}
	if info.Resized > 0 && deps.Logger != nil {
		deps.Logger.Warn("frames of another size were scaled to the first frame's analysis size", "path", cfg.Path, "frames", info.Resized)
	}
	slices.SortFunc(scores, func(a, b detector.SegmentScore) int { return int(a.Seq) - int(b.Seq) })
	stats := scorer.Stats()
	return newResult(cfg, info, scores, client.Model(), stats), nil
}

// maxSegmentFrames is the longest segment, as in the daemon's config.
const maxSegmentFrames = 1024
