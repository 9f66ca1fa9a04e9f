package alerts

import (
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// phase of a (camera, rule) lifecycle.
type phase int

const (
	phaseIdle    phase = iota
	phasePending       // at or above threshold, waiting for MinDuration
	phaseOpen
)

// transition is what the lifecycle decided for one segment: a message to
// send. seg is the segment that carries the images and context scores.
type transition struct {
	kind      string
	endReason string
	score     float64
	peak      float64
	seg       *detector.SegmentScore
	// at is the end of the latest segment: what the message describes.
	// seg may be older (started carries the pending run's best segment).
	at time.Time
	// lastAbove is the end of the latest segment above the closing level
	// (ended_at, should the event have to be ended after a crash).
	lastAbove time.Time
	startedAt time.Time
	endedAt   time.Time
	first     uint64
	last      uint64
	snapshots bool
	seq       int
	id        string
}

// lifecycle turns one (camera, rule)'s segment scores into transitions.
//
// Smoothing is causal: the smoothed score of a segment is the mean of the
// raw scores of it and the k-1 segments before it (fewer at the start);
// a gated segment counts as 0. Durations are measured on the segments'
// wall-clock times.
//
//	idle    → pending  smoothed ≥ threshold, and the segment starts after
//	                   the cooldown of the previous event
//	pending → idle     smoothed < threshold before MinDuration has passed
//	pending → open     smoothed ≥ threshold for MinDuration (measured from
//	                   the first such segment's start to this one's end):
//	                   `started`, with the best pending segment's images
//	open    → open     smoothed rises PeakStep above the last reported
//	                   peak: `updated` with new images; otherwise every
//	                   UpdateEvery: `updated`
//	open    → idle     smoothed < threshold×hysteresis continuously for
//	                   CloseAfter (from the first low segment's start to
//	                   this one's end): `ended`; the cooldown runs from this
//	                   segment's end
type lifecycle struct {
	rule  Rule
	newID func(time.Time) string

	ring    []float64 // last k raw scores, oldest overwritten
	n       int       // scores in ring (≤ k)
	pos     int
	sum     float64
	lastT   time.Time // end of the latest accepted segment
	lastSeq uint64    // its sequence number
	seen    bool      // a segment was accepted

	phase         phase
	since         time.Time // pending: first high segment's start; open: started_at
	first, last   uint64
	peak          float64
	peakSeg       *detector.SegmentScore
	sentPeak      float64
	lastSent      time.Time
	lastAbove     time.Time // end of the latest segment above the closing level
	belowSince    time.Time // start of the first low segment of the current low run
	cooldownUntil time.Time
	latest        *detector.SegmentScore
	smoothed      float64
	seq           int // next message number of the open event
	id            string
}

func newLifecycle(r Rule, newID func(time.Time) string) *lifecycle {
	l := &lifecycle{newID: newID}
	l.setRule(r)
	return l
}

// setRule changes the rule in place; an open event stays open and the next
// segment is judged by the new settings. A new smoothing length keeps the
// most recent scores.
func (l *lifecycle) setRule(r Rule) {
	r = r.withDefaults()
	l.rule = r
	if len(l.ring) == r.Smoothing {
		return
	}
	old := l.recent()
	l.ring = make([]float64, r.Smoothing)
	l.n, l.pos, l.sum = 0, 0, 0
	if len(old) > r.Smoothing {
		old = old[len(old)-r.Smoothing:]
	}
	for _, v := range old {
		l.push(v)
	}
}

// recent returns the ring's scores, oldest first.
func (l *lifecycle) recent() []float64 {
	out := make([]float64, 0, l.n)
	k := len(l.ring)
	for i := 0; i < l.n; i++ {
		out = append(out, l.ring[(l.pos-l.n+i+k)%k])
	}
	return out
}

func (l *lifecycle) push(v float64) {
	k := len(l.ring)
	if l.n == k {
		l.sum -= l.ring[l.pos]
	} else {
		l.n++
	}
	l.ring[l.pos] = v
	l.sum += v
	l.pos = (l.pos + 1) % k
}

// ClockStepMin is how far a later segment's end must lie before the
// latest one's to count as a clock step rather than jitter.
const ClockStepMin = 2 * time.Second

// ClockJumpMin is how far the segments' clock must run ahead of the
// daemon's between two scores, beyond twice a segment's span (scores that
// queued behind a slow model arrive in a burst, a segment apart), to count
// as a clock jump forward.
const ClockJumpMin = 30 * time.Second

// jumpedForward reports whether s, arriving now, puts the segments' clock
// ahead of the daemon's since the latest score (which arrived at lastWall)
// by more than the lifecycle can explain.
func (l *lifecycle) jumpedForward(s *detector.SegmentScore, now, lastWall time.Time) bool {
	if !l.seen || lastWall.IsZero() {
		return false
	}
	span := max(s.End.Sub(s.Start), 0)
	ahead := s.End.Sub(l.lastT) - now.Sub(lastWall)
	// Segments skipped in between (dropped by the detector's bounded queue
	// or the daemon's score queue) explain as much time as they span.
	var skipped time.Duration
	if s.Seq > l.lastSeq {
		skipped = time.Duration(min(s.Seq-l.lastSeq, 1<<20)) * span
	}
	return ahead > ClockJumpMin+2*span && s.End.Sub(l.lastT) > skipped+ClockJumpMin
}

// open reports whether an event is open.
func (l *lifecycle) open() bool { return l.phase == phaseOpen }

// observe feeds one segment. It returns ok=false for a segment numbered
// at or below the latest one (late, or a duplicate), which is ignored.
func (l *lifecycle) observe(s *detector.SegmentScore) (tr transition, emit, ok bool) {
	return l.observeJump(s, false)
}

// observeJump is observe for a segment whose clock the caller saw jump
// forward (it ran ahead of the daemon's): handled like a step back.
func (l *lifecycle) observeJump(s *detector.SegmentScore, jumped bool) (tr transition, emit, ok bool) {
	stepped := jumped
	if l.seen && s.Seq <= l.lastSeq {
		// A lower number is a late segment whatever its time: after a
		// clock step back, a late one from before it has a later time.
		// The same number again is a duplicate.
		return tr, false, false
	}
	if !l.seen {
		stepped = false
	} else if l.lastT.Sub(s.End) > ClockStepMin {
		// A later segment with a much earlier time: the clock was stepped
		// back (NTP, a camera's first RTCP report after receive times).
		// What was measured on the old clock cannot be compared with the
		// new one.
		stepped = true
	}
	// Less than that is jitter (receive times of reordered B-frames in
	// sliding windows): the latest time stays the latest.
	if stepped || s.End.After(l.lastT) {
		l.lastT = s.End
	}
	l.lastSeq, l.seen = s.Seq, true
	// A segment carrying a clock step back starts on the old clock (after
	// its end): its durations are measured from its end.
	start := s.Start
	if start.After(s.End) {
		start = s.End
	}
	raw := s.Score
	if s.Gated || raw != raw { // NaN counts as nothing seen
		raw = 0
	}
	raw = min(max(raw, 0), 1)
	l.push(raw)
	sm := l.sum / float64(l.n)
	l.smoothed = sm
	l.latest = s
	th := l.rule.Threshold
	if stepped {
		l.cooldownUntil = time.Time{}
		switch l.phase {
		case phaseOpen:
			// Not a close: the old clock's cooldown must not hold back
			// an event on the new one.
			tr = l.end("clock changed", s.End)
			l.cooldownUntil = time.Time{}
			return tr, true, true
		case phasePending:
			l.phase, l.peakSeg = phaseIdle, nil
		}
	}

	switch l.phase {
	case phaseIdle:
		if start.Before(l.cooldownUntil) || sm < th {
			return tr, false, true
		}
		l.phase = phasePending
		l.since, l.first, l.peak, l.peakSeg = start, s.Seq, sm, s
		fallthrough
	case phasePending:
		if sm < th {
			l.phase, l.peakSeg = phaseIdle, nil
			return tr, false, true
		}
		if sm > l.peak {
			l.peak, l.peakSeg = sm, s
		}
		if s.End.Sub(l.since) < l.rule.MinDuration {
			return tr, false, true
		}
		l.phase = phaseOpen
		l.last, l.lastSent, l.lastAbove, l.sentPeak = s.Seq, s.End, s.End, l.peak
		l.belowSince = time.Time{}
		l.seq, l.id = 0, l.newID(l.since)
		tr = l.make(KindStarted, l.peakSeg)
		tr.snapshots = true
		l.peakSeg = nil
		return tr, true, true
	case phaseOpen:
		l.last = s.Seq
		if sm >= th*l.rule.Hysteresis {
			l.lastAbove, l.belowSince = s.End, time.Time{}
		} else {
			if l.belowSince.IsZero() {
				l.belowSince = start
			}
			if s.End.Sub(l.belowSince) >= l.rule.CloseAfter {
				return l.end("score below threshold", s.End), true, true
			}
		}
		if sm > l.peak {
			l.peak = sm
		}
		if l.peak >= l.sentPeak+l.rule.PeakStep && l.peak > l.sentPeak {
			l.sentPeak, l.lastSent = l.peak, s.End
			tr = l.make(KindUpdated, s)
			tr.snapshots = true
			return tr, true, true
		}
		if l.rule.UpdateEvery > 0 && s.End.Sub(l.lastSent) >= l.rule.UpdateEvery {
			l.lastSent = s.End
			return l.make(KindUpdated, s), true, true
		}
	}
	return tr, false, true
}

// end closes the open event for reason at time at (which also starts the
// cooldown).
func (l *lifecycle) end(reason string, at time.Time) transition {
	tr := l.make(KindEnded, l.latest)
	tr.endReason = reason
	tr.endedAt = l.lastAbove
	l.phase = phaseIdle
	l.cooldownUntil = at.Add(l.rule.Cooldown)
	return tr
}

// forceEnd ends an open event from outside the score stream (rule or
// camera removed, shutdown, no scores); it reports false when none was
// open. A pending run is dropped without a message.
func (l *lifecycle) forceEnd(reason string, now time.Time) (transition, bool) {
	switch l.phase {
	case phaseOpen:
		// The cooldown is compared with segment times: it runs on their
		// clock (a camera's RTCP clock may be far from the daemon's).
		return l.end(reason, l.lastT), true
	case phasePending:
		l.phase, l.peakSeg = phaseIdle, nil
	}
	return transition{}, false
}

func (l *lifecycle) make(kind string, seg *detector.SegmentScore) transition {
	tr := transition{
		kind: kind, score: l.smoothed, peak: l.peak, seg: seg,
		startedAt: l.since, first: l.first, last: l.last, seq: l.seq, id: l.id,
		lastAbove: l.lastAbove,
	}
	if l.latest != nil {
		tr.at = l.latest.End
	}
	l.seq++
	return tr
}
