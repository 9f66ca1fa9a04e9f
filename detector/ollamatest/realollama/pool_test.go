package realollama_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// realSegment is a 24-frame segment with a red square crossing a textured
// background, the scene the rest of the detector's tests use.
func realSegment(camera string, seq uint64) *segment.Segment {
	sc := contexttest.Scene{W: 160, H: 120, N: 24, Square: 16, Color: color.RGBA{220, 20, 20, 255},
		Start: image.Pt(20, 40), Step: image.Pt(4, 1)}
	seg := &segment.Segment{CameraID: camera, Seq: seq}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range sc.Frames() {
		idx := int64(seq)*24 + int64(i)
		seg.Frames = append(seg.Frames, segment.Frame{CameraID: camera, Index: idx, SourceIndex: idx,
			PTS: time.Duration(idx) * time.Second / 8, Wall: start.Add(time.Duration(idx) * time.Second / 8), Image: f})
	}
	return seg
}

type scores struct {
	mu  sync.Mutex
	all []detector.SegmentScore
}

func (s *scores) add(x detector.SegmentScore) {
	s.mu.Lock()
	s.all = append(s.all, x)
	s.mu.Unlock()
}

func (s *scores) snapshot() []detector.SegmentScore {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]detector.SegmentScore(nil), s.all...)
}

// TestRealOllamaPool runs the detector's worker pool against the real
// server, with more concurrent calls than the server has slots and a
// scheduler queue of one, so that the server both makes calls wait and
// refuses bursts with 503: every segment must still be scored, by retries
// inside the calls' deadline, and the pool must stop cleanly.
func TestRealOllamaPool(t *testing.T) {
	// A user's own server (external mode) runs with its own settings.
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1, MaxQueue: 1})
	var got scores
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: tg.URL.String(), Model: tg.VisionModel, Concurrency: 4,
			Timeout: 2 * time.Minute, NumPredict: 8, KeepAlive: 5 * time.Minute}},
		QueueSize: 16,
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	defer func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of cancel")
		}
	}()

	rule := detector.Rule{ID: "red", Texts: []string{"a red box"}}
	const cameras, perCamera = 2, 3
	for s := range perCamera {
		for c := range cameras {
			if !p.Submit(realSegment(fmt.Sprint("cam", c), uint64(s)), []detector.Rule{rule}) {
				t.Fatalf("segment %d of cam%d not accepted", s, c)
			}
		}
	}
	const want = cameras * perCamera
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := p.Stats()
		if st.Scored+st.Failed >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s: %+v", st)
		}
		time.Sleep(20 * time.Millisecond) // polling the pool's counters
	}
	st := p.Stats()
	t.Logf("pool: scored %d failed %d, %d HTTP calls, errors %v", st.Scored, st.Failed, st.Calls, st.Errors)
	if st.Scored != want || st.Failed != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v, want %d scored, none failed or dropped", st, want)
	}
	// Three questions (frame, position, temporal) per segment and rule;
	// each 503 adds a retried call.
	if st.Calls < 3*want {
		t.Errorf("%d calls, want at least %d", st.Calls, 3*want)
	}
	for _, s := range got.snapshot() {
		if s.Model != tg.VisionModel || s.Gated || s.Score < 0 || s.Score > 1 {
			t.Errorf("score %s/%d: model %q gated %v score %v", s.CameraID, s.Seq, s.Model, s.Gated, s.Score)
		}
		if len(s.Images.KeyFrame) == 0 || len(s.Images.Position) == 0 || len(s.Images.Temporal) == 0 {
			t.Errorf("score %s/%d lacks its query images", s.CameraID, s.Seq)
		}
	}
}
