package eval_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/eval"
	"github.com/anyanomaly/anyanomaly/detector/eval/evaltest"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

// The synthetic dataset is drawn once per test binary and shared.
var (
	dataOnce  sync.Once
	dataRoot  string
	dataErr   error
	dataClean = func() {}
)

func TestMain(m *testing.M) {
	code := m.Run()
	dataClean()
	os.Exit(code)
}

// synthetic returns the shared dataset's root and its labels file.
func synthetic(t *testing.T) (root, labelsPath string) {
	t.Helper()
	dataOnce.Do(func() {
		if dataRoot, dataErr = os.MkdirTemp("", "anyanomaly-eval-synthetic-"); dataErr != nil {
			return
		}
		dataClean = func() { os.RemoveAll(dataRoot) }
		_, dataErr = evaltest.Write(dataRoot, evaltest.DefaultVideos())
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataRoot, filepath.Join(dataRoot, "labels.json")
}

func options(root, labelsPath, url, out string) eval.Options {
	return eval.Options{
		Dataset:  eval.DatasetGeneric,
		Root:     root,
		Labels:   labelsPath,
		Ollama:   url,
		Model:    ollamatest.DefaultModel,
		Params:   eval.DefaultParams(),
		Out:      out,
		LongSide: evaltest.Width,
	}
}

// TestSyntheticBenchmark is the CI benchmark of issue 6: the synthetic
// dataset scored through the real `eval` path (frame folders →
// stream.ReadFile → detector.Scorer → Ollama protocol on loopback → protocol
// → tables). On scenes built so that each context's contribution is
// mechanistic (see package evaltest), the position context must help where
// a static look-alike fools the key frame, the temporal context must help
// for the small and for the motion-defined anomaly, and the fused score must
// not lose to the key frame alone overall. A warm rerun must make no LVLM
// call and give the same numbers. `make eval-synthetic` runs it verbosely,
// which prints the table.
func TestSyntheticBenchmark(t *testing.T) {
	root, labelsPath := synthetic(t)
	perc := evaltest.NewPerception("")
	srv := ollamatest.New(ollamatest.Options{Perceive: perc.Perceive})
	defer srv.Close()
	out := t.TempDir()
	var table bytes.Buffer
	cold := options(root, labelsPath, srv.URL(), out)
	cold.NoPlots = true // TestVideoFiles covers the plots; PNG encoding is slow under -race
	cold.Concurrency = 2
	rep, err := eval.Execute(context.Background(), cold, &table, &table, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synthetic benchmark:\n%s", table.String())

	calls := srv.Requests("/api/chat")
	// 9 videos × 4 segments × 3 runs × 3 contexts.
	if want := 9 * 4 * 3 * 3; rep.LVLMCalls != uint64(want) || calls != want {
		t.Errorf("cold run: %d LVLM calls reported, %d received, want %d", rep.LVLMCalls, calls, want)
	}
	auc := func(run string, v eval.Variant) float64 {
		r, ok := rep.Run(run)
		if !ok {
			t.Fatalf("no run %s", run)
		}
		return r.Scores.Get(v).Micro
	}
	// The margin keeps the assertions about effects, not noise.
	const margin = 0.1
	if pc, fr := auc("car", eval.PlusPC), auc("car", eval.FrameOnly); pc < fr+margin {
		t.Errorf("car (static look-alike parked in 5 of 9 videos): +PC %.3f does not beat frame-only %.3f by %.2f", pc, fr, margin)
	}
	for _, run := range []string{"bicycle", "running"} {
		if tc, fr := auc(run, eval.PlusTC), auc(run, eval.FrameOnly); tc < fr+margin {
			t.Errorf("%s: +TC %.3f does not beat frame-only %.3f by %.2f", run, tc, fr, margin)
		}
	}
	overall, ok := rep.Average("overall")
	if !ok || overall.Runs != 3 {
		t.Fatalf("overall average missing: %+v", rep.Averages)
	}
	if overall.Micro.Fused < overall.Micro.Frame {
		t.Errorf("overall: fused %.3f < frame-only %.3f", overall.Micro.Fused, overall.Micro.Frame)
	}
	for _, f := range []string{"results.md", "results.json", "scores.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty: %v", f, err)
		}
	}

	// Warm rerun: every answer comes from the cache.
	table.Reset()
	warm := options(root, labelsPath, srv.URL(), out)
	warm.NoPlots = true
	again, err := eval.Execute(context.Background(), warm, &table, &table, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.LVLMCalls != 0 || srv.Requests("/api/chat") != calls {
		t.Errorf("warm rerun made %d LVLM calls (server saw %d new)", again.LVLMCalls, srv.Requests("/api/chat")-calls)
	}
	if again.CacheHits != uint64(calls) {
		t.Errorf("warm rerun: %d cache hits, want %d", again.CacheHits, calls)
	}
	for i := range rep.Runs {
		for _, v := range eval.Variants {
			if a, b := rep.Runs[i].Scores.Get(v).Micro, again.Runs[i].Scores.Get(v).Micro; a != b {
				t.Errorf("run %s %s: warm rerun changed the AUC from %v to %v", rep.Runs[i].Run, v, a, b)
			}
		}
	}
}

// TestRescore recomputes the benchmark from its scores.json: same
// parameters, same numbers; another σ changes them, without an LVLM call.
func TestRescore(t *testing.T) {
	root, labelsPath := synthetic(t)
	perc := evaltest.NewPerception("")
	srv := ollamatest.New(ollamatest.Options{Perceive: perc.Perceive})
	defer srv.Close()
	o := options(root, labelsPath, srv.URL(), t.TempDir())
	o.Runs, o.NoPlots = []string{"car"}, true
	var sink bytes.Buffer
	first, err := eval.Execute(context.Background(), o, &sink, &sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.Requests("/api/chat")
	r := o
	r.Rescore, r.Root, r.Ollama, r.Out = filepath.Join(o.Out, "scores.json"), "", "", t.TempDir()
	same, err := eval.Execute(context.Background(), r, &sink, &sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Params.Sigma = 2
	other, err := eval.Execute(context.Background(), r, &sink, &sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Requests("/api/chat") != calls {
		t.Error("rescoring asked the LVLM")
	}
	if same.Model == "" || same.Model != first.Model {
		t.Errorf("rescored report names model %q, the scoring run %q", same.Model, first.Model)
	}
	a, b, c := first.Runs[0].Scores.Fused, same.Runs[0].Scores.Fused, other.Runs[0].Scores.Fused
	if a.Micro != b.Micro || c.Sigma != 2 || c.Micro == a.Micro {
		t.Errorf("fused AUC: run %v, rescored %v, rescored with σ=2 %v", a.Micro, b.Micro, c.Micro)
	}
}

// TestInterruptedRunResumes cancels a run midway and checks that the next
// run asks only the questions the first did not get answered.
func TestInterruptedRunResumes(t *testing.T) {
	root, _ := synthetic(t)
	// Three of the videos are enough to interrupt and resume.
	labelsPath := filepath.Join(t.TempDir(), "labels.json")
	if err := evaltest.WriteLabels(labelsPath, evaltest.DefaultVideos()[2:5]); err != nil {
		t.Fatal(err)
	}
	perc := evaltest.NewPerception("")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen atomic.Int64
	const stopAfter = 15
	srv := ollamatest.New(ollamatest.Options{Perceive: func(img image.Image, prompt string) (float64, string) {
		if seen.Add(1) == stopAfter {
			cancel()
		}
		return perc.Perceive(img, prompt)
	}})
	defer srv.Close()
	out := t.TempDir()
	o := options(root, labelsPath, srv.URL(), out)
	o.Runs = []string{"car"}
	o.NoPlots = true
	var sink bytes.Buffer
	if _, err := eval.Execute(ctx, o, &sink, &sink, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	c, err := cache.Open(filepath.Join(out, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := c.Len()
	if err != nil {
		t.Fatal(err)
	}
	if stored < stopAfter-1 || stored > stopAfter {
		t.Fatalf("%d answers cached after %d questions", stored, stopAfter)
	}
	rep, err := eval.Execute(context.Background(), o, &sink, &sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := uint64(3 * 4 * 3)
	if rep.LVLMCalls != total-uint64(stored) || rep.CacheHits != uint64(stored) {
		t.Errorf("resumed run: %d calls and %d cache hits, want %d and %d", rep.LVLMCalls, rep.CacheHits, total-uint64(stored), stored)
	}
}
