package eval

import (
	"context"
	"fmt"
	"strings"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// LVLMConfig configures LVLMScorer.
type LVLMConfig struct {
	// CachePrefix starts every answer's cache source; it must pin down
	// everything that changes the frames of a segment besides the video
	// name and segment number (dataset, N, analysis size). See CachePrefix.
	CachePrefix string
	// Scorer configures the context images (zero value: the paper's).
	Scorer detector.ScorerConfig
	// Prompt selects the prompt variant (zero value: the default).
	Prompt vqa.Prompt
	// Versions fingerprint each video's source (FileSource.Version); a
	// changed source misses the cache.
	Versions map[string]string
}

// LVLMDeps are LVLMScorer's collaborators.
type LVLMDeps struct {
	// Ask is the LVLM endpoint (a *vqa.Client in production).
	Ask detector.Asker
	// Cache, when set, stores every answer; a warm rerun makes no calls.
	Cache *cache.Cache
}

// LVLMScorer is the production SegmentScorer: the detector's own segment
// scoring (key frame, PC, TC, one question per text and context) asked of an
// Ollama endpoint, through the on-disk answer cache.
type LVLMScorer struct {
	cfg    LVLMConfig
	ask    detector.Asker
	scorer *detector.Scorer
}

// CachePrefix is the answer-cache prefix eval uses: dataset, segment length
// and analysis long side, so answers are reused exactly when the segments'
// frames are the same.
func CachePrefix(dataset string, segmentFrames, longSide int) string {
	return fmt.Sprintf("eval/%s/n%d/ls%d", dataset, segmentFrames, longSide)
}

// NewLVLMScorer builds the scorer; it does no I/O.
func NewLVLMScorer(cfg LVLMConfig, deps LVLMDeps) (*LVLMScorer, error) {
	if deps.Ask == nil {
		return nil, fmt.Errorf("eval: an LVLM endpoint is required")
	}
	if cfg.CachePrefix == "" {
		return nil, fmt.Errorf("eval: the cache prefix is empty")
	}
	s, err := detector.NewScorer(cfg.Scorer, detector.ScorerDeps{Cache: deps.Cache})
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	return &LVLMScorer{cfg: cfg, ask: deps.Ask, scorer: s}, nil
}

// ScoreSegment implements SegmentScorer.
func (l *LVLMScorer) ScoreSegment(ctx context.Context, video string, seg *segment.Segment, texts []string) (detector.ContextScores, error) {
	rule := detector.Rule{ID: "eval:" + strings.Join(texts, "|"), Texts: texts, Prompt: l.cfg.Prompt}
	sc, err := l.scorer.Score(ctx, l.ask, seg, rule, l.cfg.CachePrefix+"/"+video+"|"+l.cfg.Versions[video])
	if err != nil {
		return detector.ContextScores{}, err
	}
	return sc.Contexts, nil
}

// CallStats implements CallCounter: questions sent to the LVLM and answered
// from the cache since NewLVLMScorer.
func (l *LVLMScorer) CallStats() (calls, cacheHits uint64) {
	st := l.scorer.Stats()
	return st.Calls, st.CacheHits
}
