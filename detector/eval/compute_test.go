package eval

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
	"github.com/anyanomaly/anyanomaly/detector/eval/metrics"
)

func mustLabels(t *testing.T, js string) *labels.Set {
	t.Helper()
	s, err := labels.Parse(strings.NewReader(js), "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cs(f, p, tc float64) detector.ContextScores {
	return detector.ContextScores{Frame: f, Position: p, Temporal: tc}
}

// Two videos, N = 4: video a has 10 frames (two trailing frames dropped),
// its second segment is the anomaly; video b is normal. Each segment's
// scores are chosen so every variant's AUC can be counted by hand.
const twoVideos = `{"dataset": "hand", "single": {
	"jumping": [{"video": "a", "frames": 10, "anomalies": [[4, 8]]}, {"video": "b", "frames": 8, "anomalies": []}],
	"car": [{"video": "a", "frames": 10, "anomalies": [[0, 4]]}, {"video": "b", "frames": 8, "anomalies": [[6, 8]]}]},
	"multiple": {"car-jumping": [{"video": "a", "frames": 10, "anomalies": [[0, 4]]}]}}`

func handScores() map[string]map[string]VideoScores {
	seg := map[string]VideoScores{
		"a": {Video: "a", Frames: 10, Segments: []detector.ContextScores{cs(0.1, 0, 0), cs(0.5, 1, 0)}},
		"b": {Video: "b", Frames: 8, Segments: []detector.ContextScores{cs(0.9, 0, 0), cs(0.3, 0, 1)}},
	}
	return map[string]map[string]VideoScores{"jumping": seg, "car": seg, "car-jumping": {"a": seg["a"]}}
}

func TestComputeByHand(t *testing.T) {
	p := DefaultParams()
	p.Segment, p.Sigma = 4, 0
	cfg := Config{Labels: mustLabels(t, twoVideos), Params: p}
	rep, err := Compute(cfg, handScores())
	if err != nil {
		t.Fatal(err)
	}
	jump, ok := rep.Run("jumping")
	if !ok {
		t.Fatal("no jumping run")
	}
	if jump.Frames != 16 || jump.Positives != 4 || jump.Videos != 2 || jump.Kind != labels.KindAction {
		t.Errorf("counts: %+v", jump)
	}
	// Positive segment a1 against negatives a0, b0, b1 (4 frames each):
	// frame 0.5 vs 0.1, 0.9, 0.3 → beats 2 of 3; +PC (0.625, 0.375):
	// 0.6875 vs 0.0625, 0.5625, 0.1875 → 3 of 3; +TC (5/7, 2/7): 0.357 vs
	// 0.071, 0.643, 0.5 → 1 of 3; fused 0.55 vs 0.05, 0.45, 0.35 → 3 of 3.
	want := map[Variant]float64{FrameOnly: 2.0 / 3, PlusPC: 1, PlusTC: 1.0 / 3, Fused: 1}
	for v, w := range want {
		if got := jump.Scores.Get(v).Micro; math.Abs(got-w) > 1e-12 {
			t.Errorf("%s: micro AUC %v, want %v", v, got, w)
		}
	}
	// Only video a holds both classes; inside it a1 beats a0 in every
	// variant.
	if m := jump.Scores.Fused; m.Macro == nil || *m.Macro != 1 || m.MacroVideos != 1 {
		t.Errorf("macro: %+v", m)
	}
	if w := jump.Scores.PlusPC.Weights; math.Abs(w.Alpha-0.625) > 1e-12 || w.Gamma != 0 {
		t.Errorf("+PC weights %+v", w)
	}
	// car: positives a0 and the last half of b1 (frames 6, 7).
	car, _ := rep.Run("car")
	if car.Positives != 6 {
		t.Errorf("car positives %d, want 6", car.Positives)
	}
	// Averages: one action run, one appearance run, overall their mean;
	// the multi-event run is not averaged.
	all, _ := rep.Average("overall")
	act, _ := rep.Average("action")
	app, _ := rep.Average("appearance")
	if all.Runs != 2 || act.Runs != 1 || app.Runs != 1 {
		t.Fatalf("averages %+v", rep.Averages)
	}
	for _, v := range Variants {
		mean := (jump.Scores.Get(v).Micro + car.Scores.Get(v).Micro) / 2
		if math.Abs(all.Micro.Get(v)-mean) > 1e-12 || act.Micro.Get(v) != jump.Scores.Get(v).Micro {
			t.Errorf("%s: overall %v want %v; action %v", v, all.Micro.Get(v), mean, act.Micro.Get(v))
		}
	}
	multi, _ := rep.Run("car-jumping")
	if !multi.Multi || multi.Frames != 8 {
		t.Errorf("multi run %+v", multi)
	}
}

func TestComputeErrors(t *testing.T) {
	p := DefaultParams()
	p.Segment = 4
	set := mustLabels(t, twoVideos)
	short := handScores()
	short["jumping"]["a"] = VideoScores{Video: "a", Frames: 4, Segments: []detector.ContextScores{cs(0, 0, 0)}}
	// --rescore with another --segment: recorded in the file, or told by
	// the number of segments for the frames read (files without N).
	otherN := handScores()
	a := otherN["jumping"]["a"]
	a.SegmentFrames = 2
	otherN["jumping"]["a"] = a
	inferred := handScores()
	a = inferred["jumping"]["a"]
	a.Segments = append(a.Segments, a.Segments...)
	inferred["jumping"]["a"] = a
	tests := []struct {
		name   string
		scores map[string]map[string]VideoScores
		params func(*Params)
		want   string
	}{
		{"missing video", map[string]map[string]VideoScores{"jumping": {}}, nil, "no scores for video a"},
		{"too few segments", short, nil, "need 2 segments"},
		{"scored with another N", otherN, nil, "scored with segments of 2 frames, not 4: rescore with --segment 2"},
		{"scored with another N, not recorded", inferred, nil, "not scored with segments of 4 frames"},
		{"bad smoothing", handScores(), func(p *Params) { p.Smooth = "sideways" }, "sideways"},
		{"bad weights", handScores(), func(p *Params) { p.Weights.Alpha = 0.9 }, "sum to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pp := p
			if tc.params != nil {
				tc.params(&pp)
			}
			_, err := Compute(Config{Labels: set, Params: pp}, tc.scores)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A run whose labels hold one class only has no AUC: it is reported
	// as such (C-ShT's stroller-running is anomalous throughout), the other
	// runs are computed, the averages skip it.
	one := mustLabels(t, `{"single": {"x": [{"video": "a", "frames": 8}], "y": [{"video": "a", "frames": 8, "anomalies": [[0, 4]]}]},
		"multiple": {"x-y": [{"video": "a", "frames": 8, "anomalies": [[0, 8]]}]}}`)
	sa := handScores()["jumping"]["a"]
	rep, err := Compute(Config{Labels: one, Params: p, Oracle: true}, map[string]map[string]VideoScores{"x": {"a": sa}, "y": {"a": sa}, "x-y": {"a": sa}})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := rep.Run("x")
	xy, _ := rep.Run("x-y")
	y, _ := rep.Run("y")
	if !strings.Contains(x.Undefined, "normal") || !strings.Contains(xy.Undefined, "anomalous") || y.Undefined != "" || y.Scores.Fused.Micro <= 0.5 {
		t.Errorf("runs: %+v / %+v / %+v", x, xy, y)
	}
	if all, _ := rep.Average("overall"); all.Runs != 1 {
		t.Errorf("overall averages %d runs, want 1 (the defined one)", all.Runs)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| x-y | – | 1 | 8 | 8 | no AUC: all 8 frames are anomalous |") {
		t.Errorf("markdown (%v):\n%s", err, md.String())
	}
}

func TestSmoothingModes(t *testing.T) {
	set := mustLabels(t, twoVideos)
	run, _ := set.Run("jumping")
	s, err := buildSeries(run, handScores()["jumping"], 4)
	if err != nil {
		t.Fatal(err)
	}
	x := s.fuse(detector.Weights{Alpha: 1})
	per, err := s.smooth(x, 3, SmoothPerVideo)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := metrics.GaussianFilter1D(x[8:], 3)
	for i := range b {
		if per[8+i] != b[i] {
			t.Fatalf("per-video smoothing leaked across the border at %d", i)
		}
	}
	cat, _ := s.smooth(x, 3, SmoothConcat)
	whole, _ := metrics.GaussianFilter1D(x, 3)
	if cat[8] != whole[8] || cat[8] == per[8] {
		t.Errorf("concat smoothing should cross the border: concat %v per-video %v", cat[8], per[8])
	}
}

func TestOracle(t *testing.T) {
	p := DefaultParams()
	p.Segment, p.Sigma = 4, 0
	rep, err := Compute(Config{Labels: mustLabels(t, twoVideos), Params: p, Oracle: true}, handScores())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Runs {
		o := r.Oracle
		if o == nil {
			t.Fatalf("run %s: no oracle scores", r.Run)
		}
		for _, v := range Variants {
			s := o.Get(v)
			if s.Sigma < 1 || s.Sigma > 99 || math.Abs(s.Weights.Alpha+s.Weights.Beta+s.Weights.Gamma-1) > 1e-9 {
				t.Errorf("run %s %s: σ %v weights %+v outside the grid", r.Run, v, s.Sigma, s.Weights)
			}
		}
		// The fused grid contains every other variant's grid.
		for _, v := range []Variant{FrameOnly, PlusPC, PlusTC} {
			if o.Fused.Micro < o.Get(v).Micro-1e-9 {
				t.Errorf("run %s: tuned fused %v < tuned %s %v", r.Run, o.Fused.Micro, v, o.Get(v).Micro)
			}
		}
		if o.Frame.Weights != (detector.Weights{Alpha: 1}) || o.PlusPC.Weights.Gamma != 0 || o.PlusTC.Weights.Beta != 0 {
			t.Errorf("run %s: variant weights leak: %+v", r.Run, o)
		}
	}
	if len(rep.OracleAverages) == 0 {
		t.Error("no tuned averages")
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{"tuned on test labels", "σ = 0 frames", "fixed and declared", "| jumping | action |", "overall average", "Multi-event runs"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if _, ok := back["averages_tuned_on_test_labels"]; !ok || !strings.Contains(js.String(), `"tuned_on_test_labels"`) {
		t.Errorf("JSON does not label the tuned numbers:\n%s", js.String())
	}
}

// TestOracleSearchesTheReferenceSigmaRange: the reference implementation
// searches σ over range(1, 100). On scores where an event shows as one
// high segment in four and false alarms are isolated, wide smoothing wins,
// and the oracle must find what a brute-force search over that range finds.
func TestOracleSearchesTheReferenceSigmaRange(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const n, videos = 24, 1 // one video keeps the 8,800 AUCs quick under -race
	js := `{"single": {"e": [`
	scores := map[string]VideoScores{}
	for k := range videos {
		name := string(rune('a' + k))
		if k > 0 {
			js += ","
		}
		js += `{"video": "` + name + `", "frames": 960, "anomalies": [[240, 720]]}`
		var segs []detector.ContextScores
		for i := range 40 {
			v := 0.0
			if inEvent := i >= 10 && i < 30; (inEvent && i%4 == 0) || (!inEvent && rng.Intn(7) == 0) {
				v = 1
			}
			segs = append(segs, cs(v, v, v))
		}
		scores[name] = VideoScores{Video: name, Frames: 960, SegmentFrames: n, Segments: segs}
	}
	js += `]}}`
	run, _ := mustLabels(t, js).Run("e")
	s, err := buildSeries(run, scores, n)
	if err != nil {
		t.Fatal(err)
	}
	x := s.fuse(detector.Weights{Alpha: 1})
	best, bestSigma := -1.0, 0
	for sigma := 1; sigma < 100; sigma++ {
		sm, err := metrics.GaussianFilter1D(x, float64(sigma))
		if err != nil {
			t.Fatal(err)
		}
		if a, err := metrics.ROCAUC(sm, s.labels); err == nil && a > best {
			best, bestSigma = a, sigma
		}
	}
	o, err := s.oracle(SmoothConcat)
	if err != nil {
		t.Fatal(err)
	}
	if o[FrameOnly].Micro < best-1e-12 {
		t.Fatalf("oracle frame-only AUC %.4f (σ %v), below %.4f at σ %d over the reference's range", o[FrameOnly].Micro, o[FrameOnly].Sigma, best, bestSigma)
	}
	t.Logf("best σ %d, AUC %.4f", bestSigma, best)
}
