package realollama_test

import (
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
)

// busyBody is Ollama v0.6.5's reply when its scheduler queue is full
// (server/sched.go ErrMaxQueue via routes.go handleScheduleError).
const busyBody = `{"error":"server busy, please try again.  maximum pending requests exceeded"}`

// flood sends n identical chat requests at once and returns the replies.
func flood(t *testing.T, tg realollama.Target, n int, req map[string]any) []rawReply {
	t.Helper()
	out := make([]rawReply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = postRaw(t, tg, "/api/chat", req) })
	}
	wg.Wait()
	return out
}

func tally(t *testing.T, replies []rawReply) (ok, busy int) {
	t.Helper()
	for _, r := range replies {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			busy++
			if got := string(r.Body); got != busyBody {
				t.Errorf("503 body %q, want %q", got, busyBody)
			}
		default:
			t.Errorf("unexpected HTTP %d: %s", r.Status, r.Body)
		}
	}
	return ok, busy
}

// TestRealOllamaQueueLimits pins down how OLLAMA_NUM_PARALLEL and
// OLLAMA_MAX_QUEUE really behave. MAX_QUEUE bounds only the scheduler's
// intake channel: requests wait there until the scheduler matches them, one
// at a time, with a runner (loading the model first, or pinging the loaded
// runner). A burst larger than MAX_QUEUE arriving faster than that gets 503,
// cold or warm. A request the scheduler has matched waits, without any
// bound, for one of the runner's NUM_PARALLEL slots, so requests arriving
// spaced out are all answered however many are waiting.
func TestRealOllamaQueueLimits(t *testing.T) {
	if os.Getenv(realollama.ModelEnv) != "" {
		t.Skip("needs a server started with OLLAMA_NUM_PARALLEL=1 OLLAMA_MAX_QUEUE=1; runs with the built binary only")
	}
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1, MaxQueue: 1})
	img := testJPEG(t)
	const n = 12
	req := chatReq(tg.VisionModel, img, false)
	req["options"].(map[string]any)["num_predict"] = 16

	t.Run("burst at a cold model: 503 beyond the queue", func(t *testing.T) {
		ok, busy := tally(t, flood(t, tg, n, req))
		t.Logf("cold burst of %d with NUM_PARALLEL=1 MAX_QUEUE=1: %d answered, %d refused with 503", n, ok, busy)
		if ok == 0 {
			t.Error("no request answered")
		}
		if busy == 0 {
			t.Error("no 503 although the queue holds one request and the model was loading")
		}
	})

	t.Run("burst at a warm model", func(t *testing.T) {
		// Timing-dependent: how many the scheduler matches while the
		// burst arrives. Recorded, not asserted beyond the reply shapes.
		ok, busy := tally(t, flood(t, tg, n, req))
		t.Logf("warm burst of %d with NUM_PARALLEL=1 MAX_QUEUE=1: %d answered, %d refused with 503", n, ok, busy)
	})

	t.Run("spaced arrivals: unbounded wait for a slot, no 503", func(t *testing.T) {
		// Each request must outlast the gap between arrivals so that
		// requests pile up behind the single slot: time one first.
		long := chatReq(tg.VisionModel, img, false)
		long["options"].(map[string]any)["num_predict"] = 1000
		start := time.Now()
		if r := postRaw(t, tg, "/api/chat", long); r.Status != http.StatusOK {
			t.Fatalf("HTTP %d %s", r.Status, r.Body)
		}
		gap := max(time.Since(start)/3, 10*time.Millisecond)
		const n = 8
		type span struct{ start, end time.Time }
		spans := make([]span, n)
		replies := make([]rawReply, n)
		var wg sync.WaitGroup
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for i := range n {
			if i > 0 {
				<-tick.C // pacing the client's arrivals, not synchronising
			}
			wg.Go(func() {
				spans[i].start = time.Now()
				replies[i] = postRaw(t, tg, "/api/chat", long)
				spans[i].end = time.Now()
			})
		}
		wg.Wait()
		ok, busy := tally(t, replies)
		// Peak number of requests in the server at once, from the client's
		// view: each start adds one, each end removes one.
		peak := 0
		for _, a := range spans {
			in := 0
			for _, b := range spans {
				if !b.start.After(a.start) && b.end.After(a.start) {
					in++
				}
			}
			peak = max(peak, in)
		}
		t.Logf("%d requests %s apart: %d answered, %d refused; up to %d in the server at once", n, gap, ok, busy, peak)
		if busy != 0 {
			t.Errorf("%d spaced requests refused with 503", busy)
		}
		if peak <= 2 {
			t.Skipf("never more than NUM_PARALLEL+MAX_QUEUE=2 requests in the server at once (machine too uneven): the unbounded wait was not exercised this time")
		}
	})
}
