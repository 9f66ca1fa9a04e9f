package alerts

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
	"github.com/anyanomaly/anyanomaly/detector"
)

// fakeClock is a settable daemon clock that counts its readings, so a test
// can wait until the stale check has looked at it after a jump.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	reads atomic.Int64
}

func (c *fakeClock) now() time.Time {
	c.reads.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waitReads waits until the clock was read n more times (the stale check
// reads it on every tick).
func (c *fakeClock) waitReads(t *testing.T, n int64) {
	t.Helper()
	from := c.reads.Load()
	alertstest.Eventually(t, 10*time.Second, "stale-check ticks", func() bool { return c.reads.Load() >= from+n })
}

// startPubClock starts a publisher for cam1 with rules and the given clock
// (nil: the real one).
func startPubClock(t *testing.T, cfg Config, now func() time.Time, rules ...Rule) *Publisher {
	t.Helper()
	return startPubWith(t, cfg, Deps{Log: quietLog(), Now: now}, []string{"cam1"}, rules...).p
}

// segAt is segment seq of cam1/fall, one second long from start.
func segAt(seq int, start time.Time, score float64) detector.SegmentScore {
	s := seg(0, score)
	s.Seq, s.Start, s.End = uint64(seq), start, start.Add(time.Second)
	return s
}

// TestLifecycleClockStepBack: a later segment with an earlier time is a
// clock step (a camera's first RTCP report replacing receive times, NTP).
// It once counted as out of order, and so did every segment for as long
// as the step: the open event never ended and nothing new opened.
func TestLifecycleClockStepBack(t *testing.T) {
	t.Run("open event ends and a new one can open", func(t *testing.T) {
		var g idGen
		l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1, Cooldown: time.Hour}, g.next)
		s := segAt(0, t0, 0.9)
		if tr, emit, _ := l.observe(&s); !emit || tr.kind != KindStarted {
			t.Fatal("no start")
		}
		back := t0.Add(-time.Hour)
		s = segAt(1, back, 0.9)
		tr, emit, ok := l.observe(&s)
		if !ok || !emit || tr.kind != KindEnded || tr.endReason != "clock changed" {
			t.Fatalf("stepped segment: ok %v emit %v %+v, want ended \"clock changed\"", ok, emit, tr)
		}
		s = segAt(2, back.Add(time.Second), 0.9)
		if tr, emit, ok := l.observe(&s); !ok || !emit || tr.kind != KindStarted {
			t.Fatalf("after the step: ok %v emit %v %v, want a new event (the old clock's cooldown does not apply)", ok, emit, tr.kind)
		}
	})
	t.Run("pending run is dropped", func(t *testing.T) {
		var g idGen
		l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1, MinDuration: 3 * time.Second}, g.next)
		for i := range 2 {
			s := seg(i, 0.9)
			if _, emit, _ := l.observe(&s); emit {
				t.Fatal("opened before MinDuration")
			}
		}
		back := t0.Add(-time.Hour)
		for i := range 3 {
			s := segAt(2+i, back.Add(time.Duration(i)*time.Second), 0.9)
			tr, emit, ok := l.observe(&s)
			if !ok {
				t.Fatalf("segment %d after the step rejected", i)
			}
			if opens := i == 2; emit != opens || (emit && !tr.startedAt.Equal(back)) {
				t.Fatalf("segment %d after the step: emit %v started_at %v; want the event to open at the third, from %v",
					i, emit, tr.startedAt, back)
			}
		}
	})
	t.Run("late segment is still out of order", func(t *testing.T) {
		var g idGen
		l := newLifecycle(Rule{ID: "r", Threshold: 0.5}, g.next)
		s5, s4 := seg(5, 0.9), seg(4, 0.1)
		l.observe(&s5)
		if _, _, ok := l.observe(&s4); ok {
			t.Fatal("a late segment (lower number, earlier time) was taken for a clock step")
		}
	})
}

// TestForcedEndCooldownOnSegmentClock: after a forced end the cooldown
// runs on the segments' clock. It once ran on the daemon's, so a camera
// whose clock is an hour behind stayed blocked for an hour more.
func TestForcedEndCooldownOnSegmentClock(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1, Cooldown: time.Minute}, g.next)
	s := segAt(0, t0, 0.9)
	l.observe(&s)
	if _, ok := l.forceEnd("no scores", t0.Add(time.Hour+time.Minute)); !ok {
		t.Fatal("nothing to end")
	}
	s = segAt(300, t0.Add(5*time.Minute), 0.9)
	if tr, emit, _ := l.observe(&s); !emit || tr.kind != KindStarted {
		t.Fatal("5 min on the camera's clock after a forced end, a 1 min cooldown still blocks")
	}
}

// TestPendingRunDroppedWhenScoresStop: a pending run does not survive a
// gap without scores (an outage, the rule's inactive hours): the gap
// would count towards MinDuration and the event would start before it.
func TestPendingRunDroppedWhenScoresStop(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	cfg.StaleAfter = 40 * time.Millisecond
	clk := &fakeClock{t: t0}
	rule := fastRule
	rule.MinDuration = 10 * time.Second
	p := startPubClock(t, cfg, clk.now, rule)
	p.Submit(segAt(0, t0, 0.9))
	p.Submit(segAt(1, t0.Add(time.Second), 0.9))
	clk.advance(time.Hour)
	clk.waitReads(t, 5)
	back := t0.Add(time.Hour)
	p.Submit(segAt(3600, back, 0.9))
	if st := p.Stats(); st.EventsStarted != 0 {
		t.Fatalf("one high segment after an hour without scores opened an event (MinDuration %s)", rule.MinDuration)
	}
	for i := 1; i <= 9; i++ {
		p.Submit(segAt(3600+i, back.Add(time.Duration(i)*time.Second), 0.9))
	}
	if st := p.Stats(); st.EventsStarted != 1 {
		t.Fatalf("10 s of high segments after the gap: %+v", st)
	}
	if rs := p.RuleStates(); !rs[0].StartedAt.Equal(back) {
		t.Fatalf("started_at %v, want %v (after the gap)", rs[0].StartedAt, back)
	}
}

// TestOutOfOrderScoresDoNotKeepAnEventAlive: only accepted scores count
// as the camera still scoring.
func TestOutOfOrderScoresDoNotKeepAnEventAlive(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	cfg.StaleAfter = 40 * time.Millisecond
	clk := &fakeClock{t: t0}
	p := startPubClock(t, cfg, clk.now, fastRule)
	p.Submit(segAt(10, t0.Add(10*time.Second), 0.9))
	clk.advance(time.Minute)
	p.Submit(segAt(5, t0.Add(5*time.Second), 0.9)) // late: ignored
	alertstest.Eventually(t, 10*time.Second, "no scores", func() bool { return p.Stats().EventsEnded == 1 })
}

// TestStartedTimeIsTheLatestSegment: with MinDuration, started carries the
// images of the run's best segment, but its time is the end of the
// segment that opened the event (docs/alerts.md).
func TestStartedTimeIsTheLatestSegment(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1, MinDuration: 3 * time.Second}, g.next)
	var tr transition
	for i, sc := range []float64{0.6, 0.8, 0.7} {
		s := seg(i, sc)
		var emit bool
		if tr, emit, _ = l.observe(&s); emit {
			break
		}
	}
	if tr.kind != KindStarted || tr.seg.Seq != 1 || !tr.at.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("started: kind %q, images of segment %d, at %v; want images of 1 at %v", tr.kind, tr.seg.Seq, tr.at, t0.Add(3*time.Second))
	}
}

// rvSeg is segment seq from start to end with score.
func rvSeg(seq int, start, end time.Time, score float64) detector.SegmentScore {
	s := seg(0, score)
	s.Seq, s.Start, s.End = uint64(seq), start, end
	return s
}

// TestLateSegmentAcrossClockStep: with several workers a segment
// from just before a clock step back can finish after the step. It is
// late (lower number) and must be ignored; it is not a second clock. It
// was once taken (its old-clock time is later than the new clock's),
// moved lastSeq back, and the next new-clock segment was seen as another
// step that ended the event opened on the new clock.
func TestLateSegmentAcrossClockStep(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}, g.next)
	sec := func(i int) time.Duration { return time.Duration(i) * time.Second }
	// 0..8 and 10 on the old clock; 9 is still in flight.
	for _, i := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10} {
		s := rvSeg(i, t0.Add(sec(i)), t0.Add(sec(i+1)), 0.9)
		l.observe(&s)
	}
	back := t0.Add(-time.Hour)
	s := rvSeg(11, back, back.Add(time.Second), 0.9)
	if tr, emit, _ := l.observe(&s); !emit || tr.endReason != "clock changed" {
		t.Fatalf("step: %+v", tr)
	}
	s = rvSeg(12, back.Add(sec(1)), back.Add(sec(2)), 0.9)
	if tr, emit, _ := l.observe(&s); !emit || tr.kind != KindStarted {
		t.Fatalf("no new event after the step: %+v", tr)
	}
	late := rvSeg(9, t0.Add(sec(9)), t0.Add(sec(10)), 0.9)
	_, emitLate, okLate := l.observe(&late)
	if okLate {
		t.Errorf("segment 9 (late, lower number than 12) accepted: ok %v emit %v; lifecycle now lastSeq %d, segments.last %d",
			okLate, emitLate, l.lastSeq, l.last)
	}
	s = rvSeg(13, back.Add(sec(2)), back.Add(sec(3)), 0.9)
	if tr, emit, _ := l.observe(&s); emit && tr.kind == KindEnded {
		t.Errorf("segment 13 (new clock, in order) ended the new event: %q", tr.endReason)
	}
}

// TestStraddlingSegmentAfterStepBack: the stream does not cut its
// window where the wall clock switches from receive times to the camera's
// RTCP clock, so the segment carrying the step starts on the old clock and
// ends on the new one (Start after End). With the camera an hour behind,
// a pending run begun by that segment has since = old clock: End - since
// stays negative for an hour, and a continuous anomaly opens no event.
func TestStraddlingSegmentAfterStepBack(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1, MinDuration: 4 * time.Second}, g.next)
	sec := func(i int) time.Duration { return time.Duration(i) * time.Second }
	for i := range 3 { // receive-time clock, quiet
		s := rvSeg(i, t0.Add(sec(2*i)), t0.Add(sec(2*i+2)), 0.1)
		l.observe(&s)
	}
	back := t0.Add(-time.Hour)
	// Segment 3: first frame received at t0+6s, last frame stamped by RTCP.
	s := rvSeg(3, t0.Add(sec(6)), back.Add(sec(8)), 0.9)
	if _, _, ok := l.observe(&s); !ok {
		t.Fatal("straddling segment rejected")
	}
	opened := false
	for i := 4; i < 20; i++ { // 32 s of high scores on the camera's clock
		s := rvSeg(i, back.Add(sec(2*i)), back.Add(sec(2*i+2)), 0.9)
		if tr, emit, _ := l.observe(&s); emit && tr.kind == KindStarted {
			opened = true
			break
		}
	}
	if !opened {
		t.Fatalf("32 s of high scores after the step opened nothing (MinDuration 4s): pending since %v (old clock), latest end %v",
			l.since, l.lastT)
	}
}

// TestJitterIsNotAClockStep: with sliding windows, B-frames' receive
// times can make a later segment end a little before the one before it.
// That is not a clock step: the open event goes on.
func TestJitterIsNotAClockStep(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}, g.next)
	s := rvSeg(0, t0, t0.Add(time.Second), 0.9)
	if _, emit, _ := l.observe(&s); !emit {
		t.Fatal("no start")
	}
	s = rvSeg(1, t0.Add(40*time.Millisecond), t0.Add(960*time.Millisecond), 0.9)
	if tr, emit, ok := l.observe(&s); !ok || emit {
		t.Fatalf("a segment ending 40 ms earlier: ok %v emit %v %q, want it taken quietly", ok, emit, tr.endReason)
	}
	if !l.open() || !l.lastT.Equal(t0.Add(time.Second)) {
		t.Fatalf("open %v, latest end %v; want the event open and the latest end kept", l.open(), l.lastT)
	}
	dup := rvSeg(1, t0.Add(time.Second), t0.Add(2*time.Second), 0.9)
	if _, _, ok := l.observe(&dup); ok {
		t.Fatal("a duplicate segment number was taken")
	}
}

// TestClockJumpForward: the segments' clock running ahead of the daemon's
// by far more than the time between two scores (a camera whose clock is
// ahead at its first RTCP report, NTP stepping forward) is a clock step
// too: a pending run from before it must not count the jump towards
// MinDuration, and an open event ends ("clock changed") rather than
// meeting CloseAfter in one segment.
func TestClockJumpForward(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	clk := &fakeClock{t: t0}
	rule := fastRule
	rule.MinDuration = 10 * time.Second
	p := startPubClock(t, cfg, clk.now, rule)
	p.Submit(segAt(0, t0, 0.9)) // pending
	clk.advance(time.Second)
	ahead := t0.Add(time.Hour)
	p.Submit(segAt(1, ahead, 0.9))
	if st := p.Stats(); st.EventsStarted != 0 {
		t.Fatalf("a jump of an hour forward met MinDuration 10s at once: %+v", st)
	}
	for i := 1; i <= 10; i++ {
		clk.advance(time.Second)
		p.Submit(segAt(1+i, ahead.Add(time.Duration(i)*time.Second), 0.9))
	}
	rs := p.RuleStates()
	if st := p.Stats(); st.EventsStarted != 1 || !rs[0].StartedAt.Equal(ahead) {
		t.Fatalf("10 s of high segments on the new clock: %+v, started_at %v; want one event from %v", st, rs[0].StartedAt, ahead)
	}
	// Scores arriving in a burst (a slow model catching up) are no jump.
	for i := 11; i <= 40; i++ {
		p.Submit(segAt(1+i, ahead.Add(time.Duration(i)*time.Second), 0.9))
	}
	if st := p.Stats(); st.EventsEnded != 0 {
		t.Fatalf("30 queued scores in a burst ended the event: %+v", st)
	}
}
