package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/anyanomaly/anyanomaly/detector"
)

// Deps are the publisher's collaborators.
type Deps struct {
	// Log receives everything the publisher has to say (required).
	Log *slog.Logger
	// Now is the wall clock (default time.Now); tests replace it.
	Now func() time.Time
}

// preRunLimit bounds the records kept in memory before Run opens the spool.
const preRunLimit = 4096

// Publisher turns segment scores into events and delivers them, with
// camera status and heartbeats, to NATS JetStream, exactly once and in
// order. Every outgoing record goes through the on-disk spool first; a
// single sender publishes the spool in order and acknowledges it as
// JetStream acks arrive.
type Publisher struct {
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	subj Subjects
	ids  idGen
	rl   *rateLog

	mu      sync.Mutex
	cameras map[string]*cameraState
	spool   *Spool
	pre     [][]byte
	stopped bool

	wake      chan struct{} // records appended (for the syncer)
	sendWake  chan struct{} // records made durable (for the sender)
	reconnect chan struct{} // connection (re)established
	durable   atomic.Uint64 // records below are fsync'd
	connected atomic.Bool
	// noBucket is set while the snapshot bucket could not be set up:
	// a snapshot for a bucket that is not there is given up at once.
	noBucket  atomic.Bool
	nc        atomic.Pointer[nats.Conn]
	mqttAddr  atomic.Pointer[string]
	serverURL atomic.Pointer[string]
	started   time.Time
	killed    atomic.Bool // tests: end Run as a crash would
	ran       atomic.Bool // Run was called: a publisher runs once
	// flushFor is Config.ShutdownTimeout, changeable while running.
	flushFor atomic.Int64
	// open lists the open events on disk (under mu), for a restart after
	// a crash to end them.
	open *openEvents
	// leftOpen are events the last run left open whose ended message did
	// not fit the spool yet (under mu); the sync loop tries again.
	leftOpen []openEvent
	// unsentEnds are this run's ended messages the spool refused (under
	// mu); the sync loop tries again.
	unsentEnds []unsentEnd

	st counters
}

type unsentEnd struct {
	id  string
	rec spoolRecord
}

type cameraState struct {
	name  string
	rules map[string]*ruleState
}

type ruleState struct {
	lc       *lifecycle
	texts    []string
	lastWall time.Time // wall clock of the latest score
}

// counters are the publisher's statistics, updated atomically.
type counters struct {
	scores, ignored, outOfOrder            atomic.Uint64
	started, updated, ended, statuses      atomic.Uint64
	published, duplicates, publishFailures atomic.Uint64
	snapshots, snapshotFailures            atomic.Uint64
	spoolFull, spoolErrors, lost           atomic.Uint64
	reconnects, disconnects, heartbeats    atomic.Uint64
	acksPending                            atomic.Int64
}

// New checks cfg and prepares a publisher; it does no I/O.
func New(cfg Config, deps Deps) (*Publisher, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Log == nil {
		return nil, errors.New("alerts: Deps.Log is required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	p := &Publisher{
		cfg: cfg, log: deps.Log, now: deps.Now,
		subj:      Subjects{Prefix: cfg.SubjectPrefix},
		rl:        newRateLog(deps.Log),
		cameras:   map[string]*cameraState{},
		wake:      make(chan struct{}, 1),
		sendWake:  make(chan struct{}, 1),
		reconnect: make(chan struct{}, 1),
	}
	p.flushFor.Store(int64(cfg.ShutdownTimeout))
	p.open = newOpenEvents(cfg.SpoolDir, deps.Log)
	return p, nil
}

// SetShutdownTimeout changes the bound of the final flush (a reloaded
// configuration); zero or less is ignored.
func (p *Publisher) SetShutdownTimeout(d time.Duration) {
	if d > 0 {
		p.flushFor.Store(int64(d))
	}
}

// Config returns the effective configuration (defaults filled in, and the
// latest SetShutdownTimeout).
func (p *Publisher) Config() Config {
	c := p.cfg
	c.ShutdownTimeout = time.Duration(p.flushFor.Load())
	return c
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// SetCamera adds a camera or changes it in place. Rules that already exist
// keep their state (an open event stays open and is judged by the new
// settings from the next segment on); rules no longer listed end their
// open event with reason "rule removed".
func (p *Publisher) SetCamera(id, name string, rules []Rule) error {
	if err := ValidateToken("camera", id); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if err := r.withDefaults().Validate(); err != nil {
			return fmt.Errorf("alerts: camera %s: %w", id, err)
		}
		if seen[r.ID] {
			return fmt.Errorf("alerts: camera %s: rule %s listed twice", id, r.ID)
		}
		seen[r.ID] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cam := p.cameras[id]
	if cam == nil {
		cam = &cameraState{rules: map[string]*ruleState{}}
		p.cameras[id] = cam
	}
	cam.name = name
	for rid, rs := range cam.rules {
		if !seen[rid] {
			p.forceEndLocked(id, cam, rid, rs, "rule removed")
			delete(cam.rules, rid)
		}
	}
	for _, r := range rules {
		texts := append([]string(nil), r.Texts...)
		if rs := cam.rules[r.ID]; rs != nil {
			rs.lc.setRule(r)
			rs.texts = texts
			continue
		}
		cam.rules[r.ID] = &ruleState{lc: newLifecycle(r, p.ids.next), texts: texts}
	}
	return nil
}

// RemoveCamera forgets a camera, ending its open events with reason
// (default "camera removed").
func (p *Publisher) RemoveCamera(id, reason string) {
	if reason == "" {
		reason = "camera removed"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cam := p.cameras[id]
	if cam == nil {
		return
	}
	for rid, rs := range cam.rules {
		p.forceEndLocked(id, cam, rid, rs, reason)
	}
	delete(p.cameras, id)
}

func (p *Publisher) forceEndLocked(camID string, cam *cameraState, ruleID string, rs *ruleState, reason string) {
	if tr, ok := rs.lc.forceEnd(reason, p.now()); ok {
		p.emitLocked(camID, cam, ruleID, rs, tr)
	}
}

// Submit feeds one segment score. It never waits for the network: events
// it causes are written to the spool (one buffered file write each) and
// sent by Run. Scores for unknown cameras or rules and out-of-order
// segments are counted and ignored.
func (p *Publisher) Submit(s detector.SegmentScore) {
	p.st.scores.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	cam := p.cameras[s.CameraID]
	var rs *ruleState
	if cam != nil {
		rs = cam.rules[s.RuleID]
	}
	if rs == nil {
		p.st.ignored.Add(1)
		p.rl.log1s(slog.LevelWarn, "unknown", "alerts: score for an unknown camera or rule ignored", "camera", s.CameraID, "rule", s.RuleID)
		return
	}
	now := p.now()
	tr, emit, ok := rs.lc.observeJump(&s, rs.lc.jumpedForward(&s, now, rs.lastWall))
	if ok {
		// Only accepted scores keep an open event alive.
		rs.lastWall = now
	}
	if !ok {
		p.st.outOfOrder.Add(1)
		p.rl.log1s(slog.LevelWarn, "order", "alerts: out-of-order segment ignored", "camera", s.CameraID, "rule", s.RuleID, "segment", s.Seq)
		return
	}
	if emit {
		p.emitLocked(s.CameraID, cam, s.RuleID, rs, tr)
	}
}

// CameraStatus publishes a camera state change ("online", "offline",
// "backoff", …) on <prefix>.status.<camera>, through the spool like events.
func (p *Publisher) CameraStatus(camera, state, reason string) error {
	if err := ValidateToken("camera", camera); err != nil {
		return fmt.Errorf("alerts: status: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	name := ""
	if cam := p.cameras[camera]; cam != nil {
		name = cam.name
	}
	now := p.now()
	st := Status{SchemaVersion: SchemaVersion, Camera: camera, CameraName: name, State: state, Reason: reason, Time: now.UTC(), Node: p.cfg.Node}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("alerts: status of camera %s: %w", camera, err)
	}
	if !p.appendLocked(spoolRecord{
		Kind: recMessage, Created: now, Target: p.subj.Status(camera),
		Key: p.ids.next(now) + "-status", Data: data,
	}) {
		// Said to the caller, which then sends the same status again
		// rather than take it for sent.
		return fmt.Errorf("alerts: status of camera %s: not spooled (spool full or publisher stopped)", camera)
	}
	p.st.statuses.Add(1)
	return nil
}

// emitLocked turns a transition into records: the snapshots first, then
// the event, so a consumer never sees an event whose images are missing.
func (p *Publisher) emitLocked(camID string, cam *cameraState, ruleID string, rs *ruleState, tr transition) {
	now := p.now()
	ev := Event{
		SchemaVersion: SchemaVersion, ID: tr.id, Seq: tr.seq, Kind: tr.kind,
		Camera: camID, CameraName: cam.name, Rule: ruleID, Texts: rs.texts,
		Score: round4(tr.score), Peak: round4(tr.peak),
		EndReason: tr.endReason, StartedAt: tr.startedAt.UTC(),
		Segments: SegmentSpan{First: tr.first, Last: tr.last}, Node: p.cfg.Node,
	}
	if ev.Texts == nil {
		ev.Texts = []string{}
	}
	if seg := tr.seg; seg != nil {
		// The schema says unit scores, and JSON has no NaN: a context
		// score out of range must not cost the event its message.
		ev.Contexts = detector.ContextScores{
			Frame: unitScore(seg.Contexts.Frame), Position: unitScore(seg.Contexts.Position),
			Temporal: unitScore(seg.Contexts.Temporal),
		}
		ev.Reasons, ev.Model = seg.Reasons, seg.Model
		ev.Reason = topReason(ev.Contexts, seg.Reasons)
		ev.Time = seg.End.UTC()
		if !tr.at.IsZero() {
			ev.Time = tr.at.UTC()
		}
	} else {
		ev.Time = now.UTC()
	}
	if tr.kind == KindEnded {
		t := tr.endedAt.UTC()
		ev.EndedAt = &t
		if tr.endReason != "score below threshold" {
			ev.Time = now.UTC()
		}
	}
	var objects []spoolRecord
	if tr.snapshots && !p.cfg.DisableSnapshots && tr.seg != nil {
		snap := &Snapshots{Bucket: p.cfg.SnapshotBucket}
		base := tr.id + "-" + strconv.Itoa(tr.seq) + "-"
		put := func(kind string, img []byte) string {
			if len(img) == 0 {
				return ""
			}
			name := base + kind + ".jpg"
			objects = append(objects, spoolRecord{Kind: recObject, Created: now, Target: p.cfg.SnapshotBucket, Key: name, Data: img})
			return name
		}
		snap.KeyFrame = put("keyframe", tr.seg.Images.KeyFrame)
		snap.Position = put("position", tr.seg.Images.Position)
		snap.Temporal = put("temporal", tr.seg.Images.Temporal)
		if snap.KeyFrame != "" || snap.Position != "" || snap.Temporal != "" {
			ev.Snapshots = snap
		}
	}
	data, err := json.Marshal(ev)
	if err != nil {
		// Nothing above should make this possible (scores are sanitized);
		// should it happen, no snapshot is stored for an event never sent.
		p.log.Error("alerts: encode event", "camera", camID, "rule", ruleID, "err", err)
		return
	}
	for _, r := range objects {
		p.appendLocked(r)
	}
	if ev.Kind != KindEnded {
		p.open.opening(&ev, tr.lastAbove) // journaled before it is spooled
	}
	rec := p.eventRecord(&ev, data, now)
	switch {
	case p.appendLocked(rec):
		// Journaled once it is spooled; one held in memory before Run is
		// marked when Run spools it.
		if ev.Kind == KindEnded && p.spool != nil {
			p.open.ended(ev.ID)
		}
	case ev.Kind == KindEnded && p.spool != nil && !p.stopped:
		// The alarm raised on started must not stay on: tried again.
		p.unsentEnds = append(p.unsentEnds, unsentEnd{id: ev.ID, rec: rec})
	}
	switch tr.kind {
	case KindStarted:
		p.st.started.Add(1)
	case KindUpdated:
		p.st.updated.Add(1)
	case KindEnded:
		p.st.ended.Add(1)
	}
}

// eventRecord is the spool record that publishes ev (encoded as data).
func (p *Publisher) eventRecord(ev *Event, data []byte, now time.Time) spoolRecord {
	return spoolRecord{
		Kind: recMessage, Created: now, Target: p.subj.Event(ev.Camera, ev.Rule),
		Key:     ev.ID + "-" + strconv.Itoa(ev.Seq),
		Headers: [][2]string{{HeaderKind, ev.Kind}, {HeaderEventID, ev.ID}},
		Data:    data,
	}
}

// startJournalLocked reads the open events the last run journaled and
// starts this run's journal with them and the events opened before Run.
// It returns those the last run left open: it crashed before it could end
// them.
func (p *Publisher) startJournalLocked() []openEvent {
	left, err := p.open.load()
	if err != nil {
		p.log.Error("alerts: events left open by the last run", "err", err)
	}
	left = p.foldSpoolLocked(left)
	for _, e := range left {
		p.open.events[e.Last.ID] = e
	}
	p.open.active = true
	p.open.report(p.open.compact())
	return left
}

// foldSpoolLocked adds to left what the spool (durable, maybe beyond
// the journal after a power loss) says of events: a started or updated
// message numbered after the journal's keeps its event open, an ended one
// closes it.
func (p *Publisher) foldSpoolLocked(left []openEvent) []openEvent {
	open := map[string]openEvent{}
	var order []string
	for _, e := range left {
		open[e.Last.ID] = e
		order = append(order, e.Last.ID)
	}
	head, next := p.spool.Bounds()
	for q := head; q < next; q++ {
		b, err := p.spool.Read(q)
		if err != nil {
			continue
		}
		r, err := decodeRecord(b)
		if err != nil || r.Kind != recMessage {
			continue
		}
		kind := ""
		for _, h := range r.Headers {
			if h[0] == HeaderKind {
				kind = h[1]
			}
		}
		if kind == "" {
			continue
		}
		var ev Event
		if json.Unmarshal(r.Data, &ev) != nil {
			continue
		}
		if kind == KindEnded {
			delete(open, ev.ID)
			continue
		}
		if e, ok := open[ev.ID]; ok && e.Last.Seq >= ev.Seq {
			continue
		}
		ev.Snapshots = nil
		e := openEvent{Last: ev, LastAbove: ev.Time}
		if !usable(&e) {
			continue
		}
		if _, ok := open[ev.ID]; !ok {
			order = append(order, ev.ID)
		}
		open[ev.ID] = e
	}
	out := left[:0:0]
	for _, id := range order {
		if e, ok := open[id]; ok {
			out = append(out, e)
			delete(open, id)
		}
	}
	return out
}

// endLeftOpenLocked ends the events the last run left open, with reason
// EndReasonRestart. Those whose ended message the spool cannot take yet
// (full while NATS is away) stay in leftOpen, tried again by the sync
// loop: an alarm raised on their started message must not stay on until
// some later restart.
func (p *Publisher) endLeftOpenLocked(left []openEvent, retry bool) {
	now := p.now()
	var waiting []openEvent
	for _, e := range left {
		ev := e.endMessage(now)
		data, err := json.Marshal(ev)
		if err != nil {
			p.log.Error("alerts: encode the end of an event left open", "event", ev.ID, "err", err)
			continue
		}
		if ok, _ := p.appendRecLocked(p.eventRecord(&ev, data, now), !retry); !ok {
			waiting = append(waiting, e)
			continue
		}
		p.open.ended(ev.ID)
		p.st.ended.Add(1)
		p.log.Warn("alerts: event left open by the last run ended", "event", ev.ID, "camera", ev.Camera, "rule", ev.Rule,
			"started_at", ev.StartedAt, "end_reason", ev.EndReason)
	}
	if len(waiting) > 0 && len(p.leftOpen) == 0 {
		p.log.Error("alerts: events left open by the last run wait for room in the spool to be ended", "events", len(waiting))
	}
	p.leftOpen = waiting
}

// unitScore is round4 of v clamped to [0, 1]; NaN is 0.
func unitScore(v float64) float64 {
	if v != v {
		return 0
	}
	return round4(min(max(v, 0), 1))
}

func round4(v float64) float64 {
	if v != v || v > 1e9 || v < -1e9 {
		return 0
	}
	return float64(int64(v*10000+0.5)) / 10000
}

// appendLocked puts a record in the spool (or, before Run opened it, in a
// small memory buffer) and reports whether it did. A full spool drops the
// record loudly.
func (p *Publisher) appendLocked(r spoolRecord) bool {
	// Ended messages waiting for room go first: a record made after them
	// must not take the room and reach the stream before them.
	if p.spool != nil && !p.stopped {
		if len(p.leftOpen) > 0 {
			p.endLeftOpenLocked(p.leftOpen, true)
		}
		p.retryEndsLocked()
	}
	ok, _ := p.appendRecLocked(r, true)
	return ok
}

// retryEndsLocked offers the ended messages the spool refused again; a
// refusal is not counted again.
func (p *Publisher) retryEndsLocked() {
	for len(p.unsentEnds) > 0 {
		u := p.unsentEnds[0]
		if ok, _ := p.appendRecLocked(u.rec, false); !ok {
			return
		}
		p.open.ended(u.id)
		p.unsentEnds = p.unsentEnds[1:]
	}
}

// appendRecLocked is appendLocked; count=false neither counts nor logs a
// full spool (a retry of a record already counted).
func (p *Publisher) appendRecLocked(r spoolRecord, count bool) (bool, error) {
	b := r.encode()
	switch {
	case p.stopped:
		p.st.spoolErrors.Add(1)
		p.rl.log1s(slog.LevelError, "stopped", "alerts: record after shutdown dropped", "subject", r.Target)
		return false, nil
	case p.spool == nil:
		if len(p.pre) >= preRunLimit {
			p.st.spoolFull.Add(1)
			p.rl.log1s(slog.LevelError, "prefull", "alerts: publisher not running yet and its buffer is full; record DROPPED", "subject", r.Target)
			return false, nil
		}
		p.pre = append(p.pre, b)
		return true, nil
	}
	if _, err := p.spool.Append(b); err != nil {
		if !count {
			// A retry of a record already counted, whatever the error.
			return false, err
		}
		if errors.Is(err, ErrSpoolFull) {
			p.st.spoolFull.Add(1)
			p.rl.log1s(slog.LevelError, "full", "alerts: spool full, record DROPPED (NATS unreachable for too long?)",
				"subject", r.Target, "max_bytes", p.cfg.SpoolMaxBytes, "max_records", p.cfg.SpoolMaxRecords)
		} else {
			p.st.spoolErrors.Add(1)
			p.rl.log1s(slog.LevelError, "spoolerr", "alerts: spool write failed, record DROPPED", "subject", r.Target, "err", err)
		}
		return false, err
	}
	signal(p.wake)
	return true, nil
}

// Connected reports whether the publisher holds a live NATS connection
// (for readiness probes).
func (p *Publisher) Connected() bool { return p.connected.Load() }

// MQTTAddr is the embedded server's MQTT host:port, once Run started it.
func (p *Publisher) MQTTAddr() string {
	if a := p.mqttAddr.Load(); a != nil {
		return *a
	}
	return ""
}

// ServerURL is the URL of the server in use once connected (the embedded
// server's, or the external one the connection chose), password masked.
func (p *Publisher) ServerURL() string {
	if a := p.serverURL.Load(); a != nil {
		return *a
	}
	return ""
}
