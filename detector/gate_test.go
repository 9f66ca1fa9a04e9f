package detector_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
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
