package detector_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// collector gathers delivered scores.
type collector struct {
	mu     sync.Mutex
	scores []detector.SegmentScore
}

func (c *collector) add(s detector.SegmentScore) {
	c.mu.Lock()
	c.scores = append(c.scores, s)
	c.mu.Unlock()
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.scores)
}

func (c *collector) all() []detector.SegmentScore {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]detector.SegmentScore(nil), c.scores...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startPool runs p until the test ends and checks that Run returns.
func startPool(t testing.TB, p *detector.Pool) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return cancel
}

// noLeak records the goroutine count and, at cleanup, polls until it is
// back (connections and timers wind down asynchronously).
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		waitFor(t, fmt.Sprintf("goroutines back to %d", before), func() bool { return runtime.NumGoroutine() <= before })
	})
}

var redRule = detector.Rule{ID: "red", Texts: []string{"red object"}}

func TestPoolRoundRobinAcrossCameras(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}, QueueSize: 100},
		detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5 {
		p.Submit(makeSegment("a", uint64(i), false, now), []detector.Rule{redRule})
	}
	for i := range 2 {
		p.Submit(makeSegment("b", uint64(i), false, now), []detector.Rule{redRule})
	}
	startPool(t, p)
	waitFor(t, "7 scores", func() bool { return got.len() == 7 })
	var order []string
	for _, s := range got.all() {
		order = append(order, fmt.Sprintf("%s%d", s.CameraID, s.Seq))
	}
	want := []string{"a0", "b0", "a1", "b1", "a2", "a3", "a4"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("service order %v, want %v", order, want)
	}
}

func TestPoolDropsOldest(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}, QueueSize: 4},
		detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 6 {
		p.Submit(makeSegment("busy", uint64(i), false, now), []detector.Rule{redRule})
	}
	p.Submit(makeSegment("quiet", 0, false, now), []detector.Rule{redRule})
	st := p.Stats()
	if st.Dropped != 3 || st.QueueDepth != 4 || st.Submitted != 7 {
		t.Fatalf("after overload: %+v", st)
	}
	startPool(t, p)
	waitFor(t, "4 scores", func() bool { return got.len() == 4 })
	seen := map[string]bool{}
	for _, s := range got.all() {
		seen[fmt.Sprintf("%s%d", s.CameraID, s.Seq)] = true
	}
	for _, k := range []string{"busy3", "busy4", "busy5", "quiet0"} {
		if !seen[k] {
			t.Fatalf("scored %v, want the newest busy segments and the quiet camera's", seen)
		}
	}
}

// TestPoolForgetCamera: a removed camera's waiting segments are released
// and counted as dropped, not sent to the model; the other cameras' wait
// on. They were once all scored after the camera was gone.
func TestPoolForgetCamera(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}, QueueSize: 10},
		detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var released atomic.Int32
	for i := range 3 {
		seg := makeSegment("gone", uint64(i), false, now)
		seg.SetRelease(func() { released.Add(1) })
		p.Submit(seg, []detector.Rule{redRule})
	}
	p.Submit(makeSegment("stays", 0, false, now), []detector.Rule{redRule})
	if n := p.ForgetCamera("gone"); n != 3 || released.Load() != 3 {
		t.Fatalf("ForgetCamera dropped %d and released %d, want 3 and 3", n, released.Load())
	}
	if st := p.Stats(); st.Dropped != 3 || st.QueueDepth != 1 {
		t.Fatalf("after ForgetCamera: %+v", st)
	}
	startPool(t, p)
	waitFor(t, "the remaining camera's score", func() bool { return got.len() == 1 })
	if s := got.all()[0]; s.CameraID != "stays" {
		t.Fatalf("scored %s, want only the camera that stays", s.CameraID)
	}
}

// TestPoolForgottenCameraLeavesTheGate: a segment of a removed camera
// that was already being scored finishes, but its result does not bring
// back the gate state the removal dropped (which a camera added again
// under the same id would inherit).
func TestPoolForgottenCameraLeavesTheGate(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{Latency: 100 * time.Millisecond})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}},
		Gate: detector.GateConfig{Enabled: true}}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	now := time.Now()
	p.Submit(makeSegment("gone", 0, false, now), []detector.Rule{redRule})
	waitFor(t, "a call in flight", func() bool { return srv.Stats().InFlight > 0 })
	p.ForgetCamera("gone")
	p.Gate().Forget("gone", redRule.ID)
	waitFor(t, "the score in flight", func() bool { return got.len() == 1 })
	if p.Gate().Skip("gone", redRule.ID, makeSegment("gone", 1, false, now.Add(time.Second)), 0) {
		t.Fatal("the removed camera's late result re-created its gate state")
	}
}

func TestPoolLeastLoadedEndpoints(t *testing.T) {
	noLeak(t)
	a := ollamatest.New(ollamatest.Options{Latency: 10 * time.Millisecond})
	defer a.Close()
	b := ollamatest.New(ollamatest.Options{Latency: 10 * time.Millisecond})
	defer b.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
		{URL: a.URL(), Model: ollamatest.DefaultModel}, {URL: b.URL(), Model: ollamatest.DefaultModel, Concurrency: 2}}, QueueSize: 100},
		detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		p.Submit(makeSegment(fmt.Sprint("cam", i%3), uint64(i), false, time.Now()), []detector.Rule{redRule})
	}
	startPool(t, p)
	waitFor(t, "9 scores", func() bool { return got.len() == 9 })
	// Whether b's two callers overlap depends on how fast this machine
	// prepares segments, so only the spread is asserted.
	if a.Requests("/api/chat") == 0 || b.Requests("/api/chat") == 0 {
		t.Fatalf("work not spread: a %d, b %d", a.Requests("/api/chat"), b.Requests("/api/chat"))
	}
	if st := p.Stats(); st.Calls != 27 || st.Latency.Count != 27 || len(st.Endpoints) != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolMotionGate(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}},
		QueueSize: 100,
		Gate:      detector.GateConfig{Enabled: true, Refresh: 10 * time.Minute},
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	const n, anomaly = 40, 20
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r := redRule
		if i > n/2 {
			r.Threshold = 0.7 // a reload that changes the threshold keeps the gate state
		}
		// Submit in order and wait, as a live camera would deliver them.
		p.Submit(makeSegment("cam", uint64(i), i == anomaly, start), []detector.Rule{r})
		waitFor(t, "score", func() bool { return got.len() == i+1 })
	}
	asked := map[uint64]detector.SegmentScore{}
	for _, s := range got.all() {
		if !s.Gated {
			asked[s.Seq] = s
		}
	}
	calls := srv.Requests("/api/chat")
	reduction := 1 - float64(calls)/float64(3*n)
	t.Logf("gated run: %d calls for %d segments (%.1f%% fewer than ungated), asked segments %v", calls, n, 100*reduction, keys(asked))
	if reduction < 0.9 {
		t.Fatalf("only %.1f%% fewer calls", 100*reduction)
	}
	if s, ok := asked[anomaly]; !ok || s.Score < 0.8 {
		t.Fatalf("anomaly segment not scored high: %+v", s)
	}
	if _, ok := asked[anomaly+1]; !ok {
		t.Fatalf("segment after a high score (open event) was gated")
	}
	if st := p.Stats(); st.Gated+st.Scored != n {
		t.Fatalf("stats %+v", st)
	}
}

func keys(m map[uint64]detector.SegmentScore) []uint64 {
	var out []uint64
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPoolGateRefresh(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}},
		Gate:      detector.GateConfig{Enabled: true, Refresh: 10 * time.Second},
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Segments are 3 s apart (24 frames at 8 fps): asked at 0, 12, 24, 36 s.
	for i := range 13 {
		p.Submit(makeSegment("cam", uint64(i), false, start), []detector.Rule{redRule})
		waitFor(t, "score", func() bool { return got.len() == i+1 })
	}
	var asked []uint64
	for _, s := range got.all() {
		if !s.Gated {
			asked = append(asked, s.Seq)
		}
	}
	if fmt.Sprint(asked) != "[0 4 8 12]" {
		t.Fatalf("asked segments %v, want [0 4 8 12]", asked)
	}
}

func TestPoolReady(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{Models: map[string][]string{"vis": {"completion", "vision"}, "txt": {"completion"}}})
	defer srv.Close()
	for _, tc := range []struct {
		model string
		want  error
	}{{"vis", nil}, {"txt", vqa.ErrNotVision}, {"gone", vqa.ErrModelNotFound}} {
		p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: tc.model}}}, detector.PoolDeps{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Ready(context.Background()); !errors.Is(err, tc.want) {
			t.Errorf("%s: Ready = %v, want %v", tc.model, err, tc.want)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := p.Run(ctx); err != nil { // releases the clients' connections
			t.Fatal(err)
		}
	}
	// One endpoint answering is enough (docs/config.md, /readyz); it once
	// took every endpoint.
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
		{URL: "http://127.0.0.1:1", Model: "vis"}, {URL: srv.URL(), Model: "vis"}, // nothing listens on port 1
	}}, detector.PoolDeps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Ready(context.Background()); err != nil {
		t.Errorf("one of two endpoints down: Ready = %v, want ready", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPoolFaults: failing endpoints are counted by class, nothing is
// delivered for the failed pairs, and shutdown with calls hanging in
// flight returns promptly without leaking goroutines.
func TestPoolFaults(t *testing.T) {
	for _, tc := range []struct {
		fault ollamatest.Fault
		class string
	}{
		{ollamatest.FaultModelNotFound, "model_not_found"},
		{ollamatest.Fault500, "unavailable"},
		{ollamatest.Fault500Empty, "empty_response"},
		{ollamatest.FaultHang, "timeout"},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			noLeak(t)
			srv := ollamatest.New(ollamatest.Options{Fault: tc.fault})
			defer srv.Close()
			var got collector
			p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel, Timeout: 100 * time.Millisecond}}},
				detector.PoolDeps{OnScore: got.add})
			if err != nil {
				t.Fatal(err)
			}
			startPool(t, p)
			p.Submit(makeSegment("cam", 0, true, time.Now()), []detector.Rule{redRule})
			waitFor(t, "failure", func() bool { return p.Stats().Failed == 1 })
			if st := p.Stats(); st.Errors[tc.class] != 1 || got.len() != 0 {
				t.Fatalf("errors %v, delivered %d", st.Errors, got.len())
			}
		})
	}
	// Answers without a number are counted on the endpoint that gave them
	// (they once all went to the first endpoint in the metrics).
	t.Run("parse failures per endpoint", func(t *testing.T) {
		noLeak(t)
		// The good endpoint is slow, so the least-loaded dispatch hands
		// the later segments to the bad one.
		good := ollamatest.New(ollamatest.Options{Latency: 200 * time.Millisecond})
		defer good.Close()
		bad := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultNoNumber})
		defer bad.Close()
		var got collector
		p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
			{URL: good.URL(), Model: ollamatest.DefaultModel}, {URL: bad.URL(), Model: ollamatest.DefaultModel},
		}}, detector.PoolDeps{OnScore: got.add})
		if err != nil {
			t.Fatal(err)
		}
		startPool(t, p)
		for i := range 4 {
			p.Submit(makeSegment("cam", uint64(i), true, time.Now()), []detector.Rule{redRule})
		}
		waitFor(t, "4 scores", func() bool { return got.len() == 4 })
		st := p.Stats()
		if st.Endpoints[0].ParseFailures != 0 || st.Endpoints[1].ParseFailures == 0 || st.Endpoints[1].ParseFailures != st.ParseFailures {
			t.Fatalf("parse failures: good %d, bad %d, total %d", st.Endpoints[0].ParseFailures, st.Endpoints[1].ParseFailures, st.ParseFailures)
		}
	})
	t.Run("shutdown while hanging", func(t *testing.T) {
		noLeak(t)
		srv := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultHang})
		defer srv.Close()
		p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}}}, detector.PoolDeps{})
		if err != nil {
			t.Fatal(err)
		}
		cancel := startPool(t, p)
		for i := range 3 {
			p.Submit(makeSegment("cam", uint64(i), true, time.Now()), []detector.Rule{redRule})
		}
		waitFor(t, "a call in flight", func() bool { return srv.Stats().InFlight == 1 })
		cancel()
		waitFor(t, "all three dropped", func() bool { return p.Stats().Dropped == 3 })
		if p.Submit(makeSegment("cam", 9, true, time.Now()), []detector.Rule{redRule}) {
			t.Fatal("Submit accepted after shutdown")
		}
	})
}
