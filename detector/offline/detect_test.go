package offline_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/offline"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// endpoint returns the LVLM to test against: a real Ollama when
// OLLAMA_HOST and ANYANOMALY_TEST_MODEL are set, ollamatest otherwise.
func endpoint(t *testing.T) (url, model string, fake *ollamatest.Server) {
	t.Helper()
	if host, m := os.Getenv("OLLAMA_HOST"), os.Getenv("ANYANOMALY_TEST_MODEL"); host != "" && m != "" {
		t.Logf("using the real Ollama at %s with %s", host, m)
		return host, m, nil
	}
	srv := ollamatest.New(ollamatest.Options{})
	t.Cleanup(srv.Close)
	return srv.URL(), ollamatest.DefaultModel, srv
}

// clip is 8 s at 24 fps (eight 24-frame segments) with the red object
// visible in [3 s, 5 s): segments 3 and 4.
var clip = streamtest.ClipSpec{Width: 320, Height: 240, FPS: 24, Seconds: 8, Seed: 7,
	Anomaly: &streamtest.Anomaly{Start: 3, End: 5, X: 0.3, Y: 0.4, Size: 0.2, Moving: true}}

func TestDetectEndToEnd(t *testing.T) {
	url, model, fake := endpoint(t)
	path := streamtest.GenerateClip(t, clip)
	res, err := offline.Run(context.Background(), offline.Config{Path: path, Texts: []string{"red object"}, URL: url, Model: model, Timeout: 5 * time.Minute, LongSide: 320}, offline.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 8 || res.FramesScored != 192 || res.Frames != 192 {
		t.Fatalf("segments %d, frames %d/%d", len(res.Segments), res.FramesScored, res.Frames)
	}
	for _, s := range res.Segments {
		anomalous := s.FirstFrame < 5*24 && s.LastFrame >= 3*24
		t.Logf("segment %d [%d,%d] score %.2f contexts %+v anomalous=%v", s.Seq, s.FirstFrame, s.LastFrame, s.Score, s.Contexts, anomalous)
		if anomalous && s.Score < 0.5 || !anomalous && s.Score > 0.2 {
			t.Errorf("segment %d scored %.2f, anomalous=%v", s.Seq, s.Score, anomalous)
		}
	}
	labels := make([]bool, res.FramesScored)
	for i := range labels {
		labels[i] = clip.AnomalyVisible(i)
	}
	if auc := rocAUC(res.FrameScores.Fused, labels); auc < 0.95 {
		t.Errorf("frame-level ROC-AUC %.3f < 0.95", auc)
	} else {
		t.Logf("frame-level ROC-AUC %.3f", auc)
	}
	if fake != nil && fake.Requests("/api/chat") != 24 {
		t.Errorf("%d chat calls, want 3 per segment", fake.Requests("/api/chat"))
	}
	var buf bytes.Buffer
	if err := res.WritePlot(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatalf("plot is not a PNG: %v", err)
	}
}

func TestDetectCacheResumes(t *testing.T) {
	url, model, _ := endpoint(t)
	spec := clip
	spec.Seconds, spec.Width, spec.Height = 4, 160, 120
	dir := streamtest.GenerateFrames(t, spec)
	cfg := offline.Config{Path: dir, Texts: []string{"red object", "fire"}, URL: url, Model: model, CacheDir: t.TempDir(), Timeout: 5 * time.Minute, LongSide: 160}

	// Interrupt the first run after two segments.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := offline.Run(ctx, cfg, offline.Deps{Progress: func(n int) {
		if n == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	resumed, err := offline.Run(context.Background(), cfg, offline.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.CacheHits < 2*6 || resumed.LVLMCalls+resumed.CacheHits != 4*6 {
		t.Fatalf("resumed run: %d calls, %d cache hits, want ≥12 hits of 24", resumed.LVLMCalls, resumed.CacheHits)
	}
	warm, err := offline.Run(context.Background(), cfg, offline.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if warm.LVLMCalls != 0 || warm.CacheHits != 24 {
		t.Fatalf("warm run: %d calls, %d hits", warm.LVLMCalls, warm.CacheHits)
	}
	for i := range warm.Segments {
		if warm.Segments[i].Score != resumed.Segments[i].Score {
			t.Fatalf("segment %d: warm %v, resumed %v", i, warm.Segments[i].Score, resumed.Segments[i].Score)
		}
	}
}

// TestDetectCacheSeesFramesRewritten: frames extracted again into the same
// folder leave the folder's own size and time alone; the cache must not
// answer for the old pictures.
func TestDetectCacheSeesFramesRewritten(t *testing.T) {
	url, model, _ := endpoint(t)
	spec := clip
	spec.Seconds, spec.Width, spec.Height = 2, 160, 120
	dir := streamtest.GenerateFrames(t, spec)
	cfg := offline.Config{Path: dir, Texts: []string{"red object"}, URL: url, Model: model, CacheDir: t.TempDir(), Timeout: time.Minute, LongSide: 160}
	if _, err := offline.Run(context.Background(), cfg, offline.Deps{}); err != nil {
		t.Fatal(err)
	}
	plain := spec
	plain.Anomaly = nil
	other := streamtest.GenerateFrames(t, plain)
	entries, err := os.ReadDir(other)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(other, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again, err := offline.Run(context.Background(), cfg, offline.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if again.LVLMCalls == 0 || again.CacheHits != 0 {
		t.Fatalf("rewritten frames: %d calls, %d cache hits; want every question asked again", again.LVLMCalls, again.CacheHits)
	}
}

func TestDetectErrors(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{Models: map[string][]string{"text-only": {"completion"}}})
	defer srv.Close()
	for _, tc := range []struct {
		name string
		cfg  offline.Config
		want string
	}{
		{"no texts", offline.Config{Path: ".", URL: srv.URL(), Model: "x"}, "--text"},
		// Negative values were once replaced by the defaults silently.
		{"negative segment", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "x", SegmentFrames: -3}, "--segment must not be negative"},
		// Caught before the model check and the decoding, not at the
		// first segment.
		{"segment below four", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "nothere", SegmentFrames: 3}, "--segment 3: want 4-1024"},
		{"segment too long", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "nothere", SegmentFrames: 5000}, "--segment 5000: want 4-1024"},
		{"negative sample rate", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "x", SampleFPS: -2}, "--sample-fps must not be negative"},
		{"missing file", offline.Config{Path: "/nonexistent.mp4", Texts: []string{"x"}, URL: srv.URL(), Model: "x"}, "/nonexistent.mp4"},
		{"not vision", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "text-only"}, "text-only"},
		{"not pulled", offline.Config{Path: ".", Texts: []string{"x"}, URL: srv.URL(), Model: "nothere"}, "nothere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := offline.Run(context.Background(), tc.cfg, offline.Deps{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// rocAUC is the probability that a random positive frame outscores a random
// negative one (ties count half): enough for this test; detector/eval has
// the real metric.
func rocAUC(scores []float64, labels []bool) float64 {
	type pt struct {
		s   float64
		pos bool
	}
	pts := make([]pt, len(scores))
	for i := range scores {
		pts[i] = pt{scores[i], labels[i]}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].s < pts[j].s })
	var pos, neg, rankSum float64
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].s == pts[i].s {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks are 1-based
		for k := i; k < j; k++ {
			if pts[k].pos {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
