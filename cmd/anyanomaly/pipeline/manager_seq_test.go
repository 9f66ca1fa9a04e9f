package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// seqDetector records the numbers of the segments it takes.
type seqDetector struct {
	mu   sync.Mutex
	seqs []uint64
}

func (d *seqDetector) Submit(seg *segment.Segment, _ []detector.Rule) bool {
	d.mu.Lock()
	d.seqs = append(d.seqs, seg.Seq)
	d.mu.Unlock()
	seg.Release()
	return true
}

func (d *seqDetector) ForgetCamera(string) int  { return 0 }
func (d *seqDetector) DroppedFor(string) uint64 { return 0 }

func (d *seqDetector) taken() []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]uint64(nil), d.seqs...)
}

// seqRig is a manager whose cameras are scripted, one per run, and whose
// detector records the numbers it takes.
type seqRig struct {
	t    *testing.T
	m    *Manager
	det  *seqDetector
	mu   sync.Mutex
	cams []*scriptedIngest
}

func newSeqRig(t *testing.T) *seqRig {
	r := &seqRig{t: t, det: &seqDetector{}}
	r.m = newManager(managerDeps{Detector: r.det, Gate: nopGate{}, Alerts: nopAlerts{}, Scores: newScoreBook(),
		NewCamera: func(stream.CameraConfig, stream.Deps) ingest {
			r.mu.Lock()
			defer r.mu.Unlock()
			c := &scriptedIngest{out: make(chan *segment.Segment)}
			r.cams = append(r.cams, c)
			return c
		}})
	return r
}

// camera waits for the i-th camera run to be built.
func (r *seqRig) camera(i int) *scriptedIngest {
	r.t.Helper()
	var c *scriptedIngest
	waitUntil(r.t, fmt.Sprintf("camera run %d built", i), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.cams) > i {
			c = r.cams[i]
		}
		return c != nil
	})
	return c
}

// config is camera c1 at url, enabled or not.
func (r *seqRig) config(url string, enabled bool) *configs.Config {
	return mustParse(r.t, fmt.Sprintf("cameras:\n  - id: c1\n    enabled: %v\n    url: %s\n    rules: [{id: r1, texts: [red square]}]\n", enabled, url))
}

func (r *seqRig) reconcile(from, to *configs.Config) {
	r.t.Helper()
	if err := r.m.Reconcile(context.Background(), to, configs.Diff(from, to)); err != nil {
		r.t.Fatal(err)
	}
}

// send hands the manager camera c's own segment seq.
func (r *seqRig) send(c *scriptedIngest, seq uint64) {
	r.t.Helper()
	seg := &segment.Segment{CameraID: "c1", Seq: seq, Frames: []segment.Frame{{CameraID: "c1", Wall: time.Now()}}}
	select {
	case c.out <- seg:
	case <-time.After(10 * time.Second):
		r.t.Fatalf("the manager did not read segment %d", seq)
	}
}

func (r *seqRig) waitTaken(n int) {
	r.t.Helper()
	waitUntil(r.t, fmt.Sprintf("%d segments taken", n), func() bool { return len(r.det.taken()) >= n })
}

// run runs the manager; the returned stop ends it, closes the outputs of
// the cameras still running (Run waits for their feeds) and checks Run's
// result.
func (r *seqRig) run() (stop func(running ...*scriptedIngest)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.m.Run(ctx) }()
	return func(running ...*scriptedIngest) {
		cancel()
		for _, c := range running {
			close(c.out)
		}
		if err := <-done; err != nil {
			r.t.Fatal(err)
		}
	}
}

// start reconciles to cfg, runs the manager and has its first camera run
// deliver segments 0, 1 and 2.
func (r *seqRig) start(cfg *configs.Config) (stop func(running ...*scriptedIngest), first *scriptedIngest) {
	r.t.Helper()
	r.reconcile(nil, cfg)
	stop = r.run()
	first = r.camera(0)
	for seq := range uint64(3) {
		r.send(first, seq)
	}
	r.waitTaken(3)
	return stop, first
}

// waitUntil polls cond until it holds or 10 s have passed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// mustParse parses a test configuration.
func mustParse(t *testing.T, yaml string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse("test.yaml", []byte(yaml), configs.Env{Lookup: func(string) (string, bool) { return "", false }, Hostname: func() (string, error) { return "test", nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestManagerNumbersSegmentsAcrossRestarts: a camera restarted for a new
// URL starts its own numbering at 0 again; the manager carries the
// camera's sequence on, so that the alerts never see a later segment with
// a lower number (an event's span running backwards, a clock step taken
// for a late segment). A stopping run's last segment is dropped.
func TestManagerNumbersSegmentsAcrossRestarts(t *testing.T) {
	r := newSeqRig(t)
	first, second := r.config("rtsp://127.0.0.1:1/a", true), r.config("rtsp://127.0.0.1:1/b", true)
	stop, old := r.start(first)
	r.reconcile(first, second)
	cur := r.camera(1)
	r.send(old, 3) // the stopping run's last segment
	close(old.out)
	r.send(cur, 0)
	r.send(cur, 1)
	r.waitTaken(5)
	stop(cur)
	if got := fmt.Sprint(r.det.taken()); got != "[0 1 2 3 4]" {
		t.Fatalf("segment numbers %s, want [0 1 2 3 4]: the restarted camera goes on from 3 and the old run's late segment is dropped", got)
	}
}

// TestSeqGrowsAcrossRemoveAndReAdd: docs/alerts.md says "Segment
// numbers grow for as long as the daemon runs, also across camera
// restarts". A camera disabled (its run finished, its entry forgotten)
// and enabled again once started at 0; scores of its old segments still
// in the detector then met the new numbers in the publisher.
func TestSeqGrowsAcrossRemoveAndReAdd(t *testing.T) {
	r := newSeqRig(t)
	on, off := r.config("rtsp://127.0.0.1:1/a", true), r.config("rtsp://127.0.0.1:1/a", false)
	stop, old := r.start(on)
	r.reconcile(on, off)
	close(old.out) // the run ends; the entry is forgotten
	waitUntil(t, "the entry forgotten", func() bool {
		r.m.mu.Lock()
		defer r.m.mu.Unlock()
		_, still := r.m.cams["c1"]
		return !still
	})
	r.reconcile(off, on)
	cur := r.camera(1)
	r.send(cur, 0)
	r.waitTaken(4)
	stop(cur)
	if got := r.det.taken(); got[3] < 3 {
		t.Fatalf("segment numbers %v: the re-enabled camera starts again at %d", got, got[3])
	}
}
