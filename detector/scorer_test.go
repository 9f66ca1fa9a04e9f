package detector_test

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

var red = color.RGBA{255, 0, 0, 255}

// makeSegment renders a 24-frame segment; with object set a red square
// crosses the scene.
func makeSegment(camera string, seq uint64, object bool, start time.Time) *segment.Segment {
	sc := contexttest.Scene{W: 160, H: 120, N: 24, Color: red, Start: image.Pt(20, 40), Step: image.Pt(4, 1)}
	if object {
		sc.Square = 16
	}
	frames := sc.Frames()
	seg := &segment.Segment{CameraID: camera, Seq: seq}
	for i, f := range frames {
		idx := int64(seq)*24 + int64(i)
		seg.Frames = append(seg.Frames, segment.Frame{CameraID: camera, Index: idx, SourceIndex: idx,
			PTS: time.Duration(idx) * time.Second / 8, Wall: start.Add(time.Duration(idx) * time.Second / 8), Image: f})
	}
	return seg
}

func newTestClient(t testing.TB, url string, structured bool) *vqa.Client {
	t.Helper()
	c, err := vqa.New(vqa.Config{URL: url, Model: ollamatest.DefaultModel, Timeout: 5 * time.Second, Structured: structured}, vqa.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestScorerSeesTheObject(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{})
	t.Cleanup(srv.Close)
	sc, err := detector.NewScorer(detector.ScorerConfig{}, detector.ScorerDeps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		rule       detector.Rule
		structured bool
		calls      int
	}{
		{"one text", detector.Rule{ID: "r", Texts: []string{"red object"}}, false, 3},
		{"two texts", detector.Rule{ID: "r", Texts: []string{"red object", "fire"}}, true, 6},
		{"batched", detector.Rule{ID: "r", Texts: []string{"red object", "fire"}, Batch: true}, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, srv.URL(), tc.structured)
			before := srv.Requests("/api/chat")
			hi, err := sc.Score(context.Background(), c, makeSegment("cam", 0, true, time.Now()), tc.rule, "")
			if err != nil {
				t.Fatal(err)
			}
			lo, err := sc.Score(context.Background(), c, makeSegment("cam", 1, false, time.Now()), tc.rule, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Requests("/api/chat") - before; got != 2*tc.calls {
				t.Errorf("%d chat calls, want %d", got, 2*tc.calls)
			}
			if hi.Contexts.Frame < 0.8 || hi.Contexts.Position < 0.8 || hi.Contexts.Temporal < 0.8 || hi.Score < 0.8 {
				t.Errorf("object segment: %+v", hi.Contexts)
			}
			if lo.Score > 0.1 {
				t.Errorf("empty segment: %+v", lo.Contexts)
			}
			if hi.Model != ollamatest.DefaultModel || len(hi.Images.Position) == 0 || (hi.Reasons.Frame == "" && !tc.rule.Batch) || hi.LastFrame != 23 {
				t.Errorf("result fields: model %q images %d reason %q last %d", hi.Model, len(hi.Images.Position), hi.Reasons.Frame, hi.LastFrame)
			}
		})
	}
}

func TestScorerCache(t *testing.T) {
	srv := ollamatest.New(ollamatest.Options{})
	t.Cleanup(srv.Close)
	ch, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rule := detector.Rule{ID: "r", Texts: []string{"red object", "fire"}}
	c := newTestClient(t, srv.URL(), false)
	first, _ := detector.NewScorer(detector.ScorerConfig{}, detector.ScorerDeps{Cache: ch})
	seg := makeSegment("cam", 3, true, time.Now())
	a, err := first.Score(context.Background(), c, seg, rule, "test/video1")
	if err != nil {
		t.Fatal(err)
	}
	if first.Stats().Calls != 6 {
		t.Fatalf("cold: %+v", first.Stats())
	}
	second, _ := detector.NewScorer(detector.ScorerConfig{}, detector.ScorerDeps{Cache: ch})
	b, err := second.Score(context.Background(), c, seg, rule, "test/video1")
	if err != nil {
		t.Fatal(err)
	}
	if st := second.Stats(); st.Calls != 0 || st.CacheHits != 6 || a.Score != b.Score || a.Contexts != b.Contexts {
		t.Fatalf("warm: %+v, %v vs %v", st, a.Contexts, b.Contexts)
	}
	// Another source prefix is another key.
	if _, err := second.Score(context.Background(), c, seg, rule, "test/video2"); err != nil || second.Stats().Calls != 6 {
		t.Fatalf("other source: %v %+v", err, second.Stats())
	}
}
