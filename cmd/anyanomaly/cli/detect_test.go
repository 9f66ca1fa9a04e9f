package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestDetectCommand(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	dir := streamtest.GenerateFrames(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 24, Seconds: 2, Seed: 1,
		Anomaly: &streamtest.Anomaly{Start: 1, End: 2, X: 0.5, Y: 0.5, Size: 0.25}})
	tmp := t.TempDir()
	out, png := filepath.Join(tmp, "scores.json"), filepath.Join(tmp, "scores.png")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"detect", "--frames", dir, "--text", "red object", "--ollama", srv.URL(), "--model", ollamatest.DefaultModel,
		"--out", out, "--plot", png, "--cache", filepath.Join(tmp, "cache"), "--weights", "0.6,0.3,0.1"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res struct {
		Segments []struct {
			Score float64 `json:"score"`
		} `json:"segments"`
		FrameScores struct {
			Fused []float64 `json:"fused"`
		} `json:"frame_scores"`
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 2 || len(res.FrameScores.Fused) != 48 || res.Segments[0].Score > 0.2 || res.Segments[1].Score < 0.5 {
		t.Fatalf("result %s", b)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("plot: %v", err)
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("progress bar drawn on a non-terminal: %q", stderr.String())
	}
}

// TestDetectCommandTooShort: a clip shorter than one segment scores
// nothing; the run succeeds but says so, instead of an empty result
// passing for "nothing anomalous".
func TestDetectCommandTooShort(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	dir := streamtest.GenerateFrames(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 24, Seconds: 0.5, Seed: 1})
	var stdout, stderr bytes.Buffer
	code := Main([]string{"detect", "--frames", dir, "--text", "red object", "--ollama", srv.URL(), "--model", ollamatest.DefaultModel,
		"--sample-fps", "12"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "nothing scored: " + dir + " has 12 frames, fewer than one segment of 24 analysed frames; lower --segment or raise --sample-fps"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
}

func TestDetectCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"detect", "--text", "x"}, "--video FILE or --frames DIR is required"},
		{[]string{"detect", "--video", "a", "--frames", "b", "--text", "x"}, "not both"},
		{[]string{"detect", "--video", "a", "--text", "x", "--weights", "1,1,1"}, "sum to 3"},
		{[]string{"detect", "--video", "a", "--text", "x", "--prompt-variant", "odd"}, "odd"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(tc.args, nil, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestOllamaURL(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "")
	for in, want := range map[string]string{
		"":                       "http://127.0.0.1:11434",
		"gpu-box":                "http://gpu-box:11434",
		"10.0.0.2:8080":          "http://10.0.0.2:8080",
		"https://ollama.example": "https://ollama.example",
		"http://h/sub":           "http://h:11434/sub",
	} {
		if got := ollamaURL(in); got != want {
			t.Errorf("ollamaURL(%q) = %q, want %q", in, got, want)
		}
	}
}
