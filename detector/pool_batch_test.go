package detector_test

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// perceiveNamed is a fake model that sees only red things, and only when
// asked about something named red: a rule about "a blue van" stays low on
// a picture that has a red square.
func perceiveNamed(img image.Image, prompt string) (float64, string) {
	if !strings.Contains(prompt, "red") {
		return 0.05, "Nothing of the kind is visible."
	}
	return ollamatest.DefaultPerceive(img, prompt)
}

// startBatchPool runs a pool on a fake model that sees only red things
// named red (perceiveNamed), with structured answers and gate; it returns
// the model, the pool and what it scored.
func startBatchPool(t *testing.T, gate detector.GateConfig) (*ollamatest.Server, *detector.Pool, *collector) {
	t.Helper()
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{Perceive: perceiveNamed})
	t.Cleanup(srv.Close)
	got := &collector{}
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel, Structured: true}},
		Gate:      gate,
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	return srv, p, got
}

// TestPoolBatchesACameraRules: with batching on, the rules of a camera
// that share a prompt are asked in one call per context (method §10,
// docs/config.md `batching`), and each rule still gets the score of its
// own texts.
func TestPoolBatchesACameraRules(t *testing.T) {
	red := detector.Rule{ID: "red", Texts: []string{"red object"}, Batch: true}
	van := detector.Rule{ID: "van", Texts: []string{"a blue van"}, Batch: true}
	both := detector.Rule{ID: "both", Texts: []string{"a blue van", "red object"}, Batch: true}
	tests := []struct {
		name      string
		rules     []detector.Rule
		calls     int
		high, low []string // rule ids expected above / below the threshold
		failed    uint64
	}{
		{name: "one call per context for every rule", rules: []detector.Rule{red, van, both}, calls: 3,
			high: []string{"red", "both"}, low: []string{"van"}},
		{name: "batching off asks per text", rules: []detector.Rule{unbatched(red), unbatched(van)}, calls: 6,
			high: []string{"red"}, low: []string{"van"}},
		{name: "another prompt is asked apart", rules: []detector.Rule{red, both, withPrompt(van, "Is there {text} here? Score 0 to 1.")}, calls: 6,
			high: []string{"red", "both"}, low: []string{"van"}},
		{name: "an invalid rule fails alone", rules: []detector.Rule{red, {ID: "bad", Texts: []string{"red object"}, Batch: true, Threshold: 2}, van}, calls: 3,
			high: []string{"red"}, low: []string{"van"}, failed: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, p, got := startBatchPool(t, detector.GateConfig{})
			if !p.Submit(makeSegment("cam", 0, true, time.Now()), tc.rules) {
				t.Fatal("segment refused")
			}
			want := len(tc.high) + len(tc.low)
			waitFor(t, "every rule's score", func() bool { return got.len() == want && p.Stats().Failed == tc.failed })
			if n := srv.Requests("/api/chat"); n != tc.calls {
				t.Errorf("%d chat calls, want %d", n, tc.calls)
			}
			scores := map[string]detector.SegmentScore{}
			for _, s := range got.all() {
				scores[s.RuleID] = s
			}
			for _, id := range tc.high {
				if s, ok := scores[id]; !ok || s.Score < 0.5 || len(s.Images.KeyFrame) == 0 {
					t.Errorf("rule %s: score %.2f (images %d B), want ≥ 0.5 with its query images", id, s.Score, len(s.Images.KeyFrame))
				}
			}
			for _, id := range tc.low {
				if s, ok := scores[id]; !ok || s.Score >= 0.5 {
					t.Errorf("rule %s: score %.2f (delivered %v), want < 0.5", id, s.Score, ok)
				}
			}
			if s := scores["both"]; s.RuleID != "" && strings.Join(s.Texts, "|") != "a blue van|red object" {
				t.Errorf("rule both carries texts %q, want its own", s.Texts)
			}
		})
	}
}

func unbatched(r detector.Rule) detector.Rule {
	r.Batch = false
	return r
}

func withPrompt(r detector.Rule, override string) detector.Rule {
	r.Prompt = vqa.Prompt{Override: override}
	return r
}

// TestPoolBatchLeavesGatedRulesOut: a rule the motion gate answers is not
// asked about with the others; a rule with an open event still is.
func TestPoolBatchLeavesGatedRulesOut(t *testing.T) {
	srv, p, got := startBatchPool(t, detector.GateConfig{Enabled: true, Refresh: 10 * time.Minute})
	rules := []detector.Rule{{ID: "red", Texts: []string{"red object"}, Batch: true}, {ID: "van", Texts: []string{"a blue van"}, Batch: true}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Submit(makeSegment("cam", 0, true, start), rules)
	waitFor(t, "the moving segment's scores", func() bool { return got.len() == 2 })
	if n := srv.Requests("/api/chat"); n != 3 {
		t.Fatalf("moving segment: %d chat calls, want 3 (one per context for both rules)", n)
	}
	p.Submit(makeSegment("cam", 1, false, start), rules)
	waitFor(t, "the still segment's scores", func() bool { return got.len() == 4 })
	if n := srv.Requests("/api/chat"); n != 6 {
		t.Errorf("after the still segment: %d chat calls, want 6 (the open rule alone)", n)
	}
	for _, s := range got.all()[2:] {
		if wantGated := s.RuleID == "van"; s.Gated != wantGated {
			t.Errorf("still segment, rule %s: gated %v, want %v", s.RuleID, s.Gated, wantGated)
		}
	}
}

// TestPoolBatchFitsTheTokenCap: a camera with many rules is not asked
// about all their texts in one answer that the token cap would cut off
// (the texts at its end then scored 0, silently): the batch is split.
func TestPoolBatchFitsTheTokenCap(t *testing.T) {
	srv, p, got := startBatchPool(t, detector.GateConfig{})
	var rules []detector.Rule
	for i := range 24 {
		rules = append(rules, detector.Rule{ID: fmt.Sprintf("r%d", i), Texts: []string{fmt.Sprintf("red object number %d", i)}, Batch: true})
	}
	p.Submit(makeSegment("cam", 0, true, time.Now()), rules)
	waitFor(t, "every rule's score", func() bool { return got.len()+int(p.Stats().Failed) == len(rules) })
	for _, s := range got.all() {
		if s.Score < 0.5 {
			t.Errorf("rule %s scored %.2f, want ≥ 0.5 (its text cut off the batch's answer?)", s.RuleID, s.Score)
		}
	}
	// 128 tokens hold 8 texts: three questions per context.
	if n, st := srv.Requests("/api/chat"), p.Stats(); n != 9 || st.ParseFailures != 0 {
		t.Errorf("%d chat calls and %d parse failures, want 9 and 0", n, st.ParseFailures)
	}
}
