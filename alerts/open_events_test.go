package alerts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	crashWithOpenEvent(t, cfg)

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

// TestUnreadableOpenEventsJournal: a damaged journal is reported, naming
// the file, the events on its readable lines are still ended, and the
// publisher starts all the same.
func TestUnreadableOpenEventsJournal(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	crashWithOpenEvent(t, cfg)
	journal := filepath.Join(cfg.SpoolDir, openEventsFile)
	f, err := os.OpenFile(journal, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{\"open\": {\"last\": {\"id\": \"torn"); err != nil { // a line torn by a power loss
		t.Fatal(err)
	}
	f.Close()

	var logs syncBuffer
	p := startPubWith(t, cfg, Deps{Log: slogTo(&logs)}, []string{"cam1"}, fastRule).p
	waitDelivered(t, p, 1)
	if !strings.Contains(logs.String(), journal) || !strings.Contains(logs.String(), "1 lines unreadable") {
		t.Errorf("log does not name the damaged journal:\n%s", logs.String())
	}
	nc := alertstest.Connect(t, srv.URL())
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	if len(evs) != 2 || evs[1].EndReason != EndReasonRestart {
		t.Fatalf("messages %+v, want the event started and ended after the restart", evs)
	}
}

// TestCrashRightAfterAnUpdate: the process dies right after an event's
// messages were spooled, before any sync. The ended message the restart
// makes must be numbered after all of them: with the same number as one
// of them JetStream would drop it as a duplicate, and the event would
// never end.
func TestCrashRightAfterAnUpdate(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	rule := fastRule
	rule.PeakStep = 0.1
	h := startPubWith(t, cfg, Deps{Log: quietLog()}, []string{"cam1"}, rule)
	p := h.p
	waitSpoolOpen(t, p)
	p.Submit(seg(0, 0.6)) // started
	p.Submit(seg(1, 0.9)) // updated: the peak rose
	h.kill()              // no sync since: the process dies here

	h2 := startPub(t, cfg)
	waitDelivered(t, h2.p, 3)
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	nc := alertstest.Connect(t, srv.URL())
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s/%d", ev.Kind, ev.Seq))
	}
	if want := "[started/0 updated/1 ended/2]"; fmt.Sprint(got) != want {
		t.Fatalf("messages %v, want %s", got, want)
	}
}

// TestLeftOpenEndedOnceTheSpoolHasRoom: the restart's ended message for
// an event a crash left open does not fit a spool that is full at start
// (NATS away for long: exactly when crashes and restarts pile up). It is
// tried again in this run once the spool has room, not only at the next
// start: an alarm raised on its started message must not stay on.
func TestLeftOpenEndedOnceTheSpoolHasRoom(t *testing.T) {
	srv, cfg, h := offlinePub(t, 3)
	submitPlain(h.p, 0, 0.9)                            // started
	for h.p.CameraStatus("cam1", "online", "") == nil { // fill the spool
	}
	h.kill() // crash while the event is open

	h2 := startPub(t, cfg) // spool still full at start
	waitSpoolOpen(t, h2.p)
	if h2.p.st.spoolFull.Load() == 0 {
		t.Fatal("the restart's ended was not refused by the full spool; the test's premise is gone")
	}
	srv.Start() // NATS back: the spool drains
	alertstest.Eventually(t, 30*time.Second, "spool drained", func() bool { return h2.p.Stats().SpoolRecords == 0 && h2.p.Connected() })
	evs := waitLastEnded(t, srv.URL())
	if len(evs) == 0 || evs[len(evs)-1].Kind != KindEnded {
		kinds := []string{}
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		t.Fatalf("NATS is back and the spool drained, but the event the crash left open is still not ended (stream: %v); it waits for the next restart", kinds)
	}
}
