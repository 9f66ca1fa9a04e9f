package eval

import (
	"bytes"
	"context"
	"encoding/json"
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
