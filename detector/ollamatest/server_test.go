package ollamatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

func encode(t *testing.T, img image.Image, asPNG bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if asPNG {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPerceptionThroughTheRealClient drives the server with Ollama's own Go
// client: a picture with a clearly visible red object scores ≥ 0.8, one
// without ≤ 0.1, for JPEG and PNG, streamed and not.
func TestPerceptionThroughTheRealClient(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	c := api.NewClient(u, http.DefaultClient)
	scene := image.NewRGBA(image.Rect(0, 0, 224, 224))
	draw.Draw(scene, scene.Bounds(), &image.Uniform{color.RGBA{100, 120, 110, 255}}, image.Point{}, draw.Src)
	withRed := image.NewRGBA(scene.Bounds())
	draw.Draw(withRed, withRed.Bounds(), scene, image.Point{}, draw.Src)
	draw.Draw(withRed, image.Rect(100, 100, 130, 130), &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
	for _, asPNG := range []bool{false, true} {
		for _, stream := range []bool{false, true} {
			for img, want := range map[*image.RGBA]string{withRed: "high", scene: "low"} {
				var content strings.Builder
				done := 0
				err := c.Chat(context.Background(), &api.ChatRequest{Model: "llava", Stream: &stream,
					Messages: []api.Message{{Role: "user", Content: "red?", Images: []api.ImageData{encode(t, img, asPNG)}}}},
					func(r api.ChatResponse) error {
						content.WriteString(r.Message.Content)
						if r.Done {
							done++
						}
						return nil
					})
				if err != nil || done != 1 {
					t.Fatalf("chat: %v, done %d", err, done)
				}
				var score float64
				if _, err := fmtSscan(content.String(), &score); err != nil {
					t.Fatalf("reply %q", content.String())
				}
				if (want == "high" && score < 0.8) || (want == "low" && score > 0.1) {
					t.Errorf("png=%v stream=%v: %s image scored %v (%q)", asPNG, stream, want, score, content.String())
				}
			}
		}
	}
	if srv.Stats().Images != 8 || srv.Stats().ByModel["llava"] != 8 {
		t.Fatalf("stats %+v", srv.Stats())
	}
}

func TestProtocolEndpoints(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{Models: map[string][]string{"qwen2.5vl:7b": {"completion", "vision"}}})
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	c := api.NewClient(u, http.DefaultClient)
	ctx := context.Background()
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Version(ctx); err != nil || v != "0.6.5" {
		t.Fatalf("version %q %v", v, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) != 1 || list.Models[0].Name != "qwen2.5vl:7b" {
		t.Fatalf("tags %+v %v", list, err)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "qwen2.5vl:7b"})
	if err != nil || len(show.Capabilities) != 2 || show.Capabilities[1] != "vision" {
		t.Fatalf("show %+v %v", show, err)
	}
	var se api.StatusError
	if _, err := c.Show(ctx, &api.ShowRequest{Model: "nothere"}); !asStatus(err, &se) || se.StatusCode != 404 {
		t.Fatalf("show missing: %v", err)
	}
	// Structured output: the reply is the schema's object.
	stream := false
	var reply api.ChatResponse
	err = c.Chat(ctx, &api.ChatRequest{Model: "qwen2.5vl:7b", Stream: &stream, Format: json.RawMessage(`{"type":"object","properties":{"score":{"type":"number"},"reason":{"type":"string"}}}`),
		Messages: []api.Message{{Role: "user", Content: "x", Images: []api.ImageData{encode(t, image.NewRGBA(image.Rect(0, 0, 8, 8)), false)}}}},
		func(r api.ChatResponse) error { reply = r; return nil })
	var obj struct {
		Score  *float64 `json:"score"`
		Reason string   `json:"reason"`
	}
	if err != nil || json.Unmarshal([]byte(reply.Message.Content), &obj) != nil || obj.Score == nil || obj.Reason == "" {
		t.Fatalf("structured reply %q: %v", reply.Message.Content, err)
	}
}

// chatReply is what the queue tests look at in a reply.
type chatReply struct {
	status      int
	contentType string
	body        string
	err         error
}

// postChat sends a small chat request.
func postChat(ctx context.Context, base string, stream bool) chatReply {
	body := fmt.Sprintf(`{"model":"llava","stream":%v,"messages":[{"role":"user","content":"x"}]}`, stream)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/chat", strings.NewReader(body))
	if err != nil {
		return chatReply{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return chatReply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return chatReply{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b), err: err}
}

// waitFor polls the server's counters until cond holds.
func waitFor(t *testing.T, srv *ollamatest.Server, what string, cond func(ollamatest.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(srv.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s: %+v", what, srv.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// busyBody is the exact reply of Ollama v0.6.5 to a request its full
// queue refuses.
const busyBody = `{"error":"server busy, please try again.  maximum pending requests exceeded"}` + "\n"

// TestQueueLikeOllama checks the default queueing against what Ollama
// v0.6.5 does (docs/real-ollama.md): Queue bounds only the requests
// waiting for the scheduler; scheduled requests wait for a slot without
// bound.
func TestQueueLikeOllama(t *testing.T) {
	t.Run("spaced arrivals all wait for the slot", func(t *testing.T) {
		// The first request hangs in the only slot; four more, each sent
		// once the one before is scheduled, exceed Concurrency+Queue = 2
		// and must still all wait, then be answered.
		srv := ollamatest.New(ollamatest.Options{Concurrency: 1, Queue: 1, Fault: ollamatest.FaultHang, FaultCount: 1})
		defer srv.Close()
		ctx, release := context.WithCancel(context.Background())
		defer release()
		var wg sync.WaitGroup
		wg.Go(func() { postChat(ctx, srv.URL(), false) })
		waitFor(t, srv, "the first request holds the slot", func(s ollamatest.Stats) bool { return s.InFlight == 1 })
		const n = 4
		replies := make([]chatReply, n)
		for i := range n {
			wg.Go(func() { replies[i] = postChat(context.Background(), srv.URL(), false) })
			waitFor(t, srv, fmt.Sprintf("%d requests wait for the slot", i+1), func(s ollamatest.Stats) bool { return s.Waiting == i+1 })
		}
		release()
		wg.Wait()
		for i, r := range replies {
			if r.err != nil || r.status != http.StatusOK {
				t.Errorf("request %d: HTTP %d %q %v", i+2, r.status, r.body, r.err)
			}
		}
		if st := srv.Stats(); st.Busy != 0 || st.MaxInFlight != 1 {
			t.Errorf("busy %d, max in flight %d; want 0 and 1", st.Busy, st.MaxInFlight)
		}
	})

	t.Run("a burst outrunning the scheduler gets 503", func(t *testing.T) {
		// The scheduler is busy with the first request (a long intake),
		// the second fills the one intake place, so the third is refused
		// with Ollama's exact reply, streamed or not.
		srv := ollamatest.New(ollamatest.Options{Concurrency: 1, Queue: 1, Intake: time.Hour})
		var wg sync.WaitGroup
		defer wg.Wait()
		defer srv.Close()
		wg.Go(func() { postChat(context.Background(), srv.URL(), false) })
		waitFor(t, srv, "the scheduler takes the first request", func(s ollamatest.Stats) bool { return s.Scheduling == 1 })
		wg.Go(func() { postChat(context.Background(), srv.URL(), false) })
		waitFor(t, srv, "the second request waits to be scheduled", func(s ollamatest.Stats) bool { return s.Pending == 1 })
		for _, stream := range []bool{false, true} {
			r := postChat(context.Background(), srv.URL(), stream)
			if r.err != nil || r.status != http.StatusServiceUnavailable || r.body != busyBody || r.contentType != "application/json; charset=utf-8" {
				t.Errorf("stream %v: HTTP %d %q %q %v; want 503 %q", stream, r.status, r.contentType, r.body, r.err, busyBody)
			}
		}
		if n := srv.Stats().Busy; n != 2 {
			t.Errorf("busy %d, want 2", n)
		}
	})

	t.Run("the default queue is Ollama's 512", func(t *testing.T) {
		srv := ollamatest.New(ollamatest.Options{Concurrency: 1, Latency: time.Millisecond})
		defer srv.Close()
		const n = 20
		replies := make([]chatReply, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { replies[i] = postChat(context.Background(), srv.URL(), false) })
		}
		wg.Wait()
		for i, r := range replies {
			if r.err != nil || r.status != http.StatusOK {
				t.Errorf("request %d of a burst of %d: HTTP %d %q %v", i, n, r.status, r.body, r.err)
			}
		}
	})
}

// TestBusyAnswer checks StrictQueue, the opt-in departure from Ollama
// that refuses a second concurrent request at once, and its 503 body.
func TestBusyAnswer(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{Concurrency: 1, StrictQueue: true, Fault: ollamatest.FaultHang})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer srv.Close()
	wg.Go(func() { postChat(context.Background(), srv.URL(), false) })
	waitFor(t, srv, "the first request holds the slot", func(s ollamatest.Stats) bool { return s.InFlight == 1 })
	r := postChat(context.Background(), srv.URL(), false)
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.body != busyBody {
		t.Fatalf("HTTP %d %q %v; want 503 %q", r.status, r.body, r.err, busyBody)
	}
	if st := srv.Stats(); st.Busy != 1 || st.Pending != 0 || st.Scheduling != 0 {
		t.Errorf("stats %+v", st)
	}
}
