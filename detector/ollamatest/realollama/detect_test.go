package realollama_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/detector/offline"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
)

// writeFrames writes n numbered JPEG frames of the moving red square scene.
func writeFrames(t *testing.T, dir string, n int) {
	t.Helper()
	sc := contexttest.Scene{W: 160, H: 120, N: n, Square: 16, Color: color.RGBA{220, 20, 20, 255},
		Start: image.Pt(10, 40), Step: image.Pt(3, 1)}
	for i, f := range sc.Frames() {
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("%06d.jpg", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := jpeg.Encode(out, f, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRealOllamaDetect runs offline scoring (`anyanomaly detect --frames`)
// end to end against the real server: start-up check, every segment
// scored, and a second run answered entirely from the answer cache.
func TestRealOllamaDetect(t *testing.T) {
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1})
	frames, cacheDir := t.TempDir(), t.TempDir()
	writeFrames(t, frames, 48)
	cfg := offline.Config{
		Path: frames, Texts: []string{"a red box moving"}, URL: tg.URL.String(), Model: tg.VisionModel,
		Concurrency: 2, Timeout: 2 * time.Minute, CacheDir: cacheDir, SegmentFrames: 24, Stride: 24,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	first, err := offline.Run(ctx, cfg, offline.Deps{})
	if err != nil {
		t.Fatalf("detect: %v", err)
	}
	t.Logf("first run: %d segments, %d LVLM calls, %d cache hits, %d parse failures",
		len(first.Segments), first.LVLMCalls, first.CacheHits, first.ParseFailures)
	if len(first.Segments) != 2 || first.Model != tg.VisionModel {
		t.Fatalf("result: %d segments by %q, want 2 by %s", len(first.Segments), first.Model, tg.VisionModel)
	}
	if first.LVLMCalls != 6 || first.CacheHits != 0 {
		t.Errorf("first run: %d calls, %d cache hits; want 6 questions (3 per segment) asked", first.LVLMCalls, first.CacheHits)
	}
	for _, s := range first.Segments {
		if s.Score < 0 || s.Score > 1 {
			t.Errorf("segment %d score %v outside [0,1]", s.Seq, s.Score)
		}
	}

	again, err := offline.Run(ctx, cfg, offline.Deps{})
	if err != nil {
		t.Fatalf("detect, second run: %v", err)
	}
	if again.LVLMCalls != 0 || again.CacheHits != 6 {
		t.Errorf("second run: %d calls, %d cache hits; want every answer from the cache", again.LVLMCalls, again.CacheHits)
	}
	for i := range first.Segments {
		if first.Segments[i].Score != again.Segments[i].Score {
			t.Errorf("segment %d: %v then %v from the cache", i, first.Segments[i].Score, again.Segments[i].Score)
		}
	}
}
