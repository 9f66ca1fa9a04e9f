package pipeline

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// statusIngest goes online at once and stays until cancelled.
type statusIngest struct {
	id  string
	out chan *segment.Segment
	on  func(stream.CameraStats)
}

func (c *statusIngest) Run(ctx context.Context) error {
	c.on(stream.CameraStats{ID: c.id, State: stream.StateStreaming})
	<-ctx.Done()
	close(c.out)
	return nil
}
func (c *statusIngest) Segments() <-chan *segment.Segment { return c.out }
func (c *statusIngest) Stats() stream.CameraStats         { return stream.CameraStats{ID: c.id} }

// heldAlerts records statuses and holds the first "online" publish until
// released, as a preempted camera goroutine would.
type heldAlerts struct {
	nopAlerts
	mu      sync.Mutex
	log     []string
	entered chan struct{}
	release chan struct{}
}

func (a *heldAlerts) CameraStatus(_, state, _ string) error {
	if state == "online" {
		close(a.entered)
		<-a.release
	}
	a.mu.Lock()
	a.log = append(a.log, state)
	a.mu.Unlock()
	return nil
}

// TestRemovedCameraStatusEndsOffline: a camera's state publish and a
// Reconcile that removes the camera cannot interleave, so the removed
// camera's last status is "offline". The publish once ran after the
// manager's lock was dropped, and an "online" could land after the
// removal's "offline" and stay the camera's last word.
func TestRemovedCameraStatusEndsOffline(t *testing.T) {
	al := &heldAlerts{entered: make(chan struct{}), release: make(chan struct{})}
	m := newManager(managerDeps{Detector: &choosyDetector{}, Gate: nopGate{}, Alerts: al, Scores: newScoreBook(),
		NewCamera: func(c stream.CameraConfig, d stream.Deps) ingest {
			return &statusIngest{id: c.ID, out: make(chan *segment.Segment), on: d.OnState}
		}})
	env := configs.Env{Lookup: func(string) (string, bool) { return "", false }, Hostname: func() (string, error) { return "test", nil }}
	doc := func(enabled string) *configs.Config {
		cfg, err := configs.Parse("x.yaml", []byte(`
cameras:
  - id: c1
    enabled: `+enabled+`
    url: rtsp://127.0.0.1:1/none
    rules:
      - id: r1
        texts: ["red square"]
`), env)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	on, off := doc("true"), doc("false")
	if err := m.Reconcile(t.Context(), on, configs.Diff(nil, on)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-al.entered // the camera is publishing "online"
	if m.mu.TryLock() {
		m.mu.Unlock()
		close(al.release)
		cancel()
		<-done
		t.Fatal("the state publish runs without the manager's lock: a Reconcile can slip in between")
	}
	removed := make(chan error, 1)
	go func() { removed <- m.Reconcile(t.Context(), off, configs.Diff(on, off)) }()
	close(al.release)
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	al.mu.Lock()
	defer al.mu.Unlock()
	if !slices.Equal(al.log, []string{"online", "offline"}) {
		t.Fatalf("statuses of the removed camera: %v, want [online offline]", al.log)
	}
}

const oneCamera = "cameras:\n  - id: c1\n    url: rtsp://127.0.0.1:1/none\n    rules: [{id: r1, texts: [red square]}]\n"

// scriptIngest reports a script of states, then waits until cancelled.
type scriptIngest struct {
	statusIngest
	script []stream.CameraStats
}

func (c *scriptIngest) Run(ctx context.Context) error {
	for _, st := range c.script {
		c.on(st)
	}
	<-ctx.Done()
	close(c.out)
	return nil
}

// logAlerts records "state: reason" per status published.
type logAlerts struct {
	nopAlerts
	mu  sync.Mutex
	log []string
}

func (a *logAlerts) CameraStatus(_, state, reason string) error {
	a.mu.Lock()
	a.log = append(a.log, state+": "+reason)
	a.mu.Unlock()
	return nil
}

func (a *logAlerts) published() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.log)
}

// TestCameraStatusOnlyOnChange: a camera that keeps failing the same way
// (every retry passes through backoff again) publishes its status once,
// not on every retry: a dead camera once sent thousands of identical
// statuses a day into the stream.
func TestCameraStatusOnlyOnChange(t *testing.T) {
	al := &logAlerts{}
	refused := stream.CameraStats{ID: "c1", State: stream.StateBackoff, LastError: "connection refused"}
	script := []stream.CameraStats{
		{ID: "c1", State: stream.StateConnecting}, refused,
		{ID: "c1", State: stream.StateConnecting}, refused,
		{ID: "c1", State: stream.StateConnecting}, refused,
		{ID: "c1", State: stream.StateBackoff, LastError: "401 bad credentials"},
		{ID: "c1", State: stream.StateStreaming},
		refused,
	}
	started := make(chan struct{})
	m := newManager(managerDeps{Detector: &choosyDetector{}, Gate: nopGate{}, Alerts: al, Scores: newScoreBook(),
		NewCamera: func(c stream.CameraConfig, d stream.Deps) ingest {
			close(started)
			return &scriptIngest{statusIngest: statusIngest{id: c.ID, out: make(chan *segment.Segment), on: d.OnState}, script: script}
		}})
	cfg := mustParse(t, oneCamera)
	if err := m.Reconcile(t.Context(), cfg, configs.Diff(nil, cfg)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-started
	want := []string{"backoff: connection refused", "backoff: 401 bad credentials", "online: ", "backoff: connection refused"}
	deadline := time.Now().Add(10 * time.Second)
	for len(al.published()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := al.published(); !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q", got, want)
	}
}

// fullOnceAlerts refuses the first status (the spool was full), then
// takes every one.
type fullOnceAlerts struct {
	nopAlerts
	mu    sync.Mutex
	calls []string
}

func (a *fullOnceAlerts) CameraStatus(_, state, _ string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, state)
	if len(a.calls) == 1 {
		return errors.New("alerts: status of camera c1: not spooled (spool full or publisher stopped)")
	}
	return nil
}

func (a *fullOnceAlerts) n() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// TestDroppedStatusIsSentAgain: a status the publisher could not take
// (its spool full) is offered again. The camera's state callback alone
// would never do it for a camera that streams steadily: its dropped
// "online" would leave its last word on the stream "backoff" for as long
// as it streams.
func TestDroppedStatusIsSentAgain(t *testing.T) {
	al := &fullOnceAlerts{}
	m := newManager(managerDeps{Detector: &choosyDetector{}, Gate: nopGate{}, Alerts: al, Scores: newScoreBook(), StatusRetry: 20 * time.Millisecond,
		NewCamera: func(c stream.CameraConfig, d stream.Deps) ingest {
			return &statusIngest{id: c.ID, out: make(chan *segment.Segment), on: d.OnState}
		}})
	cfg := mustParse(t, oneCamera)
	if err := m.Reconcile(t.Context(), cfg, configs.Diff(nil, cfg)); err != nil {
		t.Fatal(err)
	}
	defer runManager(t, m)()
	deadline := time.Now().Add(15 * time.Second)
	for al.n() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if al.n() < 2 {
		t.Fatalf("the dropped \"online\" of a camera that keeps streaming was never sent again (CameraStatus calls: %d)", al.n())
	}
}

// refuseOfflineOnce refuses the first "offline" (the spool was full).
type refuseOfflineOnce struct {
	nopAlerts
	mu      sync.Mutex
	offline int
	online  bool
}

func (a *refuseOfflineOnce) CameraStatus(_, state, _ string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch state {
	case "online":
		a.online = true
	case "offline":
		a.offline++
		if a.offline == 1 {
			return errors.New("alerts: status of camera c1: not spooled (spool full or publisher stopped)")
		}
	}
	return nil
}

func (a *refuseOfflineOnce) counts() (bool, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.online, a.offline
}

// TestRemovalStatusIsSentAgain: a removed camera's "offline" that the
// publisher could not take is offered again too.
func TestRemovalStatusIsSentAgain(t *testing.T) {
	al := &refuseOfflineOnce{}
	m := newManager(managerDeps{Detector: &choosyDetector{}, Gate: nopGate{}, Alerts: al, Scores: newScoreBook(), StatusRetry: 20 * time.Millisecond,
		NewCamera: func(c stream.CameraConfig, d stream.Deps) ingest {
			return &statusIngest{id: c.ID, out: make(chan *segment.Segment), on: d.OnState}
		}})
	doc := func(enabled string) *configs.Config {
		return mustParse(t, "cameras:\n  - id: c1\n    enabled: "+enabled+"\n    url: rtsp://127.0.0.1:1/none\n    rules: [{id: r1, texts: [red square]}]\n")
	}
	on, off := doc("true"), doc("false")
	if err := m.Reconcile(t.Context(), on, configs.Diff(nil, on)); err != nil {
		t.Fatal(err)
	}
	defer runManager(t, m)()
	waitUntil(t, "online", func() bool { online, _ := al.counts(); return online })
	if err := m.Reconcile(t.Context(), off, configs.Diff(on, off)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "offline offered again", func() bool { _, n := al.counts(); return n >= 2 })
}

// runManager runs m until the returned stop is called.
func runManager(t *testing.T, m *Manager) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
