package detector_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// staticClip writes a static scene (streamtest's textured background, no
// moving shapes) as numbered JPEG frames, with a red square visible in
// frames [from, to). JPEG compression gives it realistic pixel noise.
func staticClip(tb testing.TB, frames, from, to int) string {
	tb.Helper()
	spec := streamtest.ClipSpec{Width: 160, Height: 120, FPS: 24, Seed: 3}
	bg := streamtest.Background(spec)
	dir := tb.TempDir()
	img := image.NewRGBA(bg.Rect)
	encode := func() []byte {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	}
	copy(img.Pix, bg.Pix)
	static := encode() // every static frame is the same picture: encode it once
	for i := range frames {
		data := static
		if i >= from && i < to {
			copy(img.Pix, bg.Pix)
			x := 40 + (i-from)*2 // drifting, as a walking person would
			contexttest.Fill(img, image.Rect(x, 40, x+24, 64), red)
			data = encode()
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%05d.jpg", i)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// gateRun feeds the clip's segments, in order, to a pool with or without
// the gate and returns the scores and the number of LVLM calls made.
func gateRun(tb testing.TB, dir string, gated bool) ([]detector.SegmentScore, int) {
	tb.Helper()
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}},
		QueueSize: 4,
		Gate:      detector.GateConfig{Enabled: gated},
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	n := 0
	_, err = stream.ReadFile(ctx, dir, stream.FileOptions{CameraID: "static", FolderFPS: 24, LongSide: 160, Start: time.Unix(0, 0)}, func(seg *segment.Segment) error {
		p.Submit(seg, []detector.Rule{redRule})
		n++
		waitFor(tb, "segment scored", func() bool { return got.len() == n })
		return nil
	})
	cancel()
	if rerr := <-done; err != nil || rerr != nil {
		tb.Fatal(err, rerr)
	}
	return got.all(), srv.Requests("/api/chat")
}

// TestMotionGateStaticClip: on a static 40-second clip with an anomaly of
// 2/3 s the gate saves ≥ 90 % of the LVLM calls and the anomaly is still
// scored high.
func TestMotionGateStaticClip(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 40-second clip; skipped with -short")
	}
	const segments, anomaly = 40, 20
	dir := staticClip(t, segments*24, anomaly*24+4, anomaly*24+20) // visible for 2/3 s inside one segment
	scores, calls := gateRun(t, dir, true)
	ungated := 3 * segments // the scorer asks three questions per segment and text
	reduction := 1 - float64(calls)/float64(ungated)
	var asked []uint64
	best := 0.0
	for _, s := range scores {
		if !s.Gated {
			asked = append(asked, s.Seq)
		}
		if s.Seq == anomaly {
			best = max(best, s.Score)
		}
	}
	t.Logf("gated: %d calls vs %d ungated (%.1f%% fewer); asked segments %v; anomaly score %.2f", calls, ungated, 100*reduction, asked, best)
	if len(scores) != segments || reduction < 0.9 || best < 0.8 {
		t.Fatalf("%d scores, reduction %.3f, anomaly score %.2f", len(scores), reduction, best)
	}
}

// BenchmarkMotionGate measures the gate on the static clip of
// TestMotionGateStaticClip against an ungated run of the same clip. One op
// is one pair of runs.
func BenchmarkMotionGate(b *testing.B) {
	const segments, anomaly = 40, 20
	dir := staticClip(b, segments*24, anomaly*24+4, anomaly*24+20)
	var gatedCalls, ungatedCalls int
	var anomalyScore float64
	for b.Loop() {
		scores, calls := gateRun(b, dir, true)
		_, ungatedCalls = gateRun(b, dir, false)
		gatedCalls = calls
		for _, s := range scores {
			if s.Seq == anomaly {
				anomalyScore = s.Score
			}
		}
	}
	b.ReportMetric(float64(gatedCalls), "gated_calls")
	b.ReportMetric(float64(ungatedCalls), "ungated_calls")
	b.ReportMetric(100*(1-float64(gatedCalls)/float64(ungatedCalls)), "%_saved")
	b.ReportMetric(anomalyScore, "anomaly_score")
}

// quietSegment is a segment of camera starting at start, for decisions
// made with a given motion level (its pixels do not matter to Skip).
func quietSegment(camera string, start time.Time) *segment.Segment {
	return &segment.Segment{CameraID: camera, Frames: []segment.Frame{{CameraID: camera, Wall: start}}}
}

// TestGatePerCamera: cameras with their own configurations gate the same
// motion level differently, and cameras without one use the gate-wide
// configuration.
func TestGatePerCamera(t *testing.T) {
	g := detector.NewGate(detector.GateConfig{Enabled: false})
	g.SetCamera("lenient", detector.GateConfig{Enabled: true, Threshold: 10, Refresh: -1})
	g.SetCamera("strict", detector.GateConfig{Enabled: true, Threshold: 3})
	g.SetCamera("off", detector.GateConfig{Enabled: false, Threshold: 10})
	t0 := time.Unix(1000, 0)
	for _, cam := range []string{"lenient", "strict", "off", "unset"} {
		g.Observe(cam, "r", quietSegment(cam, t0), 0.1, 0.5)
	}
	for _, tc := range []struct {
		camera string
		level  float64
		after  time.Duration
		want   bool
	}{
		{"lenient", 5, time.Second, true},
		{"lenient", 10, time.Second, false}, // at the threshold: motion
		{"lenient", 5, time.Hour, true},     // negative refresh: never forced
		{"strict", 5, time.Second, false},
		{"strict", 2, time.Second, true},
		{"strict", 2, time.Minute, false}, // default refresh, 60 s
		{"off", 0, time.Second, false},
		{"unset", 0, time.Second, false}, // the gate-wide configuration: off
	} {
		t.Run(fmt.Sprintf("%s/level=%g/after=%s", tc.camera, tc.level, tc.after), func(t *testing.T) {
			if got := g.Skip(tc.camera, "r", quietSegment(tc.camera, t0.Add(tc.after)), tc.level); got != tc.want {
				t.Errorf("Skip = %v, want %v (config %+v)", got, tc.want, g.CameraConfig(tc.camera))
			}
		})
	}
	if c := g.CameraConfig("strict"); c.Cells != 4 || c.Refresh != time.Minute || c.Threshold != 3 {
		t.Errorf("strict camera's effective config = %+v, want defaults for zero fields", c)
	}
}

// TestGateReconfigure: SetCamera, RemoveCamera and SetConfig change the
// next decisions of a camera without losing its state (when each rule was
// last asked and whether its event is open).
func TestGateReconfigure(t *testing.T) {
	g := detector.NewGate(detector.GateConfig{Enabled: true, Threshold: 6, Refresh: time.Hour})
	t0 := time.Unix(1000, 0)
	g.Observe("cam", "quiet", quietSegment("cam", t0), 0.1, 0.5)
	g.Observe("cam", "open", quietSegment("cam", t0), 0.9, 0.5)
	seg := quietSegment("cam", t0.Add(time.Second))
	skip := func(rule string, level float64) bool { return g.Skip("cam", rule, seg, level) }

	if !skip("quiet", 4) || skip("open", 4) {
		t.Fatal("gate-wide config: quiet rule not gated, or an open event gated")
	}
	g.SetCamera("cam", detector.GateConfig{Enabled: false})
	if skip("quiet", 4) {
		t.Fatal("gated after the camera's gate was turned off")
	}
	g.SetCamera("cam", detector.GateConfig{Enabled: true, Threshold: 3, Refresh: time.Hour})
	if skip("quiet", 4) || !skip("quiet", 2) {
		t.Fatal("the camera's new threshold is not applied")
	}
	if skip("open", 2) {
		t.Fatal("the open event was lost across reconfiguration")
	}
	g.RemoveCamera("cam")
	if !skip("quiet", 4) {
		t.Fatal("after RemoveCamera the gate-wide threshold (6) is not applied")
	}
	g.SetConfig(detector.GateConfig{Enabled: false})
	if skip("quiet", 4) {
		t.Fatal("the new gate-wide configuration is not applied")
	}
	g.Forget("cam", "quiet")
	g.SetConfig(detector.GateConfig{Enabled: true})
	if skip("quiet", 0) {
		t.Fatal("a forgotten pair was gated: a pair never asked must be asked")
	}
}

// TestGateConcurrent reconfigures cameras while others decide and observe
// (run with -race).
func TestGateConcurrent(t *testing.T) {
	g := detector.NewGate(detector.GateConfig{Enabled: true})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cam := fmt.Sprint("cam", w%2)
			for i := range 200 {
				seg := quietSegment(cam, time.Unix(int64(i), 0))
				switch i % 4 {
				case 0:
					g.SetCamera(cam, detector.GateConfig{Enabled: i%8 == 0, Threshold: float64(i % 10)})
				case 1:
					g.RemoveCamera(cam)
				case 2:
					g.Observe(cam, "r", seg, 0.1, 0.5)
				default:
					g.Skip(cam, "r", seg, 1)
				}
			}
		}()
	}
	wg.Wait()
}

// TestPoolGatePerCamera runs two cameras' static segments through a pool
// whose gate-wide gate is off: only the camera given its own gate is
// gated; turning the other camera's gate on while it runs gates it from
// its next segment (its state was kept while its gate was off), and
// removing a camera's own configuration makes it fall back.
func TestPoolGatePerCamera(t *testing.T) {
	noLeak(t)
	srv := ollamatest.New(ollamatest.Options{})
	defer srv.Close()
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel}},
		QueueSize: 100,
		Gate:      detector.GateConfig{Enabled: false},
	}, detector.PoolDeps{OnScore: got.add})
	if err != nil {
		t.Fatal(err)
	}
	startPool(t, p)
	p.Gate().SetCamera("gated", detector.GateConfig{Enabled: true, Refresh: time.Hour})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	// phase submits n static segments per camera, in order, and returns
	// each camera's gated count.
	phase := func(n int) map[string]int {
		from := got.len()
		for range n {
			for _, cam := range []string{"gated", "open"} {
				p.Submit(makeSegment(cam, seq, false, start), []detector.Rule{redRule})
				want := got.len() + 1
				waitFor(t, "score", func() bool { return got.len() == want })
			}
			seq++
		}
		gated := map[string]int{}
		for _, s := range got.all()[from:] {
			if s.Gated {
				gated[s.CameraID]++
			}
		}
		return gated
	}
	if g := phase(3); g["gated"] != 2 || g["open"] != 0 {
		t.Fatalf("own gate only: gated %v, want gated:2 (all but the first) open:0", g)
	}
	p.Gate().SetCamera("open", detector.GateConfig{Enabled: true, Refresh: time.Hour})
	if g := phase(3); g["gated"] != 3 || g["open"] != 3 {
		t.Fatalf("after SetCamera(open): gated %v, want 3 each", g)
	}
	p.Gate().RemoveCamera("gated")
	if g := phase(2); g["gated"] != 0 || g["open"] != 2 {
		t.Fatalf("after RemoveCamera(gated): gated %v, want gated:0 (gate-wide: off) open:2", g)
	}
}

// TestGateIgnoresOlderResults: with several workers, segment 4 (slow,
// retried) can finish after segment 5. 5 saw the event, 4 did not; the
// quiet segment 6 must still be asked, since the latest asked segment had
// the event open. 4's result once overwrote 5's.
func TestGateIgnoresOlderResults(t *testing.T) {
	g := detector.NewGate(detector.GateConfig{Enabled: true})
	t0 := time.Unix(1_700_000_000, 0)
	seg := func(seq uint64) *segment.Segment {
		return &segment.Segment{CameraID: "c", Seq: seq, Frames: []segment.Frame{{Wall: t0.Add(time.Duration(seq) * time.Second)}}}
	}
	g.Observe("c", "r", seg(5), 0.9, 0.5)
	g.Observe("c", "r", seg(4), 0.1, 0.5)
	if g.Skip("c", "r", seg(6), 0) {
		t.Fatal("segment 6 skipped: segment 4's late result overwrote segment 5's open event")
	}
	// A later result still counts.
	g.Observe("c", "r", seg(7), 0.1, 0.5)
	if !g.Skip("c", "r", seg(8), 0) {
		t.Fatal("segment 8 asked although segment 7, the latest, saw nothing and nothing moves")
	}
}

// TestGateAfterClockStepBack: the camera's clock steps back an hour
// (its first RTCP report replacing receive times). The gate once kept
// comparing with the old clock: a segment that scored high was not
// recorded (older than lastAsked), so the quiet segments after it were
// gated while the event was open, and the refresh never came (a negative
// age was always "recent").
func TestGateAfterClockStepBack(t *testing.T) {
	g := detector.NewGate(detector.GateConfig{Enabled: true, Threshold: 6, Refresh: time.Minute})
	t0 := time.Unix(100000, 0)
	g.Observe("cam", "r", quietSegment("cam", t0), 0.1, 0.5) // quiet, low
	back := t0.Add(-time.Hour)
	// A segment with motion on the new clock is asked and scores high.
	stepped := quietSegment("cam", back)
	stepped.Seq = 1
	g.Observe("cam", "r", stepped, 0.9, 0.5)
	// The next, quiet one: an event is in progress, it must be asked.
	if g.Skip("cam", "r", quietSegment("cam", back.Add(2*time.Second)), 1) {
		t.Error("after a clock step back, a high score is forgotten: the next quiet segment is gated while its event is open")
	}
	// Even with a low score, 10 minutes on the new clock without a question
	// exceeds the 1-minute refresh.
	g2 := detector.NewGate(detector.GateConfig{Enabled: true, Threshold: 6, Refresh: time.Minute})
	g2.Observe("cam", "r", quietSegment("cam", t0), 0.1, 0.5)
	g2.Observe("cam", "r", stepped, 0.1, 0.5)
	if g2.Skip("cam", "r", quietSegment("cam", back.Add(10*time.Minute)), 1) {
		t.Error("after a clock step back, the refresh is not forced for the size of the step")
	}
}
