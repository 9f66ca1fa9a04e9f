package detector_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// coldOllama mimics Ollama v0.6.5's scheduler on a model that is not
// loaded: the request that triggers the load waits for it, and when that
// request's client goes away first the load is aborted
// (llm/server.go WaitUntilRunning: "client connection closed before server
// finished loading, aborting load"; sched.go then expires the runner).
type coldOllama struct {
	load   time.Duration
	mu     sync.Mutex
	loaded bool
	loads  int
}

func (o *coldOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/chat" {
		http.NotFound(w, r)
		return
	}
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req) // as Ollama does first; lets the server notice a client that goes away
	o.mu.Lock()                              // one runner load at a time, as the scheduler does
	if !o.loaded {
		o.loads++
		select {
		case <-time.After(o.load):
			o.loaded = true
		case <-r.Context().Done():
			o.mu.Unlock()
			return // load aborted, runner expired
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"model": "m", "message": map[string]string{"role": "assistant", "content": "0.9 - a red object"}, "done": true})
}

// After an Ollama restart the model must be loaded again. When loading
// takes longer than the endpoint's timeout, every call gives up and so
// aborts the load it started: the model never comes up and no segment is
// ever scored again, although the server is healthy.
func TestPoolColdStartLongerThanTimeoutNeverRecovers(t *testing.T) {
	noLeak(t)
	o := &coldOllama{load: 600 * time.Millisecond}
	srv := httptest.NewServer(o)
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{{URL: srv.URL, Model: "m", Timeout: 400 * time.Millisecond}}, QueueSize: 100},
		detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; time.Now().Before(deadline) && got.len() == 0; i++ {
		p.Submit(makeSegment("cam", uint64(i), true, time.Now()), []detector.Rule{redRule})
		time.Sleep(250 * time.Millisecond) // a camera's pace
	}
	o.mu.Lock()
	loads := o.loads
	o.mu.Unlock()
	st := p.Stats()
	t.Logf("scored %d, failed %d, errors %v, model loads started %d", st.Scored, st.Failed, st.Errors, loads)
	if got.len() == 0 {
		t.Fatalf("no segment scored in 5 s: each call (timeout 400ms) aborted the 600ms model load it started (%d loads)", loads)
	}
}
