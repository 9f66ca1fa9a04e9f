package detector_test

import (
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// releases records which segments were released, and scribbles over their
// images as a recycling producer would reuse them.
type releases struct {
	mu   sync.Mutex
	seqs map[uint64]int
}

func (r *releases) track(seg *segment.Segment) *segment.Segment {
	seg.SetRelease(func() {
		r.mu.Lock()
		r.seqs[seg.Seq]++
		r.mu.Unlock()
		for _, f := range seg.Frames {
			clear(f.Image.Y)
			clear(f.Image.Cb)
			clear(f.Image.Cr)
		}
	})
	return seg
}

func (r *releases) count(seq uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seqs[seq]
}

func (r *releases) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.seqs {
		n += c
	}
	return n
}

func TestPoolReleasesSegments(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	rel := &releases{seqs: map[uint64]int{}}
	var got collector
	var early []uint64
	var mu sync.Mutex
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}, QueueSize: 4},
		detector.PoolDeps{OnScore: func(s detector.SegmentScore) {
			if rel.count(s.Seq) != 0 {
				mu.Lock()
				early = append(early, s.Seq)
				mu.Unlock()
			}
			got.add(s)
		}})
	if err != nil {
		t.Fatal(err)
	}
	rules := []detector.Rule{redRule, {ID: "blue", Texts: []string{"blue object"}}}
	now := time.Now()
	for i := range 6 {
		p.Submit(rel.track(makeSegment("cam", uint64(i), i == 5, now)), rules)
	}
	if rel.count(0) != 1 || rel.count(1) != 1 || rel.total() != 2 {
		t.Fatalf("releases after 2 drops at submit: %v, want segments 0 and 1 once", rel.seqs)
	}
	startPool(t, p)
	waitFor(t, "8 scores", func() bool { return got.len() == 8 })
	waitFor(t, "6 releases", func() bool { return rel.total() == 6 })
	for i := range uint64(6) {
		if n := rel.count(i); n != 1 {
			t.Fatalf("segment %d released %d times, want once", i, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(early) != 0 {
		t.Fatalf("segments %v released before all their rules were scored", early)
	}
	for _, s := range got.all() {
		if s.Seq == 5 && s.RuleID == "red" && (s.Score < 0.5 || len(s.Images.KeyFrame) == 0) {
			t.Fatalf("red object segment scored %.2f with a %d-byte key frame, want >= 0.5 and a JPEG", s.Score, len(s.Images.KeyFrame))
		}
	}
}

func TestPoolReleasesAtShutdown(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{Latency: 50 * time.Millisecond})
	defer srv.Close()
	rel := &releases{seqs: map[uint64]int{}}
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}, QueueSize: 10},
		detector.PoolDeps{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		p.Submit(rel.track(makeSegment("cam", uint64(i), false, time.Now())), []detector.Rule{redRule})
	}
	cancel := startPool(t, p)
	waitFor(t, "a question in flight", func() bool { return p.Stats().Calls > 0 })
	cancel()
	waitFor(t, "every segment released", func() bool { return rel.total() == 6 })
	for i := range uint64(6) {
		if n := rel.count(i); n != 1 {
			t.Fatalf("segment %d released %d times, want once", i, n)
		}
	}
}
