package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector"
)

// Generic labels without "frames" take the source's frame count; an interval
// past the frames the source delivered cannot be checked at parse time and
// must be refused once the count is known (docs/eval.md: "bad intervals …
// are refused with a message naming the culprit").
func TestIntervalPastSourceRefused(t *testing.T) {
	p := DefaultParams()
	p.Segment = 4
	set := mustLabels(t, `{"single": {"red": [
		{"video": "a", "anomalies": [[300, 400]]},
		{"video": "b", "anomalies": [[0, 4]]}]}}`)
	seg := []detector.ContextScores{cs(0.1, 0, 0), cs(0.5, 1, 0)}
	scores := map[string]map[string]VideoScores{"red": {
		"a": {Video: "a", Frames: 8, Segments: seg, SegmentFrames: 4},
		"b": {Video: "b", Frames: 8, Segments: seg, SegmentFrames: 4},
	}}
	_, err := Compute(Config{Labels: set, Params: p}, scores)
	if err == nil || !strings.Contains(err.Error(), "video a") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("err = %v, want a refusal naming video a and its interval [300, 400)", err)
	}
}

// --rescore must hold the labels to the same frame count a scoring run
// does (scoreVideo refuses "the source has 14 frames but the labels cover
// 10"): here scores.json says the source had 14 frames, the labels 10.
func TestRescoreFrameCountMismatch(t *testing.T) {
	dir := t.TempDir()
	lab := filepath.Join(dir, "labels.json")
	if err := os.WriteFile(lab, []byte(`{"single": {"red": [{"video": "a", "frames": 10, "anomalies": [[4, 8]]}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	segs := []detector.ContextScores{cs(0.1, 0, 0), cs(0.9, 1, 1), cs(0.2, 0, 0)}
	b, _ := json.Marshal(map[string]map[string]VideoScores{"red": {"a": {Video: "a", Frames: 14, Segments: segs, SegmentFrames: 4}}})
	sc := filepath.Join(dir, "scores.json")
	if err := os.WriteFile(sc, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.Segment = 4
	o := Options{Dataset: DatasetGeneric, Labels: lab, Rescore: sc, Params: p, Out: filepath.Join(dir, "out"), NoPlots: true}
	var out bytes.Buffer
	_, err := Execute(context.Background(), o, &out, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "14") || !strings.Contains(err.Error(), "10") {
		t.Fatalf("err = %v, want a refusal: video a has 14 frames in scores.json, the labels cover 10", err)
	}
}

// --rescore names the model the scores were made with, and refuses labels
// that now ask other questions than the scores answered (an edited
// "texts") or a --model other than the scores'.
func TestRescoreModelAndTexts(t *testing.T) {
	dir := t.TempDir()
	segs := []detector.ContextScores{cs(0.1, 0, 0), cs(0.9, 1, 1), cs(0.2, 0, 0)}
	b, _ := json.Marshal(map[string]map[string]VideoScores{"red": {"a": {Video: "a", Frames: 12, Segments: segs, SegmentFrames: 4,
		Model: "qwen2.5vl:7b", Texts: []string{"red"}}}})
	sc := filepath.Join(dir, "scores.json")
	if err := os.WriteFile(sc, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.Segment = 4
	tests := []struct {
		name, labels, model, wantErr string
	}{
		{"same texts", `{"single": {"red": [{"video": "a", "frames": 12, "anomalies": [[4, 8]]}]}}`, "", ""},
		{"same model given", `{"single": {"red": [{"video": "a", "frames": 12, "anomalies": [[4, 8]]}]}}`, "qwen2.5vl:7b", ""},
		{"texts edited", `{"single": {"red": [{"video": "a", "frames": 12, "anomalies": [[4, 8]]}]}, "texts": {"red": ["red ball"]}}`, "", `"red ball"`},
		{"another model", `{"single": {"red": [{"video": "a", "frames": 12, "anomalies": [[4, 8]]}]}}`, "llava", "qwen2.5vl:7b"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := filepath.Join(dir, fmt.Sprintf("labels%d.json", i))
			if err := os.WriteFile(lab, []byte(tc.labels), 0o644); err != nil {
				t.Fatal(err)
			}
			o := Options{Dataset: DatasetGeneric, Labels: lab, Rescore: sc, Params: p, Model: tc.model, Out: filepath.Join(dir, fmt.Sprint("out", i)), NoPlots: true}
			var out bytes.Buffer
			rep, err := Execute(context.Background(), o, &out, &out, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "video a") && tc.model == "" {
					t.Fatalf("err = %v, want a refusal mentioning %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Model != "qwen2.5vl:7b" {
				t.Errorf("report model %q, want the scores' qwen2.5vl:7b", rep.Model)
			}
		})
	}
}
