package detector

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anyanomaly/anyanomaly/context/query"
	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// Asker is the LVLM seen by the scorer; *vqa.Client implements it.
type Asker interface {
	Rate(ctx context.Context, image []byte, prompt string) (vqa.Answer, time.Duration, error)
	RateBatch(ctx context.Context, image []byte, prompt string, texts []string) ([]vqa.Answer, time.Duration, error)
	Model() string
	Structured() bool
	// BatchLimit is the most texts one batched question may hold.
	BatchLimit() int
}

// ScorerConfig configures segment scoring.
type ScorerConfig struct {
	// Query is the context-image geometry; the zero value means
	// query.DefaultConfig().
	Query query.Config
	// Relevance rates regions for the context builders; nil means the
	// default motion scorer.
	Relevance relevance.Scorer
}

// ScorerDeps are the scorer's collaborators.
type ScorerDeps struct {
	// Cache, when set, stores every answer; Score consults it for calls
	// whose source is not empty.
	Cache *cache.Cache
}

// Scorer turns one segment and one rule into a SegmentScore (method §7–§8):
// it builds the key frame, PC and TC images, asks the three questions per
// text (or one per context with batching), takes the maximum over texts per
// context and fuses. It is synchronous and safe for concurrent use: the
// pool, `anyanomaly detect` and `anyanomaly eval` all score through it.
type Scorer struct {
	builder *query.Builder
	cache   *cache.Cache

	calls, cacheHits, parseFailures atomic.Uint64
}

// ScorerStats are the scorer's counters.
type ScorerStats struct {
	// Calls counts questions actually sent to an LVLM (not answered from
	// the cache).
	Calls uint64
	// CacheHits counts questions answered from the cache.
	CacheHits uint64
	// ParseFailures counts answers without a usable number.
	ParseFailures uint64
}

// NewScorer builds a scorer; it does no I/O.
func NewScorer(cfg ScorerConfig, deps ScorerDeps) (*Scorer, error) {
	if cfg.Query.WorkSize == 0 {
		cfg.Query = query.DefaultConfig()
	}
	if cfg.Relevance == nil {
		cfg.Relevance = relevance.NewMotion(relevance.MotionConfig{})
	}
	b, err := query.NewBuilder(cfg.Query, cfg.Relevance)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	return &Scorer{builder: b, cache: deps.Cache}, nil
}

// Stats returns the counters.
func (s *Scorer) Stats() ScorerStats {
	return ScorerStats{Calls: s.calls.Load(), CacheHits: s.cacheHits.Load(), ParseFailures: s.parseFailures.Load()}
}

// The three contexts, in SegmentScore order.
const (
	ContextFrame    = "frame"
	ContextPosition = "position"
	ContextTemporal = "temporal"
)

var contexts = [3]string{ContextFrame, ContextPosition, ContextTemporal}

// question is one LVLM call: one context, one text or a batch of texts.
type question struct {
	ctx     int      // index into contexts
	texts   []string // one text, or all of them when batched
	textIdx []int    // indices of texts in the rule
	prompt  string
	format  string
	key     cache.Key
	answers []vqa.Answer
	cached  bool
	latency time.Duration
}

// Score scores seg for rule by asking ask. source, when not empty and the
// scorer has a cache, names the frames for the cache (e.g.
// "cshtech/01_0014/n24"): answers found there are not asked again, new ones
// are stored. The segment must have at least four frames of one size.
func (s *Scorer) Score(ctx context.Context, ask Asker, seg *segment.Segment, rule Rule, source string) (SegmentScore, error) {
	p, err := s.prepare(ask, seg, []Rule{rule}, source, nil)
	if err != nil {
		return SegmentScore{}, err
	}
	out, err := s.finish(ctx, ask, p)
	if err != nil {
		return SegmentScore{}, err
	}
	return out[0], nil
}

// prepared is a segment and the rules asked about it together, ready to
// be asked: its questions, the answers the cache already had, and the
// query images when some answer is still missing. Rules share questions
// only when batched (Batchable); otherwise a group holds one rule.
type prepared struct {
	seg   *segment.Segment
	rules []Rule
	// texts are the rules' distinct texts, in order of first appearance;
	// ruleTexts[i] lists rule i's texts as indices into texts.
	texts     []string
	ruleTexts [][]int
	qs        []question
	imgs      []QueryImages // per text; nil when the cache answered all
	useCache  bool
	outs      []SegmentScore
}

// imageMemo keeps the query images built for one segment, so that the
// rules of a camera do not build the same images again: with a
// text-agnostic relevance one set serves every text. A memo is used by one
// goroutine at a time.
type imageMemo struct {
	byText map[string]QueryImages
}

func newImageMemo() *imageMemo { return &imageMemo{byText: map[string]QueryImages{}} }

// Batchable reports whether rules may share one LVLM call per context
// (rule batching across a camera's rules, method §10): every rule asks for
// batching, they use the same prompt, and the relevance gives one image per
// context for every text.
func (s *Scorer) Batchable(a, b Rule) bool {
	a, b = a.withDefaults(), b.withDefaults()
	return a.Batch && b.Batch && a.Prompt == b.Prompt && s.builder.TextAgnostic()
}

// prepare does the CPU work of scoring rules that share their questions
// (one rule, or rules that are pairwise Batchable): validation, the cache
// lookups and the context images. The pool runs it ahead of the LVLM
// calls. memo, when not nil, shares images with other groups of the same
// segment.
func (s *Scorer) prepare(ask Asker, seg *segment.Segment, rules []Rule, source string, memo *imageMemo) (*prepared, error) {
	if len(rules) == 0 {
		return nil, fmt.Errorf("camera %s segment %d: no rules", seg.CameraID, seg.Seq)
	}
	p := &prepared{seg: seg, useCache: s.cache != nil && source != ""}
	index := map[string]int{}
	for _, r := range rules {
		r = r.withDefaults()
		if err := r.Validate(); err != nil {
			return nil, err
		}
		idx := make([]int, 0, len(r.Texts))
		for _, t := range r.Texts {
			i, ok := index[t]
			if !ok {
				i = len(p.texts)
				index[t] = i
				p.texts = append(p.texts, t)
			}
			if !slices.Contains(idx, i) {
				idx = append(idx, i)
			}
		}
		p.rules = append(p.rules, r)
		p.ruleTexts = append(p.ruleTexts, idx)
	}
	if len(seg.Frames) == 0 {
		return nil, fmt.Errorf("camera %s segment %d: no frames", seg.CameraID, seg.Seq)
	}
	for _, r := range p.rules {
		p.outs = append(p.outs, SegmentScore{
			CameraID:   seg.CameraID,
			RuleID:     r.ID,
			Texts:      append([]string(nil), r.Texts...),
			Seq:        seg.Seq,
			Start:      seg.Start(),
			End:        seg.End(),
			FirstFrame: seg.Frames[0].SourceIndex,
			LastFrame:  seg.Frames[len(seg.Frames)-1].SourceIndex,
			Model:      ask.Model(),
		})
	}
	p.qs = s.questions(ask, seg, p, source)
	missing := len(p.qs)
	if p.useCache {
		for i := range p.qs {
			if a, ok := s.cache.Get(p.qs[i].key); ok {
				p.qs[i].answers, p.qs[i].cached = a, true
				missing--
			}
		}
	}
	if missing > 0 {
		if memo == nil {
			memo = newImageMemo()
		}
		imgs, err := s.images(seg, p.texts, memo)
		if err != nil {
			return nil, fmt.Errorf("camera %s segment %d: %w", seg.CameraID, seg.Seq, err)
		}
		p.imgs = imgs
		for i := range p.outs {
			p.outs[i].Images = imgs[p.ruleTexts[i][0]]
		}
	}
	return p, nil
}

// ruleIDs names the rules of a group in errors.
func (p *prepared) ruleIDs() string {
	ids := make([]string, len(p.rules))
	for i, r := range p.rules {
		ids[i] = r.ID
	}
	return strings.Join(ids, ",")
}

// finish asks the questions the cache did not answer and fuses, one score
// per rule of the group, in the group's order.
func (s *Scorer) finish(ctx context.Context, ask Asker, p *prepared) ([]SegmentScore, error) {
	seg := p.seg
	for i := range p.qs {
		q := &p.qs[i]
		if q.cached {
			continue
		}
		img := pick(p.imgs[q.textIdx[0]], q.ctx)
		var err error
		if len(q.texts) > 1 {
			q.answers, q.latency, err = ask.RateBatch(ctx, img, q.prompt, q.texts)
		} else {
			var a vqa.Answer
			a, q.latency, err = ask.Rate(ctx, img, q.prompt)
			q.answers = []vqa.Answer{a}
		}
		s.calls.Add(1)
		if err != nil {
			return nil, fmt.Errorf("camera %s segment %d rule %s %s context: %w", seg.CameraID, seg.Seq, p.ruleIDs(), contexts[q.ctx], err)
		}
		for _, a := range q.answers {
			if a.ParseFailed {
				s.parseFailures.Add(1)
			}
		}
		if p.useCache {
			if err := s.cache.Put(q.key, q.answers); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range p.qs {
		if q.cached {
			s.cacheHits.Add(1)
		}
	}
	outs := make([]SegmentScore, len(p.rules))
	for ri, rule := range p.rules {
		var best [3]float64
		var reasons [3]string
		var lat [3]time.Duration
		seen := [3]bool{}
		for _, q := range p.qs {
			asked := false
			for k, a := range q.answers {
				if k >= len(q.textIdx) || !slices.Contains(p.ruleTexts[ri], q.textIdx[k]) {
					continue
				}
				asked = true
				if !seen[q.ctx] || a.Score > best[q.ctx] {
					best[q.ctx], reasons[q.ctx], seen[q.ctx] = a.Score, a.Reason, true
				}
			}
			if asked {
				lat[q.ctx] += q.latency
			}
		}
		out := p.outs[ri]
		out.Contexts = ContextScores{Frame: best[0], Position: best[1], Temporal: best[2]}
		out.Reasons = ContextReasons{Frame: reasons[0], Position: reasons[1], Temporal: reasons[2]}
		out.Latencies = ContextLatencies{Frame: lat[0], Position: lat[1], Temporal: lat[2]}
		out.Score = rule.Weights.Fuse(out.Contexts)
		outs[ri] = out
	}
	return outs, nil
}

// questions lists the calls a group needs, in context order.
func (s *Scorer) questions(ask Asker, seg *segment.Segment, p *prepared, source string) []question {
	format := ""
	if ask.Structured() {
		format = vqa.ScoreSchema
	}
	// The group's rules share a prompt (Batchable); the first one's
	// speaks for all.
	rule := p.rules[0]
	// Batching needs one image per context for all texts, which only a
	// text-agnostic relevance (motion) gives.
	batch := rule.Batch && len(p.texts) > 1 && s.builder.TextAgnostic()
	// A batch larger than the answer's token cap is split into even
	// chunks; a chunk of one text is an ordinary question (with a reason).
	chunks := [][]int{}
	if batch {
		limit := max(1, ask.BatchLimit())
		n := (len(p.texts) + limit - 1) / limit
		for c := range n {
			lo, hi := c*len(p.texts)/n, (c+1)*len(p.texts)/n
			idx := make([]int, 0, hi-lo)
			for i := lo; i < hi; i++ {
				idx = append(idx, i)
			}
			chunks = append(chunks, idx)
		}
	} else {
		for i := range p.texts {
			chunks = append(chunks, []int{i})
		}
	}
	var qs []question
	for ci := range contexts {
		pr := rule.Prompt
		pr.Temporal = ci == 2
		for _, idx := range chunks {
			texts := make([]string, len(idx))
			for k, i := range idx {
				texts[k] = p.texts[i]
			}
			if len(texts) > 1 {
				qs = append(qs, question{ctx: ci, texts: texts, textIdx: idx, prompt: pr.Batch(texts), format: vqa.BatchSchema(texts)})
			} else {
				qs = append(qs, question{ctx: ci, texts: texts, textIdx: idx, prompt: pr.Text(texts[0]), format: format})
			}
		}
	}
	for i := range qs {
		q := &qs[i]
		q.key = cache.Key{Source: source, Seq: seg.Seq, Texts: q.texts, Context: contexts[q.ctx], Model: ask.Model(), Prompt: q.prompt, Format: q.format}
	}
	return qs
}

// images builds and encodes the query images, one set per text (one shared
// set when the relevance ignores the text), reusing those in memo.
func (s *Scorer) images(seg *segment.Segment, texts []string, memo *imageMemo) ([]QueryImages, error) {
	var frames []*image.YCbCr
	out := make([]QueryImages, len(texts))
	for i, t := range texts {
		key := t
		if s.builder.TextAgnostic() {
			key = ""
		}
		if q, ok := memo.byText[key]; ok {
			out[i] = q
			continue
		}
		if frames == nil {
			frames = seg.Images()
		}
		im, err := s.builder.Build(frames, t)
		if err != nil {
			return nil, err
		}
		j, err := s.builder.Encode(im)
		s.builder.Release(im)
		if err != nil {
			return nil, err
		}
		out[i] = QueryImages{KeyFrame: j.KeyFrame, Position: j.Position, Temporal: j.Temporal}
		memo.byText[key] = out[i]
	}
	return out, nil
}

func pick(q QueryImages, ctx int) []byte {
	switch ctx {
	case 0:
		return q.KeyFrame
	case 1:
		return q.Position
	default:
		return q.Temporal
	}
}
