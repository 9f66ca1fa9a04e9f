package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// scriptedIngest is a camera whose segments the test hands out one by one.
type scriptedIngest struct{ out chan *segment.Segment }

func (c *scriptedIngest) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
func (c *scriptedIngest) Segments() <-chan *segment.Segment { return c.out }
func (c *scriptedIngest) Stats() stream.CameraStats         { return stream.CameraStats{} }

// choosyDetector takes a segment only when accept says so.
type choosyDetector struct {
	accept    atomic.Bool
	submitted atomic.Int64
}

func (d *choosyDetector) Submit(*segment.Segment, []detector.Rule) bool {
	d.submitted.Add(1)
	return d.accept.Load()
}

func (d *choosyDetector) ForgetCamera(string) int  { return 0 }
func (d *choosyDetector) DroppedFor(string) uint64 { return 0 }

type nopGate struct{}

func (nopGate) SetCamera(string, detector.GateConfig) {}
func (nopGate) RemoveCamera(string)                   {}
func (nopGate) Forget(string, string)                 {}

type nopAlerts struct{}

func (nopAlerts) SetCamera(string, string, []alerts.Rule) error { return nil }
func (nopAlerts) RemoveCamera(string, string)                   {}
func (nopAlerts) CameraStatus(string, string, string) error     { return nil }
func (nopAlerts) RuleStates() []alerts.RuleState                { return nil }

// TestManagerReleasesSegmentsItDoesNotHandOver: a segment the detector
// refuses (its queue is full) goes back to the camera's image pool at once;
// one the detector takes is the detector's to release.
func TestManagerReleasesSegmentsItDoesNotHandOver(t *testing.T) {
	cam := &scriptedIngest{out: make(chan *segment.Segment)}
	det := &choosyDetector{}
	m := newManager(managerDeps{Detector: det, Gate: nopGate{}, Alerts: nopAlerts{}, Scores: newScoreBook(),
		NewCamera: func(stream.CameraConfig, stream.Deps) ingest { return cam }})
	cfg, err := configs.Parse("release.yaml", []byte(`
cameras:
  - id: c1
    url: rtsp://127.0.0.1:1/none
    rules:
      - id: r1
        texts: ["red square"]
`), configs.Env{Lookup: func(string) (string, bool) { return "", false }, Hostname: func() (string, error) { return "test", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Reconcile(context.Background(), cfg, configs.Diff(nil, cfg)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		close(cam.out)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	var mu sync.Mutex
	released := map[uint64]int{}
	send := func(seq uint64) {
		seg := &segment.Segment{CameraID: "c1", Seq: seq, Frames: []segment.Frame{{CameraID: "c1", Wall: time.Now()}}}
		seg.SetRelease(func() {
			mu.Lock()
			released[seq]++
			mu.Unlock()
		})
		select {
		case cam.out <- seg:
		case <-time.After(10 * time.Second):
			t.Fatalf("the manager did not read segment %d", seq)
		}
	}
	count := func(seq uint64) int {
		mu.Lock()
		defer mu.Unlock()
		return released[seq]
	}
	waitSubmitted := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); det.submitted.Load() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d segments submitted, want %d", det.submitted.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}

	t.Run("refused", func(t *testing.T) {
		det.accept.Store(false)
		send(1)
		waitSubmitted(1)
		for deadline := time.Now().Add(10 * time.Second); count(1) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("a refused segment was never released")
			}
			time.Sleep(time.Millisecond)
		}
		if n := count(1); n != 1 {
			t.Fatalf("released %d times", n)
		}
	})
	t.Run("taken", func(t *testing.T) {
		det.accept.Store(true)
		send(2)
		waitSubmitted(2)
		// The manager's loop handles a segment completely before it reads
		// the next, so once segment 3 is read, segment 2 is done with.
		send(3)
		if n := count(2); n != 0 {
			t.Fatalf("a segment the detector took was released %d times by the manager", n)
		}
	})
}
