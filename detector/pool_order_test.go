package detector_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

// Two endpoints; the first answers its first call with a transient 500
// (retried 100 ms later, as documented). Segment 0 shows the red object,
// segment 1 does not. Segment 1 is scored by the healthy endpoint first,
// so the camera's scores reach OnScore — and, through the daemon's
// forwarder, the alerts publisher — out of order, and the publisher
// ignores the late high score of segment 0 (docs/alerts.md: "A segment
// with a lower number than one already seen is late ... ignored"): the
// anomaly the LVLM saw never becomes an event.
func TestPoolRetryOnOneEndpointLosesTheAlert(t *testing.T) {
	noLeak(t)
	flaky := ollamatest.New(ollamatest.Options{Fault: ollamatest.Fault500, FaultCount: 1})
	defer flaky.Close()
	healthy := ollamatest.New(ollamatest.Options{})
	defer healthy.Close()

	pub, err := alerts.New(alerts.Config{Node: "n1", URLs: []string{"nats://127.0.0.1:1"}, SpoolDir: t.TempDir()},
		alerts.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.SetCamera("cam", "cam", []alerts.Rule{{ID: redRule.ID, Texts: redRule.Texts, Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}}); err != nil {
		t.Fatal(err)
	}
	var got collector
	p, err := detector.NewPool(detector.PoolConfig{Endpoints: []detector.EndpointConfig{
		{URL: flaky.URL(), Model: ollamatest.DefaultModel}, {URL: healthy.URL(), Model: ollamatest.DefaultModel},
	}}, detector.PoolDeps{OnScore: func(s detector.SegmentScore) { got.add(s); pub.Submit(s) }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.Submit(makeSegment("cam", 0, true, now), []detector.Rule{redRule})
	p.Submit(makeSegment("cam", 1, false, now.Add(3*time.Second)), []detector.Rule{redRule})
	startPool(t, p)
	waitFor(t, "2 scores", func() bool { return got.len() == 2 })
	for _, s := range got.all() {
		t.Logf("delivered: segment %d score %.2f", s.Seq, s.Score)
	}
	st := pub.Stats()
	if st.EventsStarted != 1 {
		t.Fatalf("segment 0 scored high but no event started (out-of-order scores ignored: %d)", st.ScoresOutOfOrder)
	}
}
