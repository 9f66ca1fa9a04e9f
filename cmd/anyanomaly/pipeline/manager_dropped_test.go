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

type lagDetector struct{ seqDetector }

func (*lagDetector) DroppedFor(string) uint64 { return 2 }

// cameras[].segments_dropped (anyanomaly_camera_dropped_segments_total, a
// counter) across a reload that disables and enables the camera again.
func TestSegmentsDroppedAcrossRemoveAndReAdd(t *testing.T) {
	r := &seqRig{t: t}
	det := &lagDetector{}
	var runs []*dropIngest
	r.m = newManager(managerDeps{Detector: det, Gate: nopGate{}, Alerts: nopAlerts{}, Scores: newScoreBook(),
		NewCamera: func(stream.CameraConfig, stream.Deps) ingest {
			r.mu.Lock()
			defer r.mu.Unlock()
			c := &dropIngest{out: make(chan *segment.Segment), drops: 5}
			if len(runs) > 0 {
				c.drops = 0 // a fresh run has dropped nothing yet
			}
			runs = append(runs, c)
			r.cams = append(r.cams, &scriptedIngest{out: c.out})
			return c
		}})
	on, off := r.config("rtsp://127.0.0.1:1/a", true), r.config("rtsp://127.0.0.1:1/a", false)
	r.reconcile(nil, on)
	stop := r.run()
	r.camera(0)
	dropped := func() uint64 {
		for _, cs := range r.m.CameraStats() {
			if cs.ID == "c1" {
				return cs.SegmentsDropped
			}
		}
		return 0
	}
	before := dropped()
	r.reconcile(on, off)
	close(runs[0].out)
	waitUntil(t, "the entry forgotten", func() bool {
		r.m.mu.Lock()
		defer r.m.mu.Unlock()
		_, still := r.m.cams["c1"]
		return !still
	})
	r.reconcile(off, on)
	r.camera(1)
	after := dropped()
	stop(&scriptedIngest{out: runs[1].out})
	t.Logf("segments_dropped before removal %d, after re-add %d", before, after)
	if after < before && after != 0 { // a continuation, or a reset to 0 like the camera's other counters
		t.Fatalf("segments_dropped went from %d to %d across a remove and re-add: neither a continuation nor a reset to 0", before, after)
	}
}
