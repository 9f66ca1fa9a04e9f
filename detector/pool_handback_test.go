package detector

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

type relBook struct {
	mu sync.Mutex
	n  map[*segment.Segment]int
}

func (b *relBook) seg(camera string, seq uint64) *segment.Segment {
	sc := contexttest.Scene{W: 64, H: 48, N: 8, Color: color.RGBA{255, 0, 0, 255}, Start: image.Pt(5, 10), Step: image.Pt(2, 1), Square: 8}
	seg := &segment.Segment{CameraID: camera, Seq: seq}
	now := time.Now()
	for i, f := range sc.Frames() {
		idx := int64(seq)*8 + int64(i)
		seg.Frames = append(seg.Frames, segment.Frame{CameraID: camera, Index: idx, SourceIndex: idx,
			PTS: time.Duration(idx) * time.Second / 8, Wall: now.Add(time.Duration(i) * time.Second / 8), Image: f})
	}
	seg.SetRelease(func() { b.mu.Lock(); b.n[seg]++; b.mu.Unlock() })
	return seg
}

func (b *relBook) check(t *testing.T, accepted []*segment.Segment) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range accepted {
		if n := b.n[s]; n != 1 {
			t.Errorf("segment %s/%d released %d times, want 1", s.CameraID, s.Seq, n)
		}
	}
}

// orderSettled: every ticket issued has been completed once, nothing held.
func orderSettled(p *Pool) (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for cam, o := range p.order {
		if o.next != o.issued || len(o.held) != 0 {
			return false, fmt.Sprintf("camera %s: issued %d, delivered up to %d, %d held", cam, o.issued, o.next, len(o.held))
		}
	}
	return true, ""
}

// A hung endpoint (short timeout) next to a healthy one, a small queue,
// several cameras, forgets in between: handed-back jobs must keep every
// invariant (release once, every ticket completed once, inflight back to
// 0, the queue bound, deliveries = scored + gated).
func TestHandBackInvariants(t *testing.T) {
	for _, shutdownEarly := range []bool{false, true} {
		t.Run(fmt.Sprint("shutdownEarly=", shutdownEarly), func(t *testing.T) {
			hung := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultHang})
			defer hung.Close()
			good := ollamatest.New(ollamatest.Options{Latency: 5 * time.Millisecond})
			defer good.Close()
			var delivered atomic.Uint64
			const qsize = 3
			p, err := NewPool(PoolConfig{Endpoints: []EndpointConfig{
				{URL: hung.URL(), Model: ollamatest.DefaultModel, Timeout: 150 * time.Millisecond, Concurrency: 2},
				{URL: good.URL(), Model: ollamatest.DefaultModel, Timeout: 5 * time.Second},
			}, QueueSize: qsize}, PoolDeps{OnScore: func(SegmentScore) { delivered.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			rb := &relBook{n: map[*segment.Segment]int{}}
			var accepted []*segment.Segment
			maxDepth := 0
			rule := Rule{ID: "red", Texts: []string{"red object"}}
			for i := range 60 {
				cam := fmt.Sprint("c", i%3)
				s := rb.seg(cam, uint64(i/3))
				if p.Submit(s, []Rule{rule}) {
					accepted = append(accepted, s)
				}
				if i%17 == 16 {
					p.ForgetCamera("c1")
				}
				if d := p.Stats().QueueDepth; d > maxDepth {
					maxDepth = d
				}
				time.Sleep(15 * time.Millisecond) // a camera's pace
			}
			if !shutdownEarly {
				deadline := time.Now().Add(20 * time.Second)
				for {
					st := p.Stats()
					jobs := 0
					for _, e := range st.Endpoints {
						jobs += e.Jobs
					}
					if st.QueueDepth == 0 && jobs == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("pool never settled: %+v", st)
					}
					time.Sleep(5 * time.Millisecond)
				}
				if ok, why := orderSettled(p); !ok {
					t.Errorf("settled pool: %s", why)
				}
			}
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			st := p.Stats()
			rb.check(t, accepted)
			if ok, why := orderSettled(p); !ok {
				t.Errorf("after Run: %s", why)
			}
			p.mu.Lock()
			for i, n := range p.inflight {
				if n != 0 && !shutdownEarly {
					t.Errorf("endpoint %d inflight %d after settling", i, n)
				}
			}
			p.mu.Unlock()
			if got := delivered.Load(); got != st.Scored+st.Gated {
				t.Errorf("OnScore got %d results, Scored+Gated = %d", got, st.Scored+st.Gated)
			}
			if st.Submitted != uint64(len(accepted)) {
				t.Errorf("Submitted %d, accepted %d", st.Submitted, len(accepted))
			}
			// one rule per segment: every accepted segment is dropped, scored, gated or failed once
			if sum := st.Dropped + st.Scored + st.Gated + st.Failed; sum != st.Submitted {
				t.Errorf("Dropped %d + Scored %d + Gated %d + Failed %d = %d, Submitted %d", st.Dropped, st.Scored, st.Gated, st.Failed, sum, st.Submitted)
			}
			t.Logf("submitted %d dropped %d scored %d gated %d failed %d maxDepth %d errors %v", st.Submitted, st.Dropped, st.Scored, st.Gated, st.Failed, maxDepth, st.Errors)
		})
	}
}
