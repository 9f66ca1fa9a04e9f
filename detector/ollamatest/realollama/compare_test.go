package realollama_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
)

// shape is the part of a reply the stand-in must reproduce: status,
// content type and, for errors, the message.
type shape struct {
	Status      int
	ContentType string
	Error       string
}

func shapeOf(t testing.TB, r rawReply) shape {
	t.Helper()
	s := shape{Status: r.Status, ContentType: r.ContentType}
	if r.Status != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		s.Error = e.Error
	}
	return s
}

// TestStandInMatchesRealServer sends the same requests to the real server
// and to detector/ollamatest, in its default configuration, and compares
// what comes back: every difference found so far is fixed, so all of it is
// asserted.
func TestStandInMatchesRealServer(t *testing.T) {
	if os.Getenv(realollama.ModelEnv) != "" {
		t.Skip("compares against the tiny models of the built binary")
	}
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1, MaxQueue: 1})
	fake := ollamatest.New(ollamatest.Options{
		Models: map[string][]string{
			// The tiny vision model is LLaVA-style: a projector layer.
			tg.VisionModel: {"completion", "projector"},
			tg.TextModel:   {"completion"},
		},
		Concurrency: 1,
		Queue:       1,
	})
	defer fake.Close()
	img := testJPEG(t)

	both := func(t *testing.T, path string, req any) (real, standIn rawReply) {
		t.Helper()
		return postRaw(t, tg, path, req), postURL(t, fake.URL(), path, req)
	}

	for _, tc := range []struct {
		name string
		path string
		req  any
	}{
		{"chat unknown model", "/api/chat", chatReq("no-such-model:1b", img, false)},
		{"chat unknown model streaming", "/api/chat", chatReq("no-such-model:1b", img, true)},
		{"show unknown model", "/api/show", map[string]any{"model": "no-such-model:1b"}},
		{"chat non-streaming", "/api/chat", chatReq(tg.VisionModel, img, false)},
		{"chat streaming", "/api/chat", chatReq(tg.VisionModel, img, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, f := both(t, tc.path, tc.req)
			if rs, fs := shapeOf(t, r), shapeOf(t, f); rs != fs {
				t.Errorf("real %+v, stand-in %+v", rs, fs)
			}
		})
	}

	t.Run("final chunk at the num_predict cap", func(t *testing.T) {
		r, f := both(t, "/api/chat", chatReq(tg.VisionModel, img, false))
		rc, fc := decodeChat(t, r.Lines[0]), decodeChat(t, f.Lines[0])
		if rc.DoneReason != fc.DoneReason || rc.EvalCount != fc.EvalCount {
			t.Errorf("at num_predict 8: real done_reason %q eval_count %d, stand-in %q %d", rc.DoneReason, rc.EvalCount, fc.DoneReason, fc.EvalCount)
		}
		if (rc.PromptEvalCount > 0) != (fc.PromptEvalCount > 0) {
			t.Errorf("prompt_eval_count: real %d, stand-in %d", rc.PromptEvalCount, fc.PromptEvalCount)
		}
	})

	t.Run("undecodable image", func(t *testing.T) {
		for _, model := range []string{tg.VisionModel, tg.TextModel} {
			r, f := both(t, "/api/chat", chatReq(model, []byte("not an image"), false))
			if rs, fs := shapeOf(t, r), shapeOf(t, f); rs != fs {
				t.Errorf("%s: real %+v, stand-in %+v", model, rs, fs)
			}
		}
	})

	t.Run("capabilities", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		u, err := url.Parse(fake.URL())
		if err != nil {
			t.Fatal(err)
		}
		fc := api.NewClient(u, http.DefaultClient)
		for _, model := range []string{tg.VisionModel, tg.TextModel} {
			rs, err := tg.Client.Show(ctx, &api.ShowRequest{Model: model})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := fc.Show(ctx, &api.ShowRequest{Model: model})
			if err != nil {
				t.Fatal(err)
			}
			real := fmt.Sprintf("capabilities %v, projector %v", rs.Capabilities, rs.ProjectorInfo["general.architecture"])
			standIn := fmt.Sprintf("capabilities %v, projector %v", fs.Capabilities, fs.ProjectorInfo["general.architecture"])
			if real != standIn {
				t.Errorf("%s: real %s; stand-in %s", model, real, standIn)
			}
		}
	})

	t.Run("text-only model sent an image", func(t *testing.T) {
		before := fake.Stats().Images
		r, f := both(t, "/api/chat", chatReq(tg.TextModel, img, false))
		if rs, fs := shapeOf(t, r), shapeOf(t, f); rs != fs {
			t.Errorf("real %+v, stand-in %+v", rs, fs)
		}
		if n := fake.Stats().Images - before; n != 0 {
			t.Errorf("the stand-in's text-only model looked at %d image(s); the real one drops them", n)
		}
	})

	t.Run("burst beyond the queue: 503 body", func(t *testing.T) {
		// A burst of 12 at one slot and one queue place gets 503s from both
		// (the stand-in needs a latency for requests to overlap); the
		// refusals' status, body and content type must agree.
		req := chatReq(tg.TextModel, nil, false)
		realReplies := flood(t, tg, 12, req)
		busyFake := ollamatest.New(ollamatest.Options{Models: map[string][]string{tg.TextModel: {"completion"}},
			Concurrency: 1, Queue: 1, Latency: 200 * time.Millisecond})
		fakeReplies := make([]rawReply, 12)
		var wg sync.WaitGroup
		for i := range fakeReplies {
			wg.Go(func() { fakeReplies[i] = postURL(t, busyFake.URL(), "/api/chat", req) })
		}
		wg.Wait()
		busyFake.Close()
		busy := func(rs []rawReply) (shape, int) {
			var s shape
			n := 0
			for _, r := range rs {
				if r.Status == http.StatusServiceUnavailable {
					s, n = shapeOf(t, r), n+1
				}
			}
			return s, n
		}
		rs, rn := busy(realReplies)
		fs, fn := busy(fakeReplies)
		t.Logf("503s in a burst of 12 at NUM_PARALLEL=1 MAX_QUEUE=1: real %d, stand-in %d", rn, fn)
		if fn == 0 {
			t.Error("the stand-in refused nothing in a burst of 12 at 1 slot and 1 queue place")
		}
		if rn == 0 {
			t.Skip("the real server refused nothing this time (burst matched as it arrived); 503 body not compared")
		}
		if rs != fs {
			t.Errorf("503 reply: real %+v, stand-in %+v", rs, fs)
		}
	})

	t.Run("spaced arrivals beyond the slot", func(t *testing.T) {
		// The real server bounds only its intake, so requests arriving
		// spaced out all wait for the slot (TestRealOllamaQueueLimits); the
		// stand-in must too, although 6 exceed its Concurrency+Queue of 2.
		slow := ollamatest.New(ollamatest.Options{Models: map[string][]string{tg.VisionModel: {"completion", "projector"}},
			Concurrency: 1, Queue: 1, Latency: 300 * time.Millisecond})
		defer slow.Close()
		replies := make([]rawReply, 6)
		var wg sync.WaitGroup
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := range replies {
			if i > 0 {
				<-tick.C // pacing arrivals
			}
			wg.Go(func() { replies[i] = postURL(t, slow.URL(), "/api/chat", chatReq(tg.VisionModel, img, false)) })
		}
		wg.Wait()
		st := slow.Stats()
		if st.Busy != 0 {
			t.Errorf("the stand-in refused %d of 6 requests 50ms apart at one slot (300ms each) and a queue of one; the real server refuses none", st.Busy)
		}
		if st.MaxInFlight > 1 {
			t.Errorf("stand-in served %d at once with one slot", st.MaxInFlight)
		}
		for i, r := range replies {
			if r.Status != http.StatusOK {
				t.Errorf("request %d: HTTP %d %s", i, r.Status, r.Body)
			}
		}
	})
}
