package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/internal/redact"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// ingest is one camera's source of segments: *stream.Camera for RTSP,
// *fileCamera for file:// URLs.
type ingest interface {
	Run(ctx context.Context) error
	Segments() <-chan *segment.Segment
	Stats() stream.CameraStats
}

// managerDeps are the camera manager's collaborators.
type managerDeps struct {
	Logger *slog.Logger
	// Detector scores segments; Submit never blocks.
	Detector interface {
		Submit(seg *segment.Segment, rules []detector.Rule) bool
		// ForgetCamera drops a removed camera's waiting segments.
		ForgetCamera(camera string) int
		// DroppedFor counts a camera's segments dropped because the
		// detector lagged.
		DroppedFor(camera string) uint64
	}
	// Gate is the detector's motion gate: each camera's own configuration
	// is set on it, and the state of removed rules forgotten.
	Gate interface {
		SetCamera(camera string, cfg detector.GateConfig)
		RemoveCamera(camera string)
		Forget(camera, rule string)
	}
	// Alerts learns cameras and rules, and hears camera state changes.
	Alerts interface {
		SetCamera(id, name string, rules []alerts.Rule) error
		RemoveCamera(id, reason string)
		CameraStatus(camera, state, reason string) error
		RuleStates() []alerts.RuleState
	}
	// Scores counts gated scores per camera.
	Scores *scoreBook
	// NewCamera builds a camera's ingest; it does no I/O.
	NewCamera func(stream.CameraConfig, stream.Deps) ingest
	// StatusRetry is how often a camera status the publisher could not
	// take (its spool full) is offered again (0 = 5 s).
	StatusRetry time.Duration
}

// Manager is the daemon's CameraManager: one isolated pipeline per
// enabled camera (a stream.Camera and a goroutine handing its segments to
// the detector with the camera's current rules), reconciled with every
// reloaded configuration camera by camera. A camera that cannot connect
// or stalls only ever blocks its own goroutines: Submit and the status
// updates never wait.
type Manager struct {
	deps managerDeps
	log  *slog.Logger
	wake chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	cams    map[string]*cameraEntry
	pending []*cameraRun // built by Reconcile, started by Run
	stopped bool
	// nextSeq keeps a forgotten camera's numbering: enabled again, it
	// goes on (scores of its old segments may still be in flight).
	nextSeq map[string]uint64
	// unsentRemovals are removed cameras whose "offline" status the
	// publisher could not take yet.
	unsentRemovals map[string]bool
}

// forgetLocked drops a removed camera's entry, keeping its numbering.
func (m *Manager) forgetLocked(e *cameraEntry) {
	e.seqMu.Lock()
	m.nextSeq[e.id] = e.nextSeq
	e.seqMu.Unlock()
	delete(m.cams, e.id)
}

// cameraEntry is one camera id across restarts.
type cameraEntry struct {
	id      string
	name    string
	rules   atomic.Pointer[ruleSet]
	cur     *cameraRun   // nil once removed
	retired []*cameraRun // stopping, counted until they return
	base    counters     // finished runs' counters

	// Segment numbers go on across the camera's runs (a restart for a new
	// URL or segment length): the alerts take a later number with an
	// earlier time for a clock step, and an event's segment span must not
	// run backwards. seqMu orders a run's numbering against its retirement.
	seqMu   sync.Mutex
	nextSeq uint64 // the lowest number the next segment may have

	// detDropBase is the detector's drop count for this camera id when
	// the entry was made: a camera added again counts from 0, as its
	// stream counters do.
	detDropBase uint64
}

// cameraRun is one stream.Camera's life, from start to stop.
type cameraRun struct {
	entry  *cameraEntry
	cam    ingest
	cancel context.CancelFunc // nil until started
	stop   bool               // stopped before it was started
	// left is set once the camera has left its first connecting state
	// (streaming, or a failure it backs off from).
	left atomic.Bool
	// seqBase is added to the camera's own segment numbers; retired is
	// set when a newer run takes over (both under entry.seqMu).
	seqBase uint64
	retired bool
	// status is the run's last state and reason published, want the
	// latest reported (both under Manager.mu): a camera retrying with the
	// same failure is not news on every try; a status the publisher could
	// not take is offered again; a new run (a restart) reports afresh.
	status, want [2]string
	// statusFailed is set while publishing want fails (logged once).
	statusFailed bool
}

func newManager(deps managerDeps) *Manager {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.NewCamera == nil {
		deps.NewCamera = newCamera
	}
	if deps.StatusRetry <= 0 {
		deps.StatusRetry = 5 * time.Second
	}
	return &Manager{deps: deps, log: deps.Logger, wake: make(chan struct{}, 1), cams: map[string]*cameraEntry{},
		nextSeq: map[string]uint64{}, unsentRemovals: map[string]bool{}}
}

// Run starts the pipelines Reconcile asks for until ctx ends, then stops
// them all and returns once every camera goroutine has.
func (m *Manager) Run(ctx context.Context) error {
	retry := time.NewTicker(m.deps.StatusRetry)
	defer retry.Stop()
	for {
		m.startPending(ctx)
		select {
		case <-retry.C:
			m.retryStatuses()
			continue
		case <-ctx.Done():
			m.mu.Lock()
			m.stopped = true
			m.pending = nil
			for _, e := range m.cams {
				for _, r := range append([]*cameraRun{e.cur}, e.retired...) {
					if r != nil && r.cancel != nil {
						r.cancel()
					}
				}
			}
			m.mu.Unlock()
			m.wg.Wait()
			return nil
		case <-m.wake:
		}
	}
}

func (m *Manager) startPending(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.pending {
		if r.stop {
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		r.cancel = cancel
		m.wg.Add(2)
		go func() {
			defer m.wg.Done()
			// Run returns nil when its context ends; a camera that can
			// never work reports state failed instead of returning.
			_ = r.cam.Run(rctx)
		}()
		go func() {
			defer m.wg.Done()
			m.feed(r)
			m.finish(r)
		}()
	}
	m.pending = nil
}

// feed hands the camera's segments to the detector with the rules active
// at each segment's start, until the camera closes its output.
func (m *Manager) feed(r *cameraRun) {
	// A segment the detector does not take is released here, so a
	// recycling camera gets its images back.
	for seg := range r.cam.Segments() {
		rs := r.entry.rules.Load()
		if rs == nil || !r.number(seg) {
			seg.Release()
			continue // the camera was removed or restarted; this run is stopping
		}
		rules := rs.at(seg.Start())
		if len(rules) == 0 || !m.deps.Detector.Submit(seg, rules) {
			seg.Release()
		}
	}
}

// number gives seg its number in the camera's sequence, or reports false
// when a newer run has taken over: a stopping run's last segment would
// take numbers the new run uses.
func (r *cameraRun) number(seg *segment.Segment) bool {
	e := r.entry
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if r.retired {
		return false
	}
	seg.Seq += r.seqBase
	e.nextSeq = max(e.nextSeq, seg.Seq+1)
	return true
}

// finish folds a stopped run's counters into its camera's and forgets it.
func (m *Manager) finish(r *cameraRun) {
	st := r.cam.Stats()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := r.entry
	e.base.add(st)
	if e.cur == r {
		e.cur = nil // only at shutdown: Reconcile retires runs it stops
	}
	for i, x := range e.retired {
		if x == r {
			e.retired = append(e.retired[:i], e.retired[i+1:]...)
			break
		}
	}
	if e.cur == nil && len(e.retired) == 0 && m.cams[e.id] == e && e.removed() {
		m.forgetLocked(e)
	}
}

func (e *cameraEntry) removed() bool { return e.rules.Load() == nil }

// onState is a camera's state callback: it tells the publisher, but only
// for the camera's current run (a stopping run's last states are noise).
func (m *Manager) onState(r *cameraRun, st stream.CameraStats) {
	if st.State != stream.StateConnecting {
		r.left.Store(true)
	}
	var state string
	switch st.State {
	case stream.StateStreaming:
		state = "online"
	case stream.StateBackoff:
		state = "backoff"
	case stream.StateFailed:
		state = "failed"
	case stateFinished:
		state = "offline"
		st.LastError = "end of file"
	default:
		return // connecting: every retry passes through it
	}
	// The lock is held across the publish: a Reconcile that removes the
	// camera (and publishes "offline") must come wholly before or after
	// it, or a removed camera's last status could read "online". Reconcile
	// never waits on cameras, and this runs on the camera's goroutine.
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.entry.cur != r || m.stopped {
		return
	}
	// The camera masks credentials in its errors; masking again costs
	// nothing and keeps a password out of the event stream for sure.
	r.want = [2]string{state, redact.URLsInText(st.LastError)}
	m.publishLocked(r)
}

// publishLocked offers r's wanted status to the publisher unless it is
// the one published last.
func (m *Manager) publishLocked(r *cameraRun) {
	if r.want == r.status || r.want == ([2]string{}) {
		return
	}
	if err := m.deps.Alerts.CameraStatus(r.entry.id, r.want[0], r.want[1]); err != nil {
		if !r.statusFailed {
			m.log.Warn("camera status not published; offered again every few seconds", "camera", r.entry.id, "state", r.want[0], "err", err)
		}
		r.statusFailed = true
		return
	}
	r.status, r.statusFailed = r.want, false
}

// retryStatuses offers again the statuses the publisher could not take.
func (m *Manager) retryStatuses() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	for _, e := range m.cams {
		if r := e.cur; r != nil && r.cancel != nil {
			m.publishLocked(r)
		}
	}
	for id := range m.unsentRemovals {
		if m.deps.Alerts.CameraStatus(id, "offline", "camera removed") == nil {
			delete(m.unsentRemovals, id)
		}
	}
}

// Reconcile brings the cameras to cfg as diff says; it starts and stops
// pipelines asynchronously and never waits on camera I/O.
func (m *Manager) Reconcile(_ context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return errors.New("camera manager stopped")
	}
	var errs []error
	for _, cd := range diff.Cameras {
		if err := m.reconcileLocked(cfg, &cd); err != nil {
			errs = append(errs, fmt.Errorf("camera %s: %w", cd.ID, err))
		}
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return errors.Join(errs...)
}

func (m *Manager) reconcileLocked(cfg *configs.Config, cd *configs.CameraDiff) error {
	e := m.cams[cd.ID]
	if cd.Change == configs.CameraRemoved {
		if e == nil || e.removed() {
			return nil
		}
		ids := e.rules.Load().ids()
		e.rules.Store(nil)
		m.retireLocked(e)
		if len(e.retired) == 0 {
			m.forgetLocked(e) // it never started: nothing to wait for
		}
		m.deps.Alerts.RemoveCamera(cd.ID, "camera removed")
		if err := m.deps.Alerts.CameraStatus(cd.ID, "offline", "camera removed"); err != nil {
			m.log.Warn("camera status not published; offered again every few seconds", "camera", cd.ID, "err", err)
			m.unsentRemovals[cd.ID] = true
		}
		// The detector first: from then on, results still in flight leave
		// the gate alone, so the state forgotten below stays forgotten.
		// ForgetCamera resets the detector's count: keep what it counted
		// in the entry, which a quick re-add reuses (its stream counters
		// go on too).
		if d := m.deps.Detector.DroppedFor(cd.ID); d > e.detDropBase {
			e.base.segDropped += d - e.detDropBase
		}
		e.detDropBase = 0
		if n := m.deps.Detector.ForgetCamera(cd.ID); n > 0 {
			m.log.Info("waiting segments of a removed camera dropped", "camera", cd.ID, "segments", n)
		}
		for _, id := range ids {
			m.deps.Gate.Forget(cd.ID, id)
		}
		m.deps.Gate.RemoveCamera(cd.ID)
		m.deps.Scores.forget(cd.ID)
		m.log.Info("camera stopped", "camera", cd.ID, "reason", "removed from the configuration")
		return nil
	}
	c := cfg.Camera(cd.ID)
	if c == nil {
		return errors.New("not in the configuration")
	}
	restart := cd.Change == configs.CameraRestart || cd.Change == configs.CameraAdded || e == nil || e.cur == nil
	delete(m.unsentRemovals, c.ID) // back: its run reports its own status
	if e == nil {
		e = &cameraEntry{id: c.ID, nextSeq: m.nextSeq[c.ID], detDropBase: m.deps.Detector.DroppedFor(c.ID)}
		m.cams[c.ID] = e
	}
	e.name = c.Name
	e.rules.Store(cameraRules(cfg, c))
	// The camera's effective gate (its own motion_gate, or what it
	// inherits from defaults) applies from its next segment, whatever
	// else changed; a change alone never reconnects.
	gate := gateConfig(c.MotionGate)
	m.deps.Gate.SetCamera(c.ID, gate)
	if cd.Change == configs.CameraUpdated && changedUnder(cd.Fields, "motion_gate") {
		m.log.Info("camera motion gate changed", "camera", c.ID, "enabled", gate.Enabled,
			"threshold", gate.Threshold, "refresh", gate.Refresh.String())
	}
	for _, id := range cd.RulesRemoved {
		m.deps.Gate.Forget(c.ID, id)
	}
	// The publisher must know the rules before the first score arrives.
	setErr := m.deps.Alerts.SetCamera(c.ID, c.Name, alertRules(c))
	if restart {
		m.retireLocked(e)
		e.seqMu.Lock()
		r := &cameraRun{entry: e, seqBase: e.nextSeq}
		e.seqMu.Unlock()
		scfg := cameraConfig(c)
		r.cam = m.deps.NewCamera(scfg, stream.Deps{
			Logger:  m.log,
			OnState: func(st stream.CameraStats) { m.onState(r, st) },
		})
		e.cur = r
		m.pending = append(m.pending, r)
		m.log.Info("camera starting", "camera", c.ID, "url", c.URL, "change", cd.Change.String())
	}
	return setErr
}

// changedUnder reports whether a field at or under key changed.
func changedUnder(fields []string, key string) bool {
	for _, f := range fields {
		if f == key || strings.HasPrefix(f, key+".") {
			return true
		}
	}
	return false
}

// retireLocked stops e's current run, if any.
func (m *Manager) retireLocked(e *cameraEntry) {
	r := e.cur
	if r == nil {
		return
	}
	e.cur = nil
	e.seqMu.Lock()
	r.retired = true
	e.seqMu.Unlock()
	if r.cancel == nil {
		// Never started: drop it from the pending list's effect.
		r.stop = true
		return
	}
	e.retired = append(e.retired, r)
	r.cancel()
}

// Ready returns nil when every camera is streaming or backing off after a
// failure; a camera still making its first connection, or one that failed
// for good, is not ready.
func (m *Manager) Ready(context.Context) error {
	var problems []string
	for _, v := range m.views() {
		if v.run == nil {
			continue
		}
		st := v.run.cam.Stats()
		switch {
		case st.State == stream.StateFailed:
			problems = append(problems, fmt.Sprintf("camera %s failed: %s", v.id, st.LastError))
		case !v.run.left.Load():
			problems = append(problems, fmt.Sprintf("camera %s connecting", v.id))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// view is what CameraStats and Ready read of one camera, copied under the
// lock so that the cameras' own locks are taken without it.
type view struct {
	id, name    string
	rules       *ruleSet
	run         *cameraRun
	retired     []*cameraRun
	base        counters
	detDropBase uint64
}

func (m *Manager) views() []view {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]view, 0, len(m.cams))
	for _, e := range m.cams {
		if e.removed() {
			continue
		}
		out = append(out, view{id: e.id, name: e.name, rules: e.rules.Load(), run: e.cur,
			retired: append([]*cameraRun(nil), e.retired...), base: e.base, detDropBase: e.detDropBase})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// CameraStats is a snapshot per camera. Counters add up every run of the
// camera (a camera restarted by a reload keeps counting).
func (m *Manager) CameraStats() []daemon.CameraStats {
	now := time.Now()
	type key struct{ camera, rule string }
	states := map[key]alerts.RuleState{}
	for _, s := range m.deps.Alerts.RuleStates() {
		states[key{s.Camera, s.Rule}] = s
	}
	var out []daemon.CameraStats
	for _, v := range m.views() {
		cs := daemon.CameraStats{ID: v.id, Name: v.name, State: daemon.CameraStopped}
		total := v.base
		for _, r := range v.retired {
			total.add(r.cam.Stats())
		}
		if v.run != nil {
			st := v.run.cam.Stats()
			total.add(st)
			cs.State = cameraState(st.State)
			cs.LastError = st.LastError
			if st.LastError != "" && (st.State == stream.StateBackoff || st.State == stream.StateFailed) {
				cs.LastErrorAt = st.Since
			}
		}
		cs.Frames, cs.FramesDropped, cs.DecodeErrors = total.frames, total.dropped, total.decodeErrors
		cs.Reconnects, cs.Segments, cs.SegmentsDropped = total.reconnects, total.segments, total.segDropped
		// The camera's own queue to the detector never fills (Submit does
		// not block): the detector's queue is where lag drops segments.
		if d := m.deps.Detector.DroppedFor(v.id); d > v.detDropBase {
			cs.SegmentsDropped += d - v.detDropBase
		}
		cs.SegmentsGated = m.deps.Scores.camera(v.id)
		for _, r := range v.rules.rules {
			rs := daemon.RuleStatus{ID: r.det.ID, Active: r.enabled && configs.ActiveAt(r.hours, now, v.rules.loc)}
			if s, ok := states[key{v.id, r.det.ID}]; ok {
				rs.LastScore, rs.LastScoreAt = s.Score, s.ScoreAt
				if s.Open {
					rs.Open = &daemon.OpenEvent{ID: s.EventID, StartedAt: s.StartedAt, Peak: s.Peak}
				}
			}
			cs.Rules = append(cs.Rules, rs)
		}
		out = append(out, cs)
	}
	return out
}

func cameraState(s string) string {
	switch s {
	case stream.StateStreaming:
		return daemon.CameraStreaming
	case stream.StateBackoff:
		return daemon.CameraBackoff
	case stream.StateFailed:
		return daemon.CameraFailed
	case stateFinished:
		return daemon.CameraStopped
	}
	return daemon.CameraConnecting
}

// counters are the cumulative counters of a camera's runs.
type counters struct {
	frames, dropped, decodeErrors, reconnects, segments, segDropped uint64
}

func (c *counters) add(s stream.CameraStats) {
	c.frames += s.FramesDecoded
	c.dropped += s.FramesDropped
	c.decodeErrors += s.DecodeErrors
	c.reconnects += s.Reconnects
	c.segments += s.Segments
	c.segDropped += s.SegmentDrops
}
