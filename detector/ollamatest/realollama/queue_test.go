package realollama_test

import (
	"net/http"
	"os"
	"sync"
	"testing"

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
// OLLAMA_MAX_QUEUE really behave, which is not what their names suggest:
// MAX_QUEUE bounds only the scheduler's queue of requests waiting to be
// matched with a loaded runner. Matching a request to an already-loaded
// model takes microseconds, so once the model is loaded, requests beyond
// NUM_PARALLEL wait (unbounded, on the runner's semaphore) instead of
// getting 503. The 503 appears while the scheduler is busy loading a model:
// then requests pile up in its queue and those beyond MAX_QUEUE are refused.
func TestRealOllamaQueueLimits(t *testing.T) {
	if os.Getenv(realollama.ModelEnv) != "" {
		t.Skip("needs a server started with OLLAMA_NUM_PARALLEL=1 OLLAMA_MAX_QUEUE=1; runs with the built binary only")
	}
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1, MaxQueue: 1})
	img := testJPEG(t)
	const n = 12
	req := chatReq(tg.VisionModel, img, false)
	req["options"].(map[string]any)["num_predict"] = 16

	t.Run("cold model: 503 beyond the queue while loading", func(t *testing.T) {
		ok, busy := tally(t, flood(t, tg, n, req))
		t.Logf("cold flood of %d with NUM_PARALLEL=1 MAX_QUEUE=1: %d answered, %d refused with 503", n, ok, busy)
		if ok == 0 {
			t.Error("no request answered")
		}
		if busy == 0 {
			t.Error("no 503 although the queue holds one request and the model was loading")
		}
	})

	t.Run("warm model: requests beyond NUM_PARALLEL wait, no 503", func(t *testing.T) {
		ok, busy := tally(t, flood(t, tg, n, req))
		t.Logf("warm flood of %d with NUM_PARALLEL=1 MAX_QUEUE=1: %d answered, %d refused with 503", n, ok, busy)
		if busy != 0 || ok != n {
			t.Errorf("%d answered and %d refused, want all %d answered", ok, busy, n)
		}
	})

	t.Run("streaming request refused the same way", func(t *testing.T) {
		// Ask for a model that is not loaded while flooding, so the
		// scheduler is busy loading again; a refused streaming request must
		// get the same plain JSON 503, not an NDJSON stream.
		sreq := chatReq(tg.TextModel, nil, true)
		replies := flood(t, tg, n, sreq)
		ok, busy := tally(t, replies)
		t.Logf("cold streaming flood: %d answered, %d refused", ok, busy)
		for _, r := range replies {
			if r.Status == http.StatusServiceUnavailable && r.ContentType != "application/json; charset=utf-8" {
				t.Errorf("503 content type %q", r.ContentType)
			}
		}
	})
}
