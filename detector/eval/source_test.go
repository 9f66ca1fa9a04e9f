package eval_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/eval"
	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// clipDataset encodes two streamtest clips with FFmpeg (the scripted red
// object visible in one of them) as <root>/<name>.mp4 and returns the root
// and generic labels with frame counts off by extra.
func clipDataset(t *testing.T, extra int) (root, labelsPath string) {
	streamtest.NeedFFmpeg(t)
	root = t.TempDir()
	type fv struct {
		Video     string   `json:"video"`
		Frames    int      `json:"frames"`
		Anomalies [][2]int `json:"anomalies"`
	}
	var vids []fv
	specs := map[string]streamtest.ClipSpec{
		"calm": {Width: 320, Height: 180, FPS: 24, Seconds: 4, Seed: 1},
		"event": {Width: 320, Height: 180, FPS: 24, Seconds: 4, Seed: 2,
			Anomaly: &streamtest.Anomaly{Start: 1.5, End: 3, X: 0.3, Y: 0.4, Size: 0.15, Moving: true}},
	}
	for name, spec := range specs {
		if err := os.Rename(streamtest.GenerateClip(t, spec), filepath.Join(root, name+".mp4")); err != nil {
			t.Fatal(err)
		}
		v := fv{Video: name, Frames: spec.Frames() + extra, Anomalies: [][2]int{}}
		start := -1
		for i := 0; i <= spec.Frames(); i++ {
			on := i < spec.Frames() && spec.AnomalyVisible(i)
			if on && start < 0 {
				start = i
			}
			if !on && start >= 0 {
				v.Anomalies = append(v.Anomalies, [2]int{start, i})
				start = -1
			}
		}
		vids = append(vids, v)
	}
	b, _ := json.Marshal(map[string]any{"single": map[string]any{"red_object": vids}, "texts": map[string]any{"red_object": []string{"a red object"}}})
	labelsPath = filepath.Join(root, "labels.json")
	if err := os.WriteFile(labelsPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, labelsPath
}

// TestVideoFiles evaluates video files (decoded by FFmpeg) against
// ollamatest's default perception (the red object's visible share).
func TestVideoFiles(t *testing.T) {
	root, labelsPath := clipDataset(t, 0)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	o := options(root, labelsPath, srv.URL(), t.TempDir())
	var out bytes.Buffer
	rep, err := eval.Execute(context.Background(), o, &out, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"plots/red_object/calm.png", "plots/red_object/event.png"} {
		img, err := os.Open(filepath.Join(o.Out, f))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(img)
		img.Close()
		if err != nil || cfg.Width < 600 {
			t.Errorf("plot %s: %+v, %v", f, cfg, err)
		}
	}
	r, _ := rep.Run("red_object")
	if r.Frames != 2*96 || r.Scores.Fused.Micro < 0.9 {
		t.Errorf("red_object: %d frames, fused AUC %.3f; want 192 frames and ≥ 0.9\n%s", r.Frames, r.Scores.Fused.Micro, out.String())
	}
}

func TestFrameCountMismatch(t *testing.T) {
	root, labelsPath := clipDataset(t, 5)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	o := options(root, labelsPath, srv.URL(), t.TempDir())
	var out bytes.Buffer
	_, err := eval.Execute(context.Background(), o, &out, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "the source has 96 frames but the labels cover 101") {
		t.Errorf("err = %v", err)
	}
	o.Root = filepath.Join(root, "nowhere")
	if _, err = eval.Execute(context.Background(), o, &out, &out, nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing root: err = %v", err)
	}
}

func TestLoadLabels(t *testing.T) {
	data := t.TempDir()
	frames := filepath.Join(data, "testing", "frames")
	masks := filepath.Join(data, "testing", "test_frame_mask")
	if err := os.MkdirAll(masks, 0o755); err != nil {
		t.Fatal(err)
	}
	// A two-video ShanghaiTech-style mask folder, written as numpy.save does.
	for name, m := range map[string][]byte{"01_0014": {0, 1, 1, 0}, "01_0015": {0, 0, 0}} {
		h := "{'descr': '|u1', 'fortran_order': False, 'shape': (" + string(rune('0'+len(m))) + ",), }"
		h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
		var b bytes.Buffer
		b.WriteString("\x93NUMPY\x01\x00")
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
		b.WriteString(h)
		b.Write(m)
		if err := os.WriteFile(filepath.Join(masks, name+".npy"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	generic := filepath.Join(data, "g.json")
	if err := os.WriteFile(generic, []byte(`{"single": {"anomaly": [{"video": "01", "frames": 10, "anomalies": [[2, 4]]}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		o     eval.Options
		runs  int
		texts int
		err   string
	}{
		{o: eval.Options{Dataset: "c-shtech"}, runs: 20, texts: 1},
		{o: eval.Options{Dataset: "c-avenue"}, runs: 7, texts: 1},
		{o: eval.Options{Dataset: "shanghaitech", Root: frames}, runs: 1, texts: 11},
		{o: eval.Options{Dataset: "shanghaitech", Root: frames, Texts: []string{"bike"}}, runs: 1, texts: 1},
		{o: eval.Options{Dataset: "avenue", Labels: generic}, runs: 1, texts: 5},
		{o: eval.Options{Dataset: "generic", Labels: generic}, runs: 1, texts: 1},
		{o: eval.Options{Dataset: "avenue"}, err: "--labels"},
		{o: eval.Options{Dataset: "shanghaitech", Root: data}, err: "no .npy"},
		{o: eval.Options{Dataset: "ucsd"}, err: "unknown dataset"},
		{o: eval.Options{Dataset: "c-shtech", Texts: []string{"x"}}, err: "--text does not apply"},
	}
	for _, tc := range tests {
		t.Run(tc.o.Dataset, func(t *testing.T) {
			s, err := eval.LoadLabels(tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Runs) != tc.runs || len(s.Runs[0].Texts) != tc.texts {
				t.Errorf("%d runs, first with texts %q", len(s.Runs), s.Runs[0].Texts)
			}
			if tc.o.Dataset == "shanghaitech" {
				if v, ok := s.Runs[0].Video("01_0014"); !ok || v.Frames != 4 || v.Anomalies[0] != (labels.Interval{Start: 1, End: 3}) {
					t.Errorf("masks read as %+v", s.Runs[0].Videos)
				}
			}
		})
	}
}
