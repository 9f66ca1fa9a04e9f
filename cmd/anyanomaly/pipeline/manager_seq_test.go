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

func (d *seqDetector) ForgetCamera(string) int { return 0 }

func (d *seqDetector) taken() []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]uint64(nil), d.seqs...)
}

// TestManagerNumbersSegmentsAcrossRestarts: a camera restarted for a new
// URL starts its own numbering at 0 again; the manager carries the
// camera's sequence on, so that the alerts never see a later segment with
// a lower number (an event's span running backwards, a clock step taken
// for a late segment). A stopping run's last segment is dropped.
func TestManagerNumbersSegmentsAcrossRestarts(t *testing.T) {
	var mu sync.Mutex
	var cams []*scriptedIngest
	det := &seqDetector{}
	m := newManager(managerDeps{Detector: det, Gate: nopGate{}, Alerts: nopAlerts{}, Scores: newScoreBook(),
		NewCamera: func(stream.CameraConfig, stream.Deps) ingest {
			mu.Lock()
			defer mu.Unlock()
			c := &scriptedIngest{out: make(chan *segment.Segment)}
			cams = append(cams, c)
			return c
		}})
	camera := func(i int) *scriptedIngest {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			if len(cams) > i {
				c := cams[i]
				mu.Unlock()
				return c
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("camera run %d never built", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	config := func(url string) *configs.Config {
		cfg, err := configs.Parse("seq.yaml", []byte(fmt.Sprintf(`
cameras:
  - id: c1
    url: %s
    rules:
      - id: r1
        texts: ["red square"]
`, url)), configs.Env{Lookup: func(string) (string, bool) { return "", false }, Hostname: func() (string, error) { return "test", nil }})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	send := func(c *scriptedIngest, seq uint64) {
		t.Helper()
		seg := &segment.Segment{CameraID: "c1", Seq: seq, Frames: []segment.Frame{{CameraID: "c1", Wall: time.Now()}}}
		select {
		case c.out <- seg:
		case <-time.After(10 * time.Second):
			t.Fatalf("the manager did not read segment %d", seq)
		}
	}
	waitTaken := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(det.taken()) < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d segments taken, want %d", len(det.taken()), n)
			}
			time.Sleep(time.Millisecond)
		}
	}

	first := config("rtsp://127.0.0.1:1/a")
	if err := m.Reconcile(context.Background(), first, configs.Diff(nil, first)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	old := camera(0)
	for seq := range uint64(3) {
		send(old, seq)
	}
	waitTaken(3)

	second := config("rtsp://127.0.0.1:1/b")
	if err := m.Reconcile(context.Background(), second, configs.Diff(first, second)); err != nil {
		t.Fatal(err)
	}
	cur := camera(1)
	send(old, 3) // the stopping run's last segment
	close(old.out)
	send(cur, 0)
	send(cur, 1)
	waitTaken(5)
	cancel()
	close(cur.out)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(det.taken()); got != "[0 1 2 3 4]" {
		t.Fatalf("segment numbers %s, want [0 1 2 3 4]: the restarted camera goes on from 3 and the old run's late segment is dropped", got)
	}
}

// TestSeqGrowsAcrossRemoveAndReAdd: docs/alerts.md says "Segment
// numbers grow for as long as the daemon runs, also across camera
// restarts". A camera disabled (its run finished, its entry forgotten)
// and enabled again once started at 0; scores of its old segments still
// in the detector then met the new numbers in the publisher.
func TestSeqGrowsAcrossRemoveAndReAdd(t *testing.T) {
	var mu sync.Mutex
	var cams []*scriptedIngest
	det := &seqDetector{}
	m := newManager(managerDeps{Detector: det, Gate: nopGate{}, Alerts: nopAlerts{}, Scores: newScoreBook(),
		NewCamera: func(stream.CameraConfig, stream.Deps) ingest {
			mu.Lock()
			defer mu.Unlock()
			c := &scriptedIngest{out: make(chan *segment.Segment)}
			cams = append(cams, c)
			return c
		}})
	camera := func(i int) *scriptedIngest {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			mu.Lock()
			if len(cams) > i {
				c := cams[i]
				mu.Unlock()
				return c
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("camera run %d never built", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	config := func(enabled bool) *configs.Config {
		cfg, err := configs.Parse("seq.yaml", []byte(fmt.Sprintf(`
cameras:
  - id: c1
    enabled: %v
    url: rtsp://127.0.0.1:1/a
    rules:
      - id: r1
        texts: ["red square"]
`, enabled)), configs.Env{Lookup: func(string) (string, bool) { return "", false }, Hostname: func() (string, error) { return "test", nil }})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	send := func(c *scriptedIngest, seq uint64) {
		t.Helper()
		seg := &segment.Segment{CameraID: "c1", Seq: seq, Frames: []segment.Frame{{CameraID: "c1", Wall: time.Now()}}}
		select {
		case c.out <- seg:
		case <-time.After(10 * time.Second):
			t.Fatalf("the manager did not read segment %d", seq)
		}
	}
	waitTaken := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(det.taken()) < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d segments taken, want %d", len(det.taken()), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	on, off := config(true), config(false)
	if err := m.Reconcile(context.Background(), on, configs.Diff(nil, on)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	old := camera(0)
	for seq := range uint64(3) {
		send(old, seq)
	}
	waitTaken(3)
	if err := m.Reconcile(context.Background(), off, configs.Diff(on, off)); err != nil {
		t.Fatal(err)
	}
	close(old.out) // the run ends; the entry is forgotten
	for deadline := time.Now().Add(10 * time.Second); ; {
		m.mu.Lock()
		_, still := m.cams["c1"]
		m.mu.Unlock()
		if !still {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entry never forgotten")
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.Reconcile(context.Background(), on, configs.Diff(off, on)); err != nil {
		t.Fatal(err)
	}
	cur := camera(1)
	send(cur, 0)
	waitTaken(4)
	cancel()
	close(cur.out)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := det.taken(); got[3] < 3 {
		t.Fatalf("segment numbers %v: the re-enabled camera starts again at %d", got, got[3])
	}
}
