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
	x1BehindX0(t, p, a, b)
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
