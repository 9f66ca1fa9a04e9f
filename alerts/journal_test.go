package alerts

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

func waitSpoolOpen(t *testing.T, p *Publisher) {
	t.Helper()
	alertstest.Eventually(t, 10*time.Second, "spool open", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.spool != nil
	})
}

func eventKinds(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind+"/"+e.EndReason)
	}
	return out
}

// offlinePub starts a publisher for cam1 whose NATS server is down, so
// that records stay in its spool (maxRecords of them at most, 0 for the
// test default), and waits until Run opened the spool.
func offlinePub(t *testing.T, maxRecords int) (*alertstest.Server, Config, *harness) {
	t.Helper()
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	if maxRecords > 0 {
		cfg.SpoolMaxRecords = maxRecords
	}
	srv.Stop()
	h := startPub(t, cfg)
	waitSpoolOpen(t, h.p)
	return srv, cfg, h
}

// submitPlain submits segment i's score without query images (no
// snapshot records in the spool).
func submitPlain(p *Publisher, i int, score float64) {
	s := seg(i, score)
	s.Images.KeyFrame = nil
	p.Submit(s)
}

// crashWithOpenEvent runs a publisher on cfg until an event has started
// and been delivered, then ends it as a crash would.
func crashWithOpenEvent(t *testing.T, cfg Config) {
	t.Helper()
	h := startPub(t, cfg)
	h.p.Submit(seg(0, 0.9)) // started
	waitDelivered(t, h.p, 1)
	h.kill()
}

// restartAndRead starts a publisher on cfg, waits until it delivered n
// messages, stops it and returns the stream's events.
func restartAndRead(t *testing.T, srvURL string, cfg Config, n uint64) []Event {
	t.Helper()
	h := startPub(t, cfg)
	waitDelivered(t, h.p, n)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	return decodeEvents(t, alertstest.ReadStream(t, alertstest.Connect(t, srvURL), "ANYANOMALY", "anyanomaly.events.>"))
}

// waitLastEnded polls the stream (5 s at most) until its last event
// message is an ended one, and returns the events.
func waitLastEnded(t *testing.T, srvURL string) []Event {
	t.Helper()
	nc := alertstest.Connect(t, srvURL)
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
		if len(evs) > 0 && evs[len(evs)-1].Kind == KindEnded || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJournalRetriedAfterFailedStart: the start's compaction of the
// open-events journal fails once (disk full, a transient error). The
// journal is tried again at the next write: once, it never was in that
// run, and a crash later left the run's events open for ever.
func TestJournalRetriedAfterFailedStart(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	tmp := filepath.Join(cfg.SpoolDir, openEventsFile+".tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil { // the start's compaction cannot create its file
		t.Fatal(err)
	}
	h := startPub(t, cfg)
	waitSpoolOpen(t, h.p)
	if err := os.Remove(tmp); err != nil { // the trouble is gone
		t.Fatal(err)
	}
	h.p.Submit(seg(0, 0.9)) // started
	waitDelivered(t, h.p, 1)
	h.kill()

	evs := restartAndRead(t, srv.URL(), cfg, 1)
	if len(evs) != 2 || evs[1].EndReason != EndReasonRestart {
		t.Fatalf("messages %v: the event the crash left open was never ended (journal never retried after the start's failure)", eventKinds(evs))
	}
}

// TestJournalClosedWhenRunFailsEarly: Run returning on an embedded
// server that cannot start once left the open-events journal file open.
func TestJournalClosedWhenRunFailsEarly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := testConfig(t)
	cfg.Embedded = EmbeddedConfig{StateDir: t.TempDir(), Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	p, err := New(cfg, Deps{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); err == nil {
		t.Fatal("Run with its port taken returned nil")
	}
	journal := filepath.Join(cfg.SpoolDir, openEventsFile)
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == journal {
			t.Fatalf("Run returned but fd %s still holds %s", fd.Name(), journal)
		}
	}
}

// TestSkippedSegmentsAreNoClockJump: the detector drops the oldest
// waiting segments under overload (and the daemon's score queue drops
// scores when the publisher lags): after a slow model call, the next score
// is of a segment far later on the same clock, arriving a moment after the
// previous one. Its segment number says how many were skipped; the clock
// did not change, and the open event must not end "clock changed".
func TestSkippedSegmentsAreNoClockJump(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	// Segment 0 (t0..t0+1s) took 45 s to score.
	clk := &fakeClock{t: t0.Add(46 * time.Second)}
	p := startPubClock(t, cfg, clk.now, fastRule)
	p.Submit(segAt(0, t0, 0.9)) // started
	// Segments 1..39 were dropped while 0 was scored; 40 is scored in 2 s.
	clk.advance(2 * time.Second)
	p.Submit(segAt(40, t0.Add(40*time.Second), 0.9))
	if st := p.Stats(); st.EventsEnded != 0 {
		t.Fatalf("39 skipped segments on an unchanged clock ended the open event as a clock change: %+v", st)
	}
}

// TestLeftOpenRetryIsNotCountedAsDrops: while the restart's ended
// message waits for room, its 200 ms retries must not count records
// "dropped by a full spool" (nor log "record DROPPED"): nothing is lost,
// and an operator alerting on the drop counter once saw 5 drops a second
// per waiting event.
func TestLeftOpenRetryIsNotCountedAsDrops(t *testing.T) {
	_, cfg, h := offlinePub(t, 3)
	submitPlain(h.p, 0, 0.9)
	for h.p.CameraStatus("cam1", "online", "") == nil {
	}
	h.kill()

	h2 := startPub(t, cfg)
	waitSpoolOpen(t, h2.p)
	first := h2.p.Stats().SpoolFullDrops
	time.Sleep(time.Second) // let the sync loop tick (not synchronisation: a span to measure over)
	if got := h2.p.Stats().SpoolFullDrops; got > first+1 {
		t.Fatalf("one ended message waiting for room counted %d drops in a second", got-first)
	}
}

// TestDroppedEndIsRetried: an event ends while the spool is full (NATS
// away for long): its ended message does not fit. It is tried again in
// this run once the spool has room; once, only the next start ended the
// event, and the consumer's alarm stayed on until then.
func TestDroppedEndIsRetried(t *testing.T) {
	srv, _, h := offlinePub(t, 3)
	submitPlain(h.p, 0, 0.9) // started
	for h.p.CameraStatus("cam1", "online", "") == nil {
	}
	submitPlain(h.p, 1, 0.1) // ended: dropped, the spool is full
	srv.Start()
	alertstest.Eventually(t, 30*time.Second, "spool drained", func() bool { return h.p.Stats().SpoolRecords == 0 && h.p.Connected() })
	evs := waitLastEnded(t, srv.URL())
	if len(evs) == 0 || evs[len(evs)-1].Kind != KindEnded {
		t.Fatalf("stream %v: the event whose ended message the full spool dropped is never ended in this run", eventKinds(evs))
	}
}

// TestSpoolRecordWithoutJournalLine: syncOnce fsyncs the journal, then
// the spool; a Submit in between writes a journal line (not fsync'd) and a
// spool record that the spool's fsync makes durable (Sync's target is read
// after the journal's fsync, and fsync covers the whole file anyway). A
// power loss then leaves a started record in the spool with no journal
// line: the restart must end that event too (it reads the spool's
// unacknowledged event records). This test builds that disk state
// (journal without its last line) directly.
func TestSpoolRecordWithoutJournalLine(t *testing.T) {
	srv, cfg, h := offlinePub(t, 0)
	submitPlain(h.p, 0, 0.9) // started
	alertstest.Eventually(t, 10*time.Second, "started durable", func() bool { return h.p.durable.Load() >= 1 })
	h.kill()
	// The power loss took the journal line, not the spool record.
	journal := filepath.Join(cfg.SpoolDir, openEventsFile)
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	var kept []string
	for _, ln := range lines {
		var jl journalLine
		if json.Unmarshal([]byte(strings.TrimSpace(ln)), &jl) == nil && jl.Open != nil {
			continue
		}
		kept = append(kept, ln)
	}
	if err := os.WriteFile(journal, []byte(strings.Join(kept, "")), 0o640); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	evs := restartAndRead(t, srv.URL(), cfg, 1)
	if len(evs) != 2 || evs[1].Kind != KindEnded {
		t.Fatalf("stream %v: a started message replayed from the spool is never ended", eventKinds(evs))
	}
}
