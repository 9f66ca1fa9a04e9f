package ollamatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"strings"
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

// TestBusyAnswer checks the 503 body against Ollama's wording.
func TestBusyAnswer(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{Concurrency: 1, Fault: ollamatest.FaultHang})
	defer srv.Close()
	body := `{"model":"llava","stream":false,"messages":[{"role":"user","content":"x"}]}`
	go func() {
		resp, err := http.Post(srv.URL()+"/api/chat", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().InFlight == 0 {
		if time.Now().After(deadline) {
			t.Fatal("first request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Post(srv.URL()+"/api/chat", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 503 || e.Error != ollamatest.BusyMessage {
		t.Fatalf("status %d body %+v %v", resp.StatusCode, e, err)
	}
}
