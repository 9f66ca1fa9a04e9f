package detector

import (
	"context"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

func pollUntil(t *testing.T, what string, d time.Duration, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// QueueSize bounds the segments waiting (PoolConfig doc): a job handed back
// by a resting endpoint is put back above the bound, and Submit, which
// drops one to add one, never brings the queue back under it.
func TestHandBackKeepsQueueBound(t *testing.T) {
	hung := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultHang})
	defer hung.Close()
	slow := ollamatest.New(ollamatest.Options{Latency: 20 * time.Second})
	defer slow.Close()
	const qsize = 1
	p, err := NewPool(PoolConfig{Endpoints: []EndpointConfig{
		{URL: hung.URL(), Model: ollamatest.DefaultModel, Timeout: 300 * time.Millisecond},
		{URL: slow.URL(), Model: ollamatest.DefaultModel, Timeout: time.Minute},
	}, QueueSize: qsize}, PoolDeps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	}()
	rb := &relBook{n: map[*segment.Segment]int{}}
	rule := Rule{ID: "red", Texts: []string{"red object"}}
	jobs := func(i int) int { return p.Stats().Endpoints[i].Jobs }
	submit := func(cam string, seq uint64) {
		if !p.Submit(rb.seg(cam, seq), []Rule{rule}) {
			t.Fatalf("%s/%d not accepted", cam, seq)
		}
	}
	submit("y", 0) // → hung endpoint
	if !pollUntil(t, "", 5*time.Second, func() bool { return jobs(0) == 1 }) {
		t.Fatal("y0 not on the hung endpoint")
	}
	submit("z", 0) // → slow endpoint
	if !pollUntil(t, "", 5*time.Second, func() bool { return jobs(1) == 1 }) {
		t.Fatal("z0 not on the slow endpoint")
	}
	submit("x", 0) // → hung endpoint's prefetch slot
	if !pollUntil(t, "", 5*time.Second, func() bool { return jobs(0) == 2 }) {
		t.Fatal("x0 not prefetched")
	}
	submit("w", 0) // → slow endpoint's prefetch slot
	if !pollUntil(t, "", 5*time.Second, func() bool { return jobs(1) == 2 }) {
		t.Fatal("w0 not prefetched")
	}
	submit("q", 0) // waits: the queue is full (1 of 1)
	over := pollUntil(t, "", 3*time.Second, func() bool { return p.Stats().QueueDepth > qsize })
	for i := range 3 {
		submit("q", uint64(i+1)) // each Submit drops one and adds one
	}
	st := p.Stats()
	t.Logf("QueueDepth %d, QueueSize %d, dropped %d", st.QueueDepth, qsize, st.Dropped)
	t.Logf("queue above its bound right after the hand-back: %v", over)
	if st.QueueDepth > qsize {
		t.Fatalf("QueueDepth %d exceeds QueueSize %d after a resting endpoint handed its prefetched segment back; further Submits keep it above", st.QueueDepth, qsize)
	}
}
