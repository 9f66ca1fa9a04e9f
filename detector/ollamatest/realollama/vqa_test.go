package realollama_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// newVQA builds the detector's Ollama client for the target with the
// settings the detector uses, small token cap for CPU speed.
func newVQA(t *testing.T, tg realollama.Target, model string, mod func(*vqa.Config)) *vqa.Client {
	t.Helper()
	cfg := vqa.Config{
		URL:        tg.URL.String(),
		Model:      model,
		Timeout:    90 * time.Second,
		NumPredict: 8,
		KeepAlive:  5 * time.Minute,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
	}
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

func TestRealOllamaVQAClient(t *testing.T) {
	tg := realollama.TargetForTest(t, realollama.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	img := testJPEG(t)
	prompt := vqa.Prompt{}.Text("a red box on a grey floor")

	t.Run("startup check refuses a text-only model", func(t *testing.T) {
		if tg.External() {
			t.Skip("needs the tiny text-only model")
		}
		err := newVQA(t, tg, tg.TextModel, nil).Check(ctx)
		if vqa.ClassOf(err) != vqa.ClassNotVision {
			t.Fatalf("Check(%s) = %v, want a not-vision error", tg.TextModel, err)
		}
		if !strings.Contains(err.Error(), tg.TextModel) {
			t.Errorf("error %q does not name the model", err)
		}
		t.Logf("text-only model refused: %v", err)
	})

	t.Run("startup check accepts a vision model", func(t *testing.T) {
		// On v0.6.5 the tiny LLaVA-style model lists no "vision"
		// capability, only projector_info: Check must accept it anyway.
		err := newVQA(t, tg, tg.VisionModel, nil).Check(ctx)
		if err != nil {
			t.Fatalf("Check(%s): %v", tg.VisionModel, err)
		}
	})

	for _, tc := range []struct {
		name       string
		stream     bool
		structured bool
	}{
		{"ask non-streaming", false, false},
		{"ask streaming", true, false},
		{"ask structured non-streaming", false, true},
		{"ask structured streaming", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newVQA(t, tg, tg.VisionModel, func(cfg *vqa.Config) {
				cfg.Stream, cfg.Structured = tc.stream, tc.structured
				if tc.structured {
					cfg.NumPredict = 24
				}
			})
			a, lat, err := c.Rate(ctx, img, prompt)
			if err != nil {
				t.Fatalf("Rate: %v", err)
			}
			if a.Score < 0 || a.Score > 1 {
				t.Errorf("score %v outside [0,1]", a.Score)
			}
			st := c.Stats()
			if st.Answers != 1 || st.Calls != 1 || st.Retries != 0 || st.InFlight != 0 {
				t.Errorf("stats %+v, want one call answered without retry", st)
			}
			if lat <= 0 {
				t.Errorf("latency %v", lat)
			}
			t.Logf("score %.2f parse_failed=%v in %s", a.Score, a.ParseFailed, lat.Round(time.Millisecond))
		})
	}

	t.Run("unknown model: pull hint, no retry", func(t *testing.T) {
		const missing = "no-such-model:1b"
		c := newVQA(t, tg, missing, nil)
		err := c.Check(ctx)
		if vqa.ClassOf(err) != vqa.ClassModelNotFound || !strings.Contains(err.Error(), "run `ollama pull "+missing+"`") {
			t.Errorf("Check: %v, want model-not-found with a pull hint", err)
		}
		_, err = c.Ask(ctx, img, prompt, "")
		if !errors.Is(err, vqa.ErrModelNotFound) || !strings.Contains(err.Error(), "run `ollama pull "+missing+"`") {
			t.Errorf("Ask: %v, want model-not-found with a pull hint", err)
		}
		if st := c.Stats(); st.Calls != 1 || st.Retries != 0 {
			t.Errorf("404 was retried: %+v", st)
		}
	})
}

// TestRealOllamaVQABusyRetry floods a cold server whose scheduler queue
// holds one request: the real 503s must be retried by the client within its
// deadline so that every question is answered.
func TestRealOllamaVQABusyRetry(t *testing.T) {
	if os.Getenv(realollama.ModelEnv) != "" {
		t.Skip("needs a server started with OLLAMA_MAX_QUEUE=1; runs with the built binary only")
	}
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1, MaxQueue: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	img := testJPEG(t)
	c := newVQA(t, tg, tg.VisionModel, nil)
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = c.Rate(ctx, img, vqa.Prompt{}.Text("a red box"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("question %d: %v", i, err)
		}
	}
	st := c.Stats()
	t.Logf("%d questions: %d HTTP calls, %d retries", n, st.Calls, st.Retries)
	if st.Answers != n {
		t.Errorf("%d answered, want %d", st.Answers, n)
	}
	if st.Retries == 0 {
		t.Logf("no 503 happened this time (the load was quicker than the flood); retry path not exercised")
	}
}

// TestRealOllamaVQAServerGone checks the client against a server that has
// stopped: connection refused is retried until the call's deadline, then
// reported as unavailable.
func TestRealOllamaVQAServerGone(t *testing.T) {
	if os.Getenv(realollama.ModelEnv) != "" {
		t.Skip("stops the server; runs with the built binary only")
	}
	tg := realollama.TargetForTest(t, realollama.Config{})
	if err := tg.Server.Stop(); err != nil {
		t.Fatal(err)
	}
	c := newVQA(t, tg, tg.VisionModel, func(cfg *vqa.Config) { cfg.Timeout = time.Second })
	_, err := c.Ask(context.Background(), testJPEG(t), "x", "")
	if vqa.ClassOf(err) != vqa.ClassUnavailable {
		t.Fatalf("Ask to a stopped server: %v, want unavailable", err)
	}
	if st := c.Stats(); st.Retries == 0 {
		t.Errorf("connection refused was not retried: %+v", st)
	}
}
