package alerts

import (
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// TestPreRunEndWaitsForRoom: an event that starts and ends before Run
// (scores submitted early) while the spool left by the last run has room
// for one record only: its started message fits, its ended one must not
// be lost (nor its end journaled as done): it waits for room and reaches
// the stream after the started message.
func TestPreRunEndWaitsForRoom(t *testing.T) {
	srv, cfg, h := offlinePub(t, 4)
	for range 3 {
		if err := h.p.CameraStatus("cam1", "online", ""); err != nil {
			t.Fatal(err)
		}
	}
	h.kill() // leaves the three statuses spooled: room for one record

	p, err := New(cfg, Deps{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetCamera("cam1", "Camera cam1", []Rule{fastRule}); err != nil {
		t.Fatal(err)
	}
	for i, sc := range []float64{0.9, 0.1} { // started, ended: held in memory before Run
		s := seg(i, sc)
		s.Images.KeyFrame = nil
		p.Submit(s)
	}
	h2 := runHarness(t, p)
	waitSpoolOpen(t, h2.p)
	srv.Start()
	alertstest.Eventually(t, 30*time.Second, "spool drained", func() bool { return h2.p.Stats().SpoolRecords == 0 && h2.p.Connected() })
	evs := waitLastEnded(t, srv.URL())
	if kinds := eventKinds(evs); len(evs) != 2 || evs[0].Kind != KindStarted || evs[1].Kind != KindEnded || evs[1].EndReason != "score below threshold" {
		t.Fatalf("stream %v, want the early event started, then ended below threshold", kinds)
	}
}
