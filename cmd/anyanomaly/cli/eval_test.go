package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/eval/evaltest"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

// TestEvalCommand runs `anyanomaly eval` end to end on two synthetic videos
// against the fake Ollama: the table is printed, results.json written, and
// a second run makes no LVLM call.
func TestEvalCommand(t *testing.T) {
	root := t.TempDir()
	videos := evaltest.DefaultVideos()
	videos = []evaltest.Video{videos[1], videos[3]} // parked car; car passing + parked car
	labels, err := evaltest.Write(root, videos)
	if err != nil {
		t.Fatal(err)
	}
	perc := evaltest.NewPerception("")
	srv := ollamatest.New(ollamatest.Options{Perceive: perc.Perceive})
	defer srv.Close()
	out := t.TempDir()
	args := []string{"eval", "--dataset", "generic", "--root", root, "--labels", labels, "--run", "car",
		"--ollama", srv.URL(), "--model", ollamatest.DefaultModel, "--out", out, "--sigma", "4", "--weights", "0.6,0.3,0.1",
		"--long-side", "320", "--no-plots"}
	var stdout, stderr bytes.Buffer
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"| car | appearance | 2 |", "σ = 4 frames", "0.6, 0.3, 0.1", "overall average"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	calls := srv.Requests("/api/chat")
	if calls != 2*4*3 {
		t.Errorf("%d LVLM calls, want %d", calls, 2*4*3)
	}
	var rep struct {
		Runs []struct {
			Run string `json:"run"`
		} `json:"runs"`
		LVLMCalls int `json:"lvlm_calls"`
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Runs) != 1 || rep.LVLMCalls != calls {
		t.Errorf("results.json: %+v, %v", rep, err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr.String())
	}
	if n := srv.Requests("/api/chat"); n != calls || !strings.Contains(stderr.String(), " 0 LVLM calls") {
		t.Errorf("warm rerun made %d LVLM calls: %s", n-calls, stderr.String())
	}
}

func TestEvalCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown dataset", []string{"--dataset", "ucf", "--root", ".", "--model", "m"}, `unknown dataset "ucf"`},
		{"bad weights", []string{"--dataset", "c-shtech", "--root", ".", "--model", "m", "--weights", "0.5,0.5,0.5"}, "sum to"},
		{"bad smoothing", []string{"--dataset", "c-shtech", "--root", ".", "--model", "m", "--smooth", "both"}, `"both"`},
		{"generic without labels", []string{"--dataset", "generic", "--root", ".", "--model", "m"}, "--labels"},
		{"no model", []string{"--dataset", "c-shtech", "--root", "."}, "--model"},
		{"unknown run", []string{"--dataset", "c-avenue", "--root", ".", "--model", "m", "--run", "flying"}, `"flying"`},
		// Checked before the model is asked (nothing listens on port 1).
		{"missing root", []string{"--dataset", "c-shtech", "--root", "/nonexistent/frames", "--model", "m", "--ollama", "http://127.0.0.1:1"}, "--root: dataset root /nonexistent/frames does not exist"},
		{"root not a folder", []string{"--dataset", "c-shtech", "--root", "/etc/passwd", "--model", "m", "--ollama", "http://127.0.0.1:1"}, "not a folder"},
		{"model unreachable", []string{"--dataset", "c-shtech", "--root", ".", "--model", "m", "--ollama", "http://127.0.0.1:1"}, "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"eval", "--out", out}, tc.args...)
			if code := Main(args, nil, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want an error mentioning %q", code, stderr.String(), tc.want)
			}
			// A run that cannot start leaves no --out folder behind.
			if _, err := os.Stat(out); err == nil {
				t.Errorf("--out %s created by a run that failed", out)
			}
		})
	}
}
