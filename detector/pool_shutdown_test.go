package detector_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// gatedOllama answers /api/chat once release is closed (or never, until
// the client goes away).
type gatedOllama struct {
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func (o *gatedOllama) count() int { o.mu.Lock(); defer o.mu.Unlock(); return o.n }

func (o *gatedOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	o.mu.Lock()
	o.n++
	o.mu.Unlock()
	select {
	case <-o.release:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"model": "m", "message": map[string]string{"role": "assistant", "content": "0.9 - a red object"}, "done": true})
}

// TestShutdownDeliversHeldScore: a camera's segment x1 is scored by
// endpoint B while its earlier x0 waits in endpoint A's prefetch slot. At
// shutdown x0 is abandoned; it must release its place in the camera's
// order, or x1's score, scored and counted, never reaches OnScore.
func TestShutdownDeliversHeldScore(t *testing.T) {
	noLeak(t)
	a := &gatedOllama{release: make(chan struct{})} // never answers
	b := &gatedOllama{release: make(chan struct{})}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	defer sa.Close()
	defer sb.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
		{URL: sa.URL, Model: "m", Timeout: 30 * time.Second}, {URL: sb.URL, Model: "m", Timeout: 30 * time.Second},
	}, QueueSize: 100}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
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
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	st := p.Stats()
	var x1 bool
	for _, s := range got.all() {
		t.Logf("delivered camera %s segment %d", s.CameraID, s.Seq)
		if s.CameraID == "x" && s.Seq == 1 {
			x1 = true
		}
	}
	if !x1 {
		t.Fatalf("x1 was scored (Scored=%d) but its score never reached OnScore: held behind x0, abandoned at shutdown", st.Scored)
	}
}
