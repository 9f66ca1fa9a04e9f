package alerts

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// TestCrashLeavesNoEventOpen: an event open when the process dies (OOM
// kill, power loss) is ended by the next start, continuing its message
// numbers, so a consumer's alarm raised on started does not stay on for
// ever. A clean shutdown leaves nothing for the next start to end.
func TestCrashLeavesNoEventOpen(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	h := startPub(t, cfg)
	h.p.Submit(seg(0, 0.9)) // started
	waitDelivered(t, h.p, 1)
	h.kill()

	h2 := startPub(t, cfg)
	waitDelivered(t, h2.p, 1)
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	h3 := startPub(t, cfg) // after a clean stop: nothing to end
	alertstest.Eventually(t, 10*time.Second, "third run connected", h3.p.Connected)
	if err := h3.stop(); err != nil {
		t.Fatal(err)
	}

	nc := alertstest.Connect(t, srv.URL())
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>")) // schema-checked
	if len(evs) != 2 {
		t.Fatalf("%d messages, want started then ended: %+v", len(evs), evs)
	}
	st, end := evs[0], evs[1]
	if st.Kind != KindStarted || end.Kind != KindEnded || end.ID != st.ID || end.Seq != 1 || end.EndReason != EndReasonRestart {
		t.Fatalf("messages %s/%d and %s/%d %q, want started/0 and ended/1 %q of one event", st.Kind, st.Seq, end.Kind, end.Seq, end.EndReason, EndReasonRestart)
	}
	if end.EndedAt == nil || !end.EndedAt.Equal(t0.Add(time.Second)) || !end.StartedAt.Equal(st.StartedAt) || end.Camera != "cam1" || end.Rule != "fall" {
		t.Fatalf("ended %+v, want ended_at at the end of the last segment above (%v) and the event's identity", end, t0.Add(time.Second))
	}
	if end.Snapshots != nil {
		t.Fatalf("ended names snapshots of another message: %+v", end.Snapshots)
	}
}

// TestUnreadableOpenEventsFile: a damaged list is reported, naming the
// file, and the publisher starts all the same.
func TestUnreadableOpenEventsFile(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	if err := os.MkdirAll(cfg.SpoolDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.SpoolDir, openEventsFile), []byte("{not json"), 0o640); err != nil {
		t.Fatal(err)
	}
	h := startPub(t, cfg)
	h.p.Submit(seg(0, 0.9))
	waitDelivered(t, h.p, 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.SpoolDir, openEventsFile))
	if err != nil || string(b) != "[]" {
		t.Fatalf("after a clean stop the list is %q (%v), want []", b, err)
	}
}
