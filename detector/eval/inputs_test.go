package eval_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/eval"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

// writeFrames writes n numbered 64×48 JPEG frames into dir (recreated),
// red where red(i), blue elsewhere; skip leaves one number out.
func writeFrames(t *testing.T, dir string, n int, red func(int) bool, skip int) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if i == skip {
			continue
		}
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		c := color.RGBA{0, 0, 200, 255}
		if red(i) {
			c = color.RGBA{220, 0, 0, 255}
		}
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, c.A
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeLabels(t *testing.T, path, js string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
}

func inputOptions(root, lab, url, out string) eval.Options {
	p := eval.DefaultParams()
	p.Sigma = 2
	return eval.Options{Dataset: eval.DatasetGeneric, Root: root, Labels: lab, Ollama: url,
		Model: ollamatest.DefaultModel, Params: p, Out: out, NoPlots: true, LongSide: 64}
}

func never(int) bool { return false }

// A test video listed in the labels but absent from --root must stop the
// run before the LVLM is asked anything: on C-ShT, finding out after hours
// of scoring the videos sorted before it is the expensive way.
func TestMissingVideoRefusedBeforeScoring(t *testing.T) {
	root := t.TempDir()
	writeFrames(t, filepath.Join(root, "a"), 48, func(i int) bool { return i >= 24 }, -1)
	lab := filepath.Join(root, "labels.json")
	writeLabels(t, lab, `{"single": {"red": [{"video": "a", "frames": 48, "anomalies": [[24, 48]]}, {"video": "zz", "frames": 48}]}}`)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var out bytes.Buffer
	_, err := eval.Execute(context.Background(), inputOptions(root, lab, srv.URL(), t.TempDir()), &out, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "zz") {
		t.Fatalf("err = %v, want one naming video zz", err)
	}
	if n := srv.Requests("/api/chat"); n != 0 {
		t.Errorf("%d LVLM questions asked before the missing video was reported, want 0", n)
	}
}

// Frames extracted again into the same folder (or a video file replaced)
// must not be answered from the cache of the old frames (eval once keyed
// its cache by the video's name only).
func TestCacheSeesChangedFrames(t *testing.T) {
	root := t.TempDir()
	lab := filepath.Join(root, "labels.json")
	writeLabels(t, lab, `{"single": {"red": [{"video": "a", "frames": 48, "anomalies": [[24, 48]]}]}}`)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	out := t.TempDir()
	var buf bytes.Buffer
	writeFrames(t, filepath.Join(root, "a"), 48, never, -1)
	if _, err := eval.Execute(context.Background(), inputOptions(root, lab, srv.URL(), out), &buf, &buf, nil); err != nil {
		t.Fatal(err)
	}
	writeFrames(t, filepath.Join(root, "a"), 48, func(i int) bool { return i >= 24 }, -1)
	rep, err := eval.Execute(context.Background(), inputOptions(root, lab, srv.URL(), out), &buf, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CacheHits != 0 || rep.LVLMCalls == 0 {
		t.Errorf("changed frames: %d LVLM calls, %d answers from the old frames' cache; want them asked again", rep.LVLMCalls, rep.CacheHits)
	}
	if r, _ := rep.Run("red"); r.Scores.Fused.Micro < 0.99 {
		t.Errorf("fused micro AUC %.3f on frames whose second segment is red, want 1 (stale answers)", r.Scores.Fused.Micro)
	}
}

// A frames folder with a number missing shifts every later frame onto the
// wrong label. With "frames" absent nothing else catches it; the folder and
// the missing number must be named.
func TestFrameFolderGapRefused(t *testing.T) {
	root := t.TempDir()
	writeFrames(t, filepath.Join(root, "a"), 49, func(i int) bool { return i >= 24 }, 10)
	lab := filepath.Join(root, "labels.json")
	writeLabels(t, lab, `{"single": {"red": [{"video": "a", "anomalies": [[24, 48]]}]}}`)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var out bytes.Buffer
	_, err := eval.Execute(context.Background(), inputOptions(root, lab, srv.URL(), t.TempDir()), &out, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "10") {
		t.Fatalf("err = %v, want a refusal naming frame 10, missing from folder a", err)
	}
}
