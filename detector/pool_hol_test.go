package detector_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// x1BehindX0 leaves camera x's x0 in endpoint A's prefetch slot behind
// y0, and has B (busy with z0 first) score x1: x1's result then waits for
// x0's place in x's order.
func x1BehindX0(t *testing.T, p *detector.Pool, a, b *gatedOllama) {
	t.Helper()
	now := time.Now()
	p.Submit(makeSegment("y", 0, false, now), []detector.Rule{redRule})
	waitFor(t, "A busy with y0", func() bool { return a.count() == 1 })
	p.Submit(makeSegment("z", 0, false, now), []detector.Rule{redRule})
	waitFor(t, "B busy with z0", func() bool { return b.count() == 1 })
	p.Submit(makeSegment("x", 0, false, now), []detector.Rule{redRule})
	waitFor(t, "x0 prefetched on A", func() bool { return p.Stats().Endpoints[0].Jobs == 2 })
	p.Submit(makeSegment("x", 1, false, now.Add(3*time.Second)), []detector.Rule{redRule})
	waitFor(t, "x1 on B", func() bool { return p.Stats().Endpoints[1].Jobs == 2 })
	close(b.release)
	waitFor(t, "z0 and x1 scored", func() bool { return p.Stats().Scored == 2 })
}

// Endpoint A hangs (a blackholed host), endpoint B is busy, then answers.
// Camera x's x0 lands in A's prefetch slot behind y0, x1 on B. y0 times
// out after Timeout and puts A to rest, but x0 is asked anyway and takes
// a second Timeout; meanwhile x1's score, answered by B at once, is held
// for OnScore for ~2×Timeout (2 min with the default 60 s). A rest of up
// to 30 s then ends with A taking Concurrency+1 segments again, so a hung
// endpoint keeps some camera's alerts frozen most of the time.
func TestHungEndpointHoldsResultsTwoTimeouts(t *testing.T) {
	noLeak(t)
	const timeout = time.Second
	a := &gatedOllama{release: make(chan struct{})} // never answers
	b := &gatedOllama{release: make(chan struct{})}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	t.Cleanup(sa.Close)
	t.Cleanup(sb.Close)
	var mu sync.Mutex
	delivered := map[string]time.Time{}
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
		{URL: sa.URL, Model: "m", Timeout: timeout}, {URL: sb.URL, Model: "m", Timeout: 30 * time.Second},
	}, QueueSize: 100}, detector.PoolDeps{OnScore: func(s detector.SegmentScore) {
		mu.Lock()
		delivered[s.CameraID+string(rune('0'+s.Seq))] = time.Now()
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	x1BehindX0(t, p, a, b)
	scored := time.Now()
	waitFor(t, "x1 delivered", func() bool { mu.Lock(); defer mu.Unlock(); return !delivered["x1"].IsZero() })
	mu.Lock()
	held := delivered["x1"].Sub(scored)
	mu.Unlock()
	st := p.Stats()
	t.Logf("x1 held %s after it was scored; A asked %d times; failed %d %v", held.Round(10*time.Millisecond), a.count(), st.Failed, st.Errors)
	if held > timeout+timeout/2 {
		t.Fatalf("x1, scored by the healthy endpoint, reached OnScore %s later (Timeout %s): x0 was still asked on A after A had timed out and was resting", held.Round(10*time.Millisecond), timeout)
	}
}
