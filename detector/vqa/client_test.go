package vqa_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// picture returns a JPEG of a grey scene, with a red square when red is set.
func picture(t testing.TB, red bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{90, 110, 120, 255}}, image.Point{}, draw.Src)
	if red {
		draw.Draw(img, image.Rect(20, 20, 40, 40), &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkNoLeak fails when goroutines started by the test are still running
// once everything is closed; it polls because connections wind down
// asynchronously.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func newClient(t *testing.T, url string, mod func(*vqa.Config)) *vqa.Client {
	t.Helper()
	cfg := vqa.Config{URL: url, Model: ollamatest.DefaultModel, Timeout: 2 * time.Second, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := vqa.New(cfg, vqa.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestRateSeesTheImage(t *testing.T) {
	checkNoLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	t.Cleanup(srv.Close)
	for _, mode := range []struct {
		name               string
		stream, structured bool
	}{{"plain", false, false}, {"stream", true, false}, {"structured", false, true}, {"stream structured", true, true}} {
		t.Run(mode.name, func(t *testing.T) {
			c := newClient(t, srv.URL(), func(c *vqa.Config) { c.Stream, c.Structured = mode.stream, mode.structured })
			p := vqa.Prompt{}.Text("red object")
			hi, _, err := c.Rate(context.Background(), picture(t, true), p)
			if err != nil {
				t.Fatal(err)
			}
			lo, _, err := c.Rate(context.Background(), picture(t, false), p)
			if err != nil {
				t.Fatal(err)
			}
			if hi.Score < 0.8 || lo.Score > 0.1 || hi.Reason == "" {
				t.Fatalf("red %+v, plain %+v", hi, lo)
			}
		})
	}
}

func TestRateBatch(t *testing.T) {
	checkNoLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	t.Cleanup(srv.Close)
	for _, structured := range []bool{false, true} {
		c := newClient(t, srv.URL(), func(c *vqa.Config) { c.Structured = structured })
		texts := []string{"red object", "fire"}
		got, _, err := c.RateBatch(context.Background(), picture(t, true), vqa.Prompt{}.Batch(texts), texts)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Score < 0.8 || got[1].Score < 0.8 || c.Stats().ParseFailures != 0 {
			t.Fatalf("batch (structured=%v): %+v", structured, got)
		}
		lo, _, err := c.RateBatch(context.Background(), picture(t, false), vqa.Prompt{}.Batch(texts), texts)
		if err != nil || lo[0].Score > 0.1 || lo[1].Score > 0.1 {
			t.Fatalf("batch without red: %+v %v", lo, err)
		}
	}
}

func TestCheck(t *testing.T) {
	checkNoLeak(t)
	srv := ollamatest.New(ollamatest.Options{Models: map[string][]string{
		"qwen2.5vl:7b": {"completion", "vision"},
		"llama3":       {"completion"},
		"llava:7b":     {"completion", "projector"},
	}})
	t.Cleanup(srv.Close)
	tests := []struct {
		model   string
		want    error
		message string
	}{
		{"qwen2.5vl:7b", nil, ""},
		{"llava:7b", nil, ""}, // vision through a projector, as Ollama 0.6.x reports it
		{"llama3:latest", vqa.ErrNotVision, "cannot read images"},
		{"nothere", vqa.ErrModelNotFound, "run `ollama pull nothere`"},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			c := newClient(t, srv.URL(), func(c *vqa.Config) { c.Model = tc.model })
			err := c.Check(context.Background())
			if !errors.Is(err, tc.want) || (tc.want != nil && !strings.Contains(err.Error(), tc.message)) {
				t.Fatalf("Check: %v, want %v containing %q", err, tc.want, tc.message)
			}
		})
	}
}

func TestMaskedURL(t *testing.T) {
	c := newClient(t, "http://user:secret@127.0.0.1:1", func(c *vqa.Config) { c.Timeout = 100 * time.Millisecond })
	err := c.Check(context.Background())
	if err == nil || strings.Contains(err.Error(), "secret") || strings.Contains(c.URL(), "secret") {
		t.Fatalf("password leaked or no error: %v / %s", err, c.URL())
	}
	// net/http quotes the request URL with the password as "***", which
	// leaves it readable when the user name contains it.
	c = newClient(t, "http://admin:admin@127.0.0.1:1", func(c *vqa.Config) { c.Timeout = 100 * time.Millisecond })
	_, _, err = c.Rate(context.Background(), []byte{1}, "p")
	if err == nil || strings.Contains(err.Error(), "admin") || vqa.ClassOf(err) == "" {
		t.Fatalf("Rate on a dead endpoint: %v, want a classified error without the password", err)
	}
	for _, bad := range []string{
		"ftp://x:pw12345@h",
		"http://x:pw12345/6@h:11434",  // net/url reads host "x:pw12345"
		"http://x:12345/678@h:11434",  // ... or host x, port 12345
		"http://x:pw12345%zz@h:11434", // net/url quotes "%zz"
	} {
		if _, err := vqa.New(vqa.Config{URL: bad, Model: "m"}, vqa.Deps{}); err == nil || strings.Contains(err.Error(), "12345") || strings.Contains(err.Error(), "%zz") {
			t.Fatalf("New(%q): bad URL error %v", bad, err)
		}
	}
}

// TestFaults covers every error class: the documented outcome, the number
// of HTTP attempts, and no goroutine left behind.
func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      ollamatest.Fault
		count      int
		timeout    time.Duration
		want       error // nil: answered
		parseFail  bool
		minCalls   int
		maxCalls   int
		msgContain string
	}{
		{name: "404 no retry", fault: ollamatest.FaultModelNotFound, want: vqa.ErrModelNotFound, minCalls: 1, maxCalls: 1, msgContain: "run `ollama pull"},
		{name: "500 retried", fault: ollamatest.Fault500, count: 2, minCalls: 3, maxCalls: 3},
		{name: "500 empty retried", fault: ollamatest.Fault500Empty, count: 2, minCalls: 3, maxCalls: 3},
		{name: "500 forever", fault: ollamatest.Fault500, timeout: 150 * time.Millisecond, want: vqa.ErrUnavailable, minCalls: 2, maxCalls: 100, msgContain: "gave up"},
		{name: "500 empty forever", fault: ollamatest.Fault500Empty, timeout: 150 * time.Millisecond, want: vqa.ErrEmptyResponse, minCalls: 2, maxCalls: 100},
		{name: "hang", fault: ollamatest.FaultHang, timeout: 100 * time.Millisecond, want: vqa.ErrTimeout, minCalls: 1, maxCalls: 1},
		{name: "garbage", fault: ollamatest.FaultGarbage, parseFail: true, minCalls: 1, maxCalls: 1},
		{name: "no number", fault: ollamatest.FaultNoNumber, parseFail: true, minCalls: 1, maxCalls: 1},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			name := tc.name
			if stream {
				name += " stream"
			}
			t.Run(name, func(t *testing.T) {
				checkNoLeak(t)
				srv := ollamatest.New(ollamatest.Options{Fault: tc.fault, FaultCount: tc.count})
				defer srv.Close()
				c := newClient(t, srv.URL(), func(c *vqa.Config) {
					c.Stream = stream
					if tc.timeout > 0 {
						c.Timeout = tc.timeout
					}
				})
				a, _, err := c.Rate(context.Background(), picture(t, true), "is there a red object?")
				calls := srv.Requests("/api/chat")
				if calls < tc.minCalls || calls > tc.maxCalls {
					t.Errorf("%d chat requests, want %d..%d", calls, tc.minCalls, tc.maxCalls)
				}
				st := c.Stats()
				if tc.want != nil {
					if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msgContain) {
						t.Fatalf("err %v, want %v containing %q", err, tc.want, tc.msgContain)
					}
					if st.Errors[vqa.ClassOf(err)] != 1 {
						t.Errorf("errors by class %v", st.Errors)
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if a.ParseFailed != tc.parseFail || (tc.parseFail && (a.Score != 0 || st.ParseFailures != 1)) {
					t.Fatalf("answer %+v, parse failures %d", a, st.ParseFailures)
				}
				if !tc.parseFail && a.Score < 0.8 {
					t.Fatalf("answer after retries %+v", a)
				}
			})
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	checkNoLeak(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, "http://"+addr, func(c *vqa.Config) { c.Timeout = 100 * time.Millisecond })
	_, _, err = c.Rate(context.Background(), picture(t, false), "x")
	if !errors.Is(err, vqa.ErrUnavailable) || c.Stats().Retries == 0 {
		t.Fatalf("err %v, retries %d", err, c.Stats().Retries)
	}
}

// TestBusyIsRetried needs 503s on demand: StrictQueue refuses the calls
// beyond the one slot at once, where Ollama itself would queue them.
func TestBusyIsRetried(t *testing.T) {
	checkNoLeak(t)
	srv := ollamatest.New(ollamatest.Options{Concurrency: 1, StrictQueue: true, Latency: 50 * time.Millisecond})
	defer srv.Close()
	c := newClient(t, srv.URL(), nil)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, _, err := c.Rate(context.Background(), picture(t, false), "x")
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if srv.Stats().Busy == 0 || c.Stats().Retries == 0 {
		t.Fatalf("expected 503s to be retried: busy %d retries %d", srv.Stats().Busy, c.Stats().Retries)
	}
}

func TestCanceled(t *testing.T) {
	checkNoLeak(t)
	srv := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultHang})
	defer srv.Close()
	c := newClient(t, srv.URL(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.Stats().InFlight == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, _, err := c.Rate(ctx, picture(t, false), "x")
	if !errors.Is(err, vqa.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}
