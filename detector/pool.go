package detector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// EndpointConfig is one Ollama server and the model asked there.
type EndpointConfig struct {
	// URL is the Ollama base URL (a password in it is never logged).
	URL string `json:"url" yaml:"url"`
	// Model is the vision model, e.g. qwen2.5vl:7b.
	Model string `json:"model" yaml:"model"`
	// Concurrency is how many questions are in flight at once (default 1,
	// Ollama's default OLLAMA_NUM_PARALLEL for most setups).
	Concurrency int `json:"concurrency" yaml:"concurrency"`
	// Timeout bounds one question, retries included (default 60s).
	Timeout time.Duration `json:"timeout" yaml:"timeout"`
	// Structured requests JSON {score, reason} answers.
	Structured bool `json:"structured" yaml:"structured"`
	// Stream asks for streamed replies.
	Stream bool `json:"stream" yaml:"stream"`
	// NumPredict caps generated tokens (default 128).
	NumPredict int `json:"num_predict" yaml:"num_predict"`
	// KeepAlive keeps the model loaded (default 10m).
	KeepAlive time.Duration `json:"keep_alive" yaml:"keep_alive"`
}

// PoolConfig configures the worker pool.
type PoolConfig struct {
	// Endpoints are the LVLM servers; at least one.
	Endpoints []EndpointConfig
	// QueueSize bounds the segments waiting, all cameras together
	// (default 32). Beyond it the oldest segment of the camera with the
	// longest queue is dropped.
	QueueSize int
	// Gate is the motion gate's configuration for every camera that has
	// none of its own (see Gate.SetCamera).
	Gate GateConfig
	// Scorer configures the context images.
	Scorer ScorerConfig
}

// PoolDeps are the pool's collaborators.
type PoolDeps struct {
	// Logger receives drop and error notices, at most once a second each.
	Logger *slog.Logger
	// OnScore receives every result, gated ones included, from the worker
	// goroutines; it must return quickly (hand the score to a bounded queue
	// of its own).
	OnScore func(SegmentScore)
	// Transport overrides the HTTP transport of the endpoints' clients.
	Transport http.RoundTripper
}

// Pool scores the segments of many cameras on a limited number of
// concurrent LVLM calls per endpoint (method §10). Submit never blocks: each
// camera has its own FIFO, cameras are served round-robin, and the total
// number of waiting segments is bounded, the oldest being dropped under
// overload. A dispatcher hands each segment to the least-loaded endpoint
// with a free slot as soon as one frees up; each endpoint holds one segment
// more than its call concurrency and prepares it (motion level, context
// images) while the model is busy, so no endpoint idles while work waits.
type Pool struct {
	cfg     PoolConfig
	log     *slog.Logger
	onScore func(SegmentScore)
	scorer  *Scorer
	gate    *Gate
	eps     []*endpoint
	wake    chan struct{}
	limiter logLimiter

	mu       sync.Mutex
	queues   map[string][]*job
	ring     []string // cameras with waiting jobs, in service order
	next     int      // ring position served next
	waiting  int
	running  bool
	stopped  bool
	stats    poolCounters
	inflight []int
	// forgotten holds cameras removed by ForgetCamera until they submit
	// again: the results of their segments still in flight must not
	// bring back the gate state the removal dropped.
	forgotten map[string]bool
	// droppedBy counts each camera's segments dropped under overload.
	droppedBy map[string]uint64
	order     map[string]*camOrder
	// deliverMu keeps deliveries of concurrent workers in order.
	deliverMu sync.Mutex
}

type endpoint struct {
	cfg    EndpointConfig
	client *vqa.Client
	// The endpoint holds at most slots = Concurrency+1 segments: one is
	// being prepared (motion level, context images) by its preparer while
	// Concurrency callers ask the model, so the model never waits for the
	// CPU between segments, and segments reach the callers in dispatch
	// order.
	slots int
	jobs  chan *job         // dispatcher → preparer
	ready chan *preparedJob // preparer → callers (unbuffered)
	// downUntil and cooldown (guarded by Pool.mu): after a failure of the
	// endpoint itself the dispatcher prefers the other endpoints until
	// downUntil, so an endpoint that fails at once (model missing) does
	// not look least loaded and take every segment.
	downUntil time.Time
	cooldown  time.Duration
	// load wakes the endpoint's loader after a question timed out.
	load chan struct{}
}

// loadTimeout bounds a model load started by the loader (Ollama's own
// OLLAMA_LOAD_TIMEOUT stall limit is 5 minutes).
const loadTimeout = 10 * time.Minute

// prefetch is the number of segments an endpoint holds beyond its
// concurrency.
const prefetch = 1

// preparedJob is a job whose CPU work is done.
type preparedJob struct {
	*job
	level float64 // +Inf when not measured (the gate was off): never gated
	err   error   // motion level failed: the whole job fails
	// ahead are the rule groups prepared before the caller decided on
	// gating (every rule was going to be asked); nil when deferred.
	ahead []preparedGroup
	// memo keeps the segment's query images for groups prepared later.
	memo *imageMemo
}

// preparedGroup is a group of rules asked together (see Pool.groups): rule
// indices into the job's rules, and their preparation.
type preparedGroup struct {
	rules []int
	prep  *prepared
	err   error
}

type job struct {
	seg   *segment.Segment
	rules []Rule
	// ticket is the job's place in its camera's dispatch order: results
	// are delivered in that order (see Pool.complete).
	ticket   uint64
	ticketed bool // popped: its place must be released
}

// camOrder holds a camera's results that finished ahead of an earlier
// segment, so that OnScore sees a camera's segments in order (the alerts
// ignore a segment older than one already seen).
type camOrder struct {
	issued, next uint64
	held         map[uint64][]SegmentScore
}

type poolCounters struct {
	submitted, dropped, gated, scored, failed uint64
	errors                                    map[string]uint64
}

// PoolStats are the pool's counters as plain values.
type PoolStats struct {
	// Submitted counts segments accepted by Submit.
	Submitted uint64
	// Dropped counts segments dropped unscored: the oldest under overload,
	// a removed camera's (ForgetCamera), and at shutdown those waiting or
	// interrupted.
	Dropped uint64
	// Gated counts (segment, rule) pairs the motion gate answered without
	// the LVLM.
	Gated uint64
	// Scored counts (segment, rule) pairs scored by the LVLM.
	Scored uint64
	// Failed counts (segment, rule) pairs that could not be scored.
	Failed uint64
	// QueueDepth is the number of segments waiting now.
	QueueDepth int
	// Calls counts HTTP chat requests, retries included, over all endpoints.
	Calls uint64
	// Errors counts failed questions by class (vqa classes, plus "build" for
	// context images that could not be built).
	Errors map[string]uint64
	// ParseFailures counts answers without a usable number.
	ParseFailures uint64
	// Latency is the histogram of answered questions' latencies.
	Latency vqa.Histogram
	// Endpoints has one entry per endpoint, in configuration order.
	Endpoints []EndpointStats
}

// EndpointStats are one endpoint's counters.
type EndpointStats struct {
	URL, Model  string
	Concurrency int
	// InFlight is the number of LVLM calls in flight; Jobs the segments
	// the endpoint holds (at most Concurrency+1: one is prepared ahead).
	InFlight, Jobs int
	Calls          uint64
	// ParseFailures counts this endpoint's answers without a usable
	// number.
	ParseFailures uint64
	Errors        map[string]uint64
	// Latency is this endpoint's histogram of answered questions.
	Latency vqa.Histogram
}

// NewPool validates cfg and builds the pool; it does no I/O.
func NewPool(cfg PoolConfig, deps PoolDeps) (*Pool, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("detector pool: at least one endpoint is required")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 32
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scorer, err := NewScorer(cfg.Scorer, ScorerDeps{})
	if err != nil {
		return nil, err
	}
	p := &Pool{
		cfg:       cfg,
		log:       log,
		onScore:   deps.OnScore,
		scorer:    scorer,
		gate:      NewGate(cfg.Gate),
		wake:      make(chan struct{}, 1),
		queues:    map[string][]*job{},
		forgotten: map[string]bool{},
		droppedBy: map[string]uint64{},
		order:     map[string]*camOrder{},
		stats:     poolCounters{errors: map[string]uint64{}},
	}
	if p.onScore == nil {
		p.onScore = func(SegmentScore) {}
	}
	for i, ec := range cfg.Endpoints {
		if ec.Concurrency <= 0 {
			ec.Concurrency = 1
		}
		c, err := vqa.New(vqa.Config{URL: ec.URL, Model: ec.Model, Timeout: ec.Timeout, Structured: ec.Structured,
			Stream: ec.Stream, NumPredict: ec.NumPredict, KeepAlive: ec.KeepAlive}, vqa.Deps{Logger: log, Transport: deps.Transport})
		if err != nil {
			return nil, fmt.Errorf("detector pool: endpoint %d: %w", i+1, err)
		}
		slots := ec.Concurrency + prefetch
		p.eps = append(p.eps, &endpoint{cfg: ec, client: c, slots: slots, jobs: make(chan *job, slots), ready: make(chan *preparedJob), load: make(chan struct{}, 1)})
	}
	p.inflight = make([]int, len(p.eps))
	return p, nil
}

// Gate is the pool's motion gate: set a camera's own configuration at any
// time (SetCamera, RemoveCamera), or Forget a removed rule's state.
func (p *Pool) Gate() *Gate { return p.gate }

// Ready reports whether at least one endpoint is reachable and serves its
// model with vision (the daemon can score; a down endpoint's failures are
// counted per endpoint in the metrics). The endpoints are checked at
// once, so that a slow one does not use up the others' time; the error
// lists every endpoint's failure.
func (p *Pool) Ready(ctx context.Context) error {
	errs := make([]error, len(p.eps))
	var wg sync.WaitGroup
	for i, e := range p.eps {
		wg.Go(func() { errs[i] = e.client.Check(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			return nil
		}
	}
	return errors.Join(errs...)
}

// Submit queues seg for scoring against rules (the camera's current rules;
// they are copied). It never blocks. The pool owns an accepted seg: it
// calls seg.Release once every rule has been scored, gated or failed (the
// query images are JPEG-encoded into the scores before), or when it drops
// seg, so the caller must not use seg after Submit returns true. It returns
// false when the segment was not accepted (no rules, no frames, or the pool
// has stopped); the caller then still owns seg.
func (p *Pool) Submit(seg *segment.Segment, rules []Rule) bool {
	if seg == nil || len(seg.Frames) == 0 || len(rules) == 0 {
		return false
	}
	j := &job{seg: seg, rules: append([]Rule(nil), rules...)}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return false
	}
	// A loop, not an if: a segment handed back by a resting endpoint
	// (handBack) may have put the queue above its bound.
	var drops []*job
	for p.waiting >= p.cfg.QueueSize {
		d := p.dropOldestLocked()
		if d == nil {
			break
		}
		drops = append(drops, d)
	}
	cam := seg.CameraID
	delete(p.forgotten, cam)
	if len(p.queues[cam]) == 0 {
		p.ring = append(p.ring, cam)
	}
	p.queues[cam] = append(p.queues[cam], j)
	p.waiting++
	p.stats.submitted++
	total := p.stats.dropped
	p.mu.Unlock()
	for _, dropped := range drops {
		if dropped.ticketed {
			p.complete(dropped.seg.CameraID, dropped.ticket, nil)
		}
		dropped.seg.Release()
		p.limiter.do("drop", func(n int) {
			p.log.Warn("detector overloaded: dropped oldest waiting segments", "camera", dropped.seg.CameraID,
				"segment", dropped.seg.Seq, "dropped_since_last_log", n, "dropped_total", total, "queue_size", p.cfg.QueueSize)
		})
	}
	p.signal()
	return true
}

// ForgetCamera drops the segments of camera still waiting (a camera
// removed from the configuration: asking about them would take the model
// from the cameras still running). They are released and counted as
// dropped; segments already being scored finish, without updating the
// motion gate, until the camera submits again. It returns how many were
// dropped.
func (p *Pool) ForgetCamera(camera string) int {
	p.mu.Lock()
	q := p.queues[camera]
	p.forgotten[camera] = true
	// A camera added again counts its drops from 0, as its stream does.
	delete(p.droppedBy, camera)
	if len(q) > 0 {
		p.removeFromRingLocked(camera)
		p.waiting -= len(q)
		p.stats.dropped += uint64(len(q))
	}
	p.mu.Unlock()
	for _, j := range q {
		if j.ticketed {
			p.complete(j.seg.CameraID, j.ticket, nil)
		}
		j.seg.Release()
	}
	return len(q)
}

// dropOldestLocked removes the oldest job of the camera with the longest
// queue, so one busy camera cannot push the others out.
func (p *Pool) dropOldestLocked() *job {
	longest := ""
	for _, cam := range p.ring {
		if longest == "" || len(p.queues[cam]) > len(p.queues[longest]) {
			longest = cam
		}
	}
	if longest == "" {
		return nil
	}
	q := p.queues[longest]
	j := q[0]
	q[0] = nil
	p.queues[longest] = q[1:]
	p.waiting--
	p.stats.dropped++
	p.droppedBy[longest]++
	if len(p.queues[longest]) == 0 {
		p.removeFromRingLocked(longest)
	}
	return j
}

// DroppedFor is the number of camera's segments dropped unscored because
// the detector lagged (the oldest of the longest queue goes first).
func (p *Pool) DroppedFor(camera string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.droppedBy[camera]
}

func (p *Pool) removeFromRingLocked(cam string) {
	for i, c := range p.ring {
		if c == cam {
			p.ring = append(p.ring[:i], p.ring[i+1:]...)
			if p.next > i {
				p.next--
			}
			break
		}
	}
	if p.next >= len(p.ring) {
		p.next = 0
	}
	delete(p.queues, cam)
}

// popLocked takes the next job round-robin over cameras.
func (p *Pool) popLocked() *job {
	if len(p.ring) == 0 {
		return nil
	}
	if p.next >= len(p.ring) {
		p.next = 0
	}
	cam := p.ring[p.next]
	q := p.queues[cam]
	j := q[0]
	o := p.order[cam]
	if o == nil {
		o = &camOrder{held: map[uint64][]SegmentScore{}}
		p.order[cam] = o
	}
	if !j.ticketed { // a job handed back keeps its place
		j.ticket, j.ticketed = o.issued, true
		o.issued++
	}
	q[0] = nil
	p.queues[cam] = q[1:]
	p.waiting--
	if len(p.queues[cam]) == 0 {
		p.removeFromRingLocked(cam) // the next camera slides into this position
	} else {
		p.next = (p.next + 1) % len(p.ring)
	}
	return j
}

func (p *Pool) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run dispatches and scores until ctx ends, then drops what still waits
// (counted) and returns nil once every worker has stopped. In-flight calls
// are cancelled.
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.stopped {
		p.mu.Unlock()
		return errors.New("detector pool: Run called twice")
	}
	p.running = true
	p.mu.Unlock()
	g, ctx := errgroup.WithContext(ctx)
	for i, e := range p.eps {
		g.Go(func() error {
			p.prepareLoop(ctx, e)
			return nil
		})
		g.Go(func() error {
			p.loadLoop(ctx, e)
			return nil
		})
		for range e.cfg.Concurrency {
			g.Go(func() error {
				p.work(ctx, i, e)
				return nil
			})
		}
	}
	g.Go(func() error {
		p.dispatch(ctx)
		return nil
	})
	err := g.Wait()
	p.mu.Lock()
	p.stopped = true
	p.stats.dropped += uint64(p.waiting)
	var left []*job
	for _, q := range p.queues {
		left = append(left, q...)
	}
	for _, e := range p.eps {
		p.stats.dropped += uint64(len(e.jobs)) // handed over but never started
		for len(e.jobs) > 0 {
			left = append(left, <-e.jobs)
		}
	}
	p.queues, p.ring, p.waiting = map[string][]*job{}, nil, 0
	p.mu.Unlock()
	for _, j := range left {
		if j.ticketed {
			p.complete(j.seg.CameraID, j.ticket, nil)
		}
		j.seg.Release()
	}
	for _, e := range p.eps {
		e.client.Close()
	}
	return err
}

// dispatch hands waiting jobs to the least-loaded endpoint with a free slot.
func (p *Pool) dispatch(ctx context.Context) {
	for {
		for {
			p.mu.Lock()
			best := -1
			now := time.Now()
			anyUp := false
			for _, e := range p.eps {
				if !now.Before(e.downUntil) {
					anyUp = true
				}
			}
			for i, e := range p.eps {
				if p.inflight[i] >= e.slots || (anyUp && now.Before(e.downUntil)) {
					continue
				}
				if best < 0 || p.inflight[i]*p.eps[best].slots < p.inflight[best]*e.slots {
					best = i
				}
			}
			if best < 0 || p.waiting == 0 {
				p.mu.Unlock()
				break
			}
			j := p.popLocked()
			p.inflight[best]++
			p.mu.Unlock()
			p.eps[best].jobs <- j // buffered to slots: a free slot never blocks
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
	}
}

// prepareLoop does each job's CPU work ahead of the callers.
func (p *Pool) prepareLoop(ctx context.Context, e *endpoint) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-e.jobs:
			pj := p.prepareJob(e, j)
			select {
			case e.ready <- pj:
			case <-ctx.Done():
				p.abandon()
				j.seg.Release()
				p.complete(j.seg.CameraID, j.ticket, nil) // its place, empty: later results still go out
				return
			}
		}
	}
}

// prepareJob measures motion and builds the context images of every rule
// that will surely be asked about. Whether a quiet segment is gated is only
// decided by the caller, in order, once the previous segment's score is
// known; its images are built then if needed.
func (p *Pool) prepareJob(e *endpoint, j *job) *preparedJob {
	pj := &preparedJob{job: j, level: math.Inf(1), memo: newImageMemo()}
	// The camera's gate may be reconfigured before the caller decides; a
	// level left unmeasured only means the segment is asked about.
	gate := p.gate.CameraConfig(j.seg.CameraID)
	if gate.Enabled {
		if pj.level, pj.err = p.gate.MotionLevel(j.seg); pj.err != nil {
			return pj
		}
		if pj.level < gate.Threshold {
			return pj
		}
	}
	all := make([]int, len(j.rules))
	for i := range all {
		all[i] = i
	}
	for _, g := range p.groups(j.rules, all) {
		prep, err := p.scorer.prepare(e.client, j.seg, pickRules(j.rules, g), "", pj.memo)
		pj.ahead = append(pj.ahead, preparedGroup{rules: g, prep: prep, err: err})
	}
	return pj
}

// groups splits the rules at idx into the groups asked together: rules
// that may share their LVLM calls (Scorer.Batchable: batching on, same
// prompt) form one group, so a camera with several rules costs one call
// per context (method §10); every other rule is a group of its own. A rule
// that does not validate stays alone, so that its error fails only itself.
func (p *Pool) groups(rules []Rule, idx []int) [][]int {
	var out [][]int
next:
	for _, i := range idx {
		if rules[i].withDefaults().Validate() == nil {
			for g, members := range out {
				first := rules[members[0]]
				if first.withDefaults().Validate() == nil && p.scorer.Batchable(first, rules[i]) {
					out[g] = append(out[g], i)
					continue next
				}
			}
		}
		out = append(out, []int{i})
	}
	return out
}

func pickRules(rules []Rule, idx []int) []Rule {
	out := make([]Rule, len(idx))
	for k, i := range idx {
		out[k] = rules[i]
	}
	return out
}

func (p *Pool) work(ctx context.Context, idx int, e *endpoint) {
	for {
		select {
		case <-ctx.Done():
			return
		case pj := <-e.ready:
			if p.handBack(idx, e, pj) {
				p.signal()
				continue
			}
			p.process(ctx, e, pj)
			p.mu.Lock()
			p.inflight[idx]--
			p.mu.Unlock()
			p.signal()
		}
	}
}

// process scores a prepared job, then releases its segment: the scores
// carry JPEG copies of the query images, nothing keeps the frames.
func (p *Pool) process(ctx context.Context, e *endpoint, pj *preparedJob) {
	seg := pj.seg
	defer seg.Release()
	var out []SegmentScore
	defer func() { p.complete(seg.CameraID, pj.ticket, out) }()
	if pj.err != nil {
		p.fail(pj.job, pj.rules, "build", pj.err)
		return
	}
	if ctx.Err() != nil {
		p.abandon()
		return
	}
	asked := make([]int, 0, len(pj.rules))
	for i, r := range pj.rules {
		r = r.withDefaults()
		if !p.gate.Skip(seg.CameraID, r.ID, seg, pj.level) {
			asked = append(asked, i)
			continue
		}
		p.mu.Lock()
		p.stats.gated++
		p.mu.Unlock()
		out = append(out, SegmentScore{CameraID: seg.CameraID, RuleID: r.ID, Texts: append([]string(nil), r.Texts...), Seq: seg.Seq,
			Start: seg.Start(), End: seg.End(), FirstFrame: seg.Frames[0].SourceIndex, LastFrame: seg.Frames[len(seg.Frames)-1].SourceIndex,
			Gated: true, Model: e.cfg.Model})
	}
	for _, g := range p.groups(pj.rules, asked) {
		if ctx.Err() != nil {
			p.abandon()
			return
		}
		rules := pickRules(pj.rules, g)
		var prep *prepared
		var err error
		if k := slices.IndexFunc(pj.ahead, func(a preparedGroup) bool { return slices.Equal(a.rules, g) }); k >= 0 {
			prep, err = pj.ahead[k].prep, pj.ahead[k].err
		} else {
			prep, err = p.scorer.prepare(e.client, seg, rules, "", pj.memo)
		}
		if err != nil {
			p.fail(pj.job, rules, "build", err)
			continue
		}
		scores, err := p.scorer.finish(ctx, e.client, prep)
		if err != nil {
			if ctx.Err() != nil {
				p.abandon()
				return
			}
			cls := string(vqa.ClassOf(err))
			if cls == "" {
				cls = "build"
			} else {
				p.endpointFailed(e)
			}
			if cls == string(vqa.ClassTimeout) {
				select {
				case e.load <- struct{}{}:
				default:
				}
			}
			p.fail(pj.job, rules, cls, err)
			continue
		}
		p.mu.Lock()
		e.downUntil, e.cooldown = time.Time{}, 0
		forgotten := p.forgotten[seg.CameraID]
		p.stats.scored += uint64(len(scores))
		p.mu.Unlock()
		for k, s := range scores {
			if !forgotten {
				p.gate.Observe(seg.CameraID, s.RuleID, seg, s.Score, prep.rules[k].Threshold)
			}
			out = append(out, s)
		}
	}
}

// handBack returns a job prefetched by an endpoint that has since failed
// and rests to the front of its camera's queue, keeping its place in the
// camera's order, when another endpoint is up: asking it there would cost
// another Timeout while the camera's later results wait for it.
func (p *Pool) handBack(idx int, e *endpoint, pj *preparedJob) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.stopped || !now.Before(e.downUntil) {
		return false
	}
	other := false
	for i, o := range p.eps {
		if i != idx && !now.Before(o.downUntil) {
			other = true
		}
	}
	cam := pj.seg.CameraID
	if !other || p.forgotten[cam] {
		return false
	}
	// Its turn was taken when it was dispatched: serve its camera next,
	// or it waits behind every other camera while the rest runs out and
	// is asked on the resting endpoint after all.
	if i := slices.Index(p.ring, cam); i >= 0 {
		p.ring = slices.Delete(p.ring, i, i+1)
		if p.next > i {
			p.next--
		}
	}
	if p.next > len(p.ring) {
		p.next = 0
	}
	p.ring = slices.Insert(p.ring, p.next, cam)
	p.queues[cam] = append([]*job{pj.job}, p.queues[cam]...)
	p.waiting++
	p.inflight[idx]--
	return true
}

// loadLoop loads the endpoint's model, with a deadline of its own, each
// time a question timed out (the model may be loading after a restart).
func (p *Pool) loadLoop(ctx context.Context, e *endpoint) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.load:
			if err := e.client.Load(ctx, loadTimeout); err != nil && ctx.Err() == nil {
				p.limiter.do("load", func(int) { p.log.Warn("detector: model load failed", "error", err) })
			}
		}
	}
}

// endpointFailed keeps the dispatcher away from e for a cooldown that
// doubles from 1s to 30s while it keeps failing.
func (p *Pool) endpointFailed(e *endpoint) {
	p.mu.Lock()
	e.cooldown = min(max(2*e.cooldown, time.Second), 30*time.Second)
	e.downUntil = time.Now().Add(e.cooldown)
	p.mu.Unlock()
}

// complete records a job's results and delivers, in dispatch order, every
// result of the camera no earlier job still holds up.
func (p *Pool) complete(cam string, ticket uint64, scores []SegmentScore) {
	p.deliverMu.Lock()
	defer p.deliverMu.Unlock()
	p.mu.Lock()
	o := p.order[cam]
	o.held[ticket] = scores
	var ready []SegmentScore
	for {
		s, ok := o.held[o.next]
		if !ok {
			break
		}
		delete(o.held, o.next)
		o.next++
		ready = append(ready, s...)
	}
	p.mu.Unlock()
	for _, s := range ready {
		p.onScore(s)
	}
}

// abandon counts a segment interrupted by shutdown as dropped.
func (p *Pool) abandon() {
	p.mu.Lock()
	p.stats.dropped++
	p.mu.Unlock()
}

func (p *Pool) fail(j *job, rules []Rule, class string, err error) {
	p.mu.Lock()
	p.stats.failed += uint64(len(rules))
	if class == "build" {
		p.stats.errors["build"]++
	}
	p.mu.Unlock()
	p.limiter.do("fail:"+class, func(n int) {
		p.log.Error("detector: segment not scored", "camera", j.seg.CameraID, "segment", j.seg.Seq,
			"class", class, "failures_since_last_log", n, "error", err)
	})
}

// Stats returns a snapshot of the counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	s := PoolStats{
		Submitted:  p.stats.submitted,
		Dropped:    p.stats.dropped,
		Gated:      p.stats.gated,
		Scored:     p.stats.scored,
		Failed:     p.stats.failed,
		QueueDepth: p.waiting,
		Errors:     map[string]uint64{},
	}
	for k, v := range p.stats.errors {
		s.Errors[k] = v
	}
	inflight := append([]int(nil), p.inflight...)
	p.mu.Unlock()
	for i, e := range p.eps {
		cs := e.client.Stats()
		es := EndpointStats{URL: e.client.URL(), Model: e.cfg.Model, Concurrency: e.cfg.Concurrency, InFlight: cs.InFlight, Jobs: inflight[i],
			Calls: cs.Calls, ParseFailures: cs.ParseFailures, Errors: map[string]uint64{}, Latency: cs.Latency}
		for k, v := range cs.Errors {
			es.Errors[string(k)] = v
			s.Errors[string(k)] += v
		}
		s.Calls += cs.Calls
		s.ParseFailures += cs.ParseFailures
		s.Latency.Merge(cs.Latency)
		s.Endpoints = append(s.Endpoints, es)
	}
	return s
}

// logLimiter lets a log line through at most once a second per key and
// tells it how many were suppressed in between (plus itself).
type logLimiter struct {
	mu    sync.Mutex
	last  map[string]time.Time
	count map[string]int
}

func (l *logLimiter) do(key string, fn func(n int)) {
	l.mu.Lock()
	if l.last == nil {
		l.last, l.count = map[string]time.Time{}, map[string]int{}
	}
	l.count[key]++
	now := time.Now()
	if now.Sub(l.last[key]) < time.Second {
		l.mu.Unlock()
		return
	}
	n := l.count[key]
	l.last[key], l.count[key] = now, 0
	l.mu.Unlock()
	fn(n)
}
