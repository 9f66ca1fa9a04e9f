package detector

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// TestHandBackKeepsServiceTurn: x0, prefetched by an endpoint that then
// rests, was dispatched before c1..c4. Handed back, its camera once went
// to the end of the ring, behind them; by its turn the endpoint's 1 s rest
// was over, and x0 was asked on the hung endpoint after all (a second
// Timeout, x1 held all along) and failed.
func TestHandBackKeepsServiceTurn(t *testing.T) {
	hung := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultHang})
	defer hung.Close()
	slow := ollamatest.New(ollamatest.Options{Latency: 100 * time.Millisecond})
	defer slow.Close()
	var mu sync.Mutex
	var order []string
	p, err := NewPool(PoolConfig{Endpoints: []EndpointConfig{
		{URL: hung.URL(), Model: ollamatest.DefaultModel, Timeout: 500 * time.Millisecond},
		{URL: slow.URL(), Model: ollamatest.DefaultModel, Timeout: time.Minute},
	}, QueueSize: 100}, PoolDeps{OnScore: func(s SegmentScore) {
		mu.Lock()
		order = append(order, fmt.Sprintf("%s%d", s.CameraID, s.Seq))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rb := &relBook{n: map[*segment.Segment]int{}}
	rule := Rule{ID: "red", Texts: []string{"red object"}}
	jobs := func(i int) int { return p.Stats().Endpoints[i].Jobs }
	step := func(cam string, seq uint64, ep, n int) {
		p.Submit(rb.seg(cam, seq), []Rule{rule})
		if ep >= 0 && !pollUntil(t, "", 5*time.Second, func() bool { return jobs(ep) == n }) {
			t.Fatalf("%s%d not on endpoint %d", cam, seq, ep)
		}
	}
	step("y", 0, 0, 1)
	step("z", 0, 1, 1)
	step("x", 0, 0, 2)
	step("x", 1, 1, 2)
	for i := 1; i <= 4; i++ {
		step(fmt.Sprint("c", i), 0, -1, 0)
	}
	if !pollUntil(t, "", 20*time.Second, func() bool { st := p.Stats(); return st.Scored+st.Failed == 8 }) {
		t.Fatalf("not all settled: %+v", p.Stats())
	}
	mu.Lock()
	defer mu.Unlock()
	st := p.Stats()
	t.Logf("delivery order %v; failed %d %v; hung endpoint asked %d times", order, st.Failed, st.Errors, hung.Requests("/api/chat"))
	pos := map[string]int{}
	for i, s := range order {
		pos[s] = i
	}
	if _, ok := pos["x0"]; !ok {
		t.Fatalf("x0, handed back by the resting endpoint, waited behind c1..c4 (dispatched after it) until the 1 s rest ran out, was asked on the hung endpoint after all and failed; x1 was held another Timeout (order %v)", order)
	}
}
