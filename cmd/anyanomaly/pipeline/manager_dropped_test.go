package pipeline

import (
	"context"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

type dropIngest struct {
	out   chan *segment.Segment
	drops uint64
}

func (c *dropIngest) Run(ctx context.Context) error     { <-ctx.Done(); return nil }
func (c *dropIngest) Segments() <-chan *segment.Segment { return c.out }
func (c *dropIngest) Stats() stream.CameraStats         { return stream.CameraStats{SegmentDrops: c.drops} }

// dropRig gives r a manager whose cameras report 5 segments dropped in
// their first run and none in later ones, and returns those runs.
func dropRig(r *seqRig, deps managerDeps) *[]*dropIngest {
	var runs []*dropIngest
	deps.Gate, deps.Alerts, deps.Scores = nopGate{}, nopAlerts{}, newScoreBook()
	deps.NewCamera = func(stream.CameraConfig, stream.Deps) ingest {
		r.mu.Lock()
		defer r.mu.Unlock()
		c := &dropIngest{out: make(chan *segment.Segment), drops: 5}
		if len(runs) > 0 {
			c.drops = 0 // a fresh run has dropped nothing yet
		}
		runs = append(runs, c)
		r.cams = append(r.cams, &scriptedIngest{out: c.out})
		return c
	}
	r.m = newManager(deps)
	return &runs
}

// segmentsDropped is camera id's segments_dropped in r's manager.
func segmentsDropped(r *seqRig, id string) uint64 {
	for _, cs := range r.m.CameraStats() {
		if cs.ID == id {
			return cs.SegmentsDropped
		}
	}
	return 0
}

type lagDetector struct{ seqDetector }

func (*lagDetector) DroppedFor(string) uint64 { return 2 }

// cameras[].segments_dropped (anyanomaly_camera_dropped_segments_total, a
// counter) across a reload that disables and enables the camera again.
func TestSegmentsDroppedAcrossRemoveAndReAdd(t *testing.T) {
	r := &seqRig{t: t}
	det := &lagDetector{}
	runs := dropRig(r, managerDeps{Detector: det})
	on, off := r.config("rtsp://127.0.0.1:1/a", true), r.config("rtsp://127.0.0.1:1/a", false)
	r.reconcile(nil, on)
	stop := r.run()
	r.camera(0)
	before := segmentsDropped(r, "c1")
	r.reconcile(on, off)
	close((*runs)[0].out)
	waitUntil(t, "the entry forgotten", func() bool {
		r.m.mu.Lock()
		defer r.m.mu.Unlock()
		_, still := r.m.cams["c1"]
		return !still
	})
	r.reconcile(off, on)
	r.camera(1)
	after := segmentsDropped(r, "c1")
	stop(&scriptedIngest{out: (*runs)[1].out})
	t.Logf("segments_dropped before removal %d, after re-add %d", before, after)
	if after < before && after != 0 { // a continuation, or a reset to 0 like the camera's other counters
		t.Fatalf("segments_dropped went from %d to %d across a remove and re-add: neither a continuation nor a reset to 0", before, after)
	}
}
