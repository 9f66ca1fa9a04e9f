package alerts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// seg is segment i of a 1-second segment stream starting at t0.
func seg(i int, score float64) detector.SegmentScore {
	start := t0.Add(time.Duration(i) * time.Second)
	return detector.SegmentScore{
		CameraID: "cam1", RuleID: "fall", Seq: uint64(i), Start: start, End: start.Add(time.Second),
		Score: score, Contexts: detector.ContextScores{Frame: score, Position: score, Temporal: score},
		Images: detector.QueryImages{KeyFrame: []byte{0xff, 0xd8, byte(i)}},
	}
}

type step struct {
	i    int
	kind string
	snap bool
}

func TestLifecycle(t *testing.T) {
	base := Rule{ID: "fall", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}
	with := func(f func(*Rule)) Rule { r := base; f(&r); return r }
	tests := []struct {
		name   string
		rule   Rule
		scores []float64
		gated  map[int]bool
		want   []step
		check  func(t *testing.T, trs []transition)
	}{
		{
			name: "opens at threshold, closes on the first low segment", rule: base,
			scores: []float64{0.2, 0.5, 0.6, 0.3, 0.2},
			want:   []step{{1, KindStarted, true}, {3, KindEnded, false}},
			check: func(t *testing.T, trs []transition) {
				if !trs[0].startedAt.Equal(t0.Add(time.Second)) || !trs[1].endedAt.Equal(t0.Add(3*time.Second)) {
					t.Errorf("started_at %v ended_at %v", trs[0].startedAt, trs[1].endedAt)
				}
				if trs[1].first != 1 || trs[1].last != 3 || trs[1].endReason != "score below threshold" {
					t.Errorf("ended: %+v", trs[1])
				}
			},
		},
		{
			name: "below threshold but above threshold×hysteresis stays open", rule: base,
			scores: []float64{0.6, 0.45, 0.41, 0.45, 0.39},
			want:   []step{{0, KindStarted, true}, {4, KindEnded, false}},
		},
		{
			name: "hysteresis 1 closes just below threshold", rule: with(func(r *Rule) { r.Hysteresis = 1 }),
			scores: []float64{0.6, 0.49},
			want:   []step{{0, KindStarted, true}, {1, KindEnded, false}},
		},
		{
			name: "close-after needs a continuous low run", rule: with(func(r *Rule) { r.CloseAfter = 2 * time.Second }),
			scores: []float64{0.6, 0.3, 0.6, 0.3, 0.3, 0.3},
			want:   []step{{0, KindStarted, true}, {4, KindEnded, false}},
			check: func(t *testing.T, trs []transition) {
				if !trs[1].endedAt.Equal(t0.Add(3 * time.Second)) {
					t.Errorf("ended_at %v, want end of segment 2", trs[1].endedAt)
				}
			},
		},
		{
			name: "minimum duration suppresses blips and delays the start", rule: with(func(r *Rule) { r.MinDuration = 3 * time.Second }),
			scores: []float64{0.6, 0.6, 0.3, 0.6, 0.6, 0.6, 0.6},
			want:   []step{{5, KindStarted, true}},
			check: func(t *testing.T, trs []transition) {
				if !trs[0].startedAt.Equal(t0.Add(3*time.Second)) || trs[0].first != 3 {
					t.Errorf("started_at %v first %d, want the pending run's start", trs[0].startedAt, trs[0].first)
				}
			},
		},
		{
			name: "cooldown blocks a new event until it has passed", rule: with(func(r *Rule) { r.Cooldown = 5 * time.Second }),
			scores: []float64{0.6, 0.1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6},
			want:   []step{{0, KindStarted, true}, {1, KindEnded, false}, {7, KindStarted, true}},
			check: func(t *testing.T, trs []transition) {
				if trs[0].id == trs[2].id || trs[2].seq != 0 {
					t.Errorf("second event must have a new id and seq 0: %+v", trs[2])
				}
			},
		},
		{
			name: "periodic updates", rule: with(func(r *Rule) { r.UpdateEvery = 3 * time.Second }),
			scores: []float64{0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.1},
			want:   []step{{0, KindStarted, true}, {3, KindUpdated, false}, {6, KindUpdated, false}, {7, KindEnded, false}},
			check: func(t *testing.T, trs []transition) {
				for i, tr := range trs {
					if tr.seq != i || tr.id != trs[0].id {
						t.Errorf("message %d: seq %d id %s", i, tr.seq, tr.id)
					}
				}
			},
		},
		{
			name: "peak rise sends updated with snapshots", rule: with(func(r *Rule) { r.PeakStep = 0.1 }),
			scores: []float64{0.6, 0.65, 0.75, 0.8, 0.9, 0.7},
			want:   []step{{0, KindStarted, true}, {2, KindUpdated, true}, {4, KindUpdated, true}},
			check: func(t *testing.T, trs []transition) {
				if trs[2].peak != 0.9 || trs[2].seg.Seq != 4 {
					t.Errorf("peak update: peak %v from segment %d", trs[2].peak, trs[2].seg.Seq)
				}
			},
		},
		{
			name: "causal smoothing over 3 segments", rule: with(func(r *Rule) { r.Smoothing = 3 }),
			scores: []float64{0, 0, 0.9, 0.9, 0.9, 0, 0, 0},
			// means: 0 0 .3 .6 .9 .6 .3 0
			want: []step{{3, KindStarted, true}, {6, KindEnded, false}},
		},
		{
			name: "gated segment counts as zero", rule: base,
			scores: []float64{0.6, 0.9}, gated: map[int]bool{1: true},
			want: []step{{0, KindStarted, true}, {1, KindEnded, false}},
		},
		{
			name: "started carries the best pending segment", rule: with(func(r *Rule) { r.MinDuration = 2 * time.Second }),
			scores: []float64{0.6, 0.8, 0.7},
			want:   []step{{1, KindStarted, true}},
			check: func(t *testing.T, trs []transition) {
				if trs[0].seg.Seq != 1 || trs[0].peak != 0.8 {
					t.Errorf("started from segment %d peak %v", trs[0].seg.Seq, trs[0].peak)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g idGen
			l := newLifecycle(tc.rule, g.next)
			var got []step
			var trs []transition
			for i, sc := range tc.scores {
				s := seg(i, sc)
				s.Gated = tc.gated[i]
				tr, emit, ok := l.observe(&s)
				if !ok {
					t.Fatalf("segment %d rejected", i)
				}
				if emit {
					got = append(got, step{i, tr.kind, tr.snapshots})
					trs = append(trs, tr)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, trs)
			}
		})
	}
}

func TestLifecycleRejectsOutOfOrder(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5}, g.next)
	s5, s4 := seg(5, 0.9), seg(4, 0.9)
	if _, _, ok := l.observe(&s5); !ok {
		t.Fatal("first segment rejected")
	}
	if _, _, ok := l.observe(&s4); ok {
		t.Fatal("older segment accepted")
	}
}

func TestLifecycleHotReloadKeepsOpenEvent(t *testing.T) {
	var g idGen
	l := newLifecycle(Rule{ID: "r", Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}, g.next)
	s := seg(0, 0.6)
	if tr, emit, _ := l.observe(&s); !emit || tr.kind != KindStarted {
		t.Fatal("no start")
	}
	// Raising the threshold: 0.6 is now below 0.9×0.8=0.72, so the next
	// segment closes the event that stayed open across the change.
	l.setRule(Rule{ID: "r", Threshold: 0.9, UpdateEvery: -1, PeakStep: 1, Smoothing: 4})
	if !l.open() {
		t.Fatal("reload closed the event")
	}
	s = seg(1, 0.6)
	tr, emit, _ := l.observe(&s)
	if !emit || tr.kind != KindEnded {
		t.Fatalf("want ended under the new threshold, got %v %v", emit, tr.kind)
	}
	if tr, ok := l.forceEnd("x", t0); ok {
		t.Fatalf("forceEnd on a closed lifecycle sent %v", tr.kind)
	}
}

func TestIDsSortAndDiffer(t *testing.T) {
	var g idGen
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		// Same millisecond for runs of 100, then the clock moves.
		id := g.next(t0.Add(time.Duration(i/100) * time.Millisecond))
		if len(id) != IDLen || strings.Trim(id, crockford) != "" {
			t.Fatalf("bad id %q", id)
		}
		if id <= prev || seen[id] {
			t.Fatalf("id %s not after %s", id, prev)
		}
		seen[id], prev = true, id
	}
	// An earlier clock still gives a later id.
	if id := g.next(t0.Add(-time.Hour)); id <= prev {
		t.Fatalf("clock going back gave %s <= %s", id, prev)
	}
	// The first ten characters are the time: a later millisecond from a
	// fresh generator has a larger prefix whatever the random part.
	var g2 idGen
	a, b := g2.next(t0), g2.next(t0.Add(time.Millisecond))
	if a[:10] >= b[:10] {
		t.Fatalf("time prefixes %s, %s do not order", a[:10], b[:10])
	}
}
