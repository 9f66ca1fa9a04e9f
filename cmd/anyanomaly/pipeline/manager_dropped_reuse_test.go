package pipeline

import (
	"sync"
	"testing"
)

// forgetfulDetector is the real pool's DroppedFor contract: 2 drops until
// ForgetCamera, which resets the camera's count to 0.
type forgetfulDetector struct {
	seqDetector
	mu      sync.Mutex
	dropped uint64
}

func (d *forgetfulDetector) DroppedFor(string) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}
func (d *forgetfulDetector) ForgetCamera(string) int {
	d.mu.Lock()
	d.dropped = 0
	d.mu.Unlock()
	return 0
}

// A camera removed and added again while its old run is still stopping
// (the entry is reused: its stream counters go on) must not see
// segments_dropped, a counter, go down.
func TestSegmentsDroppedReAddBeforeOldRunStops(t *testing.T) {
	r := &seqRig{t: t}
	det := &forgetfulDetector{}
	runs := dropRig(r, managerDeps{Detector: det})
	on, off := r.config("rtsp://127.0.0.1:1/a", true), r.config("rtsp://127.0.0.1:1/a", false)
	r.reconcile(nil, on)
	stop := r.run()
	r.send(r.camera(0), 0) // its feed runs: the run has started
	waitUntil(t, "segment taken", func() bool { return len(det.taken()) >= 1 })
	det.mu.Lock()
	det.dropped = 2 // the detector lagged: two of c1's segments dropped
	det.mu.Unlock()
	before := segmentsDropped(r, "c1")
	r.reconcile(on, off)
	// The old run has not stopped yet (its output still open): re-add now.
	r.reconcile(off, on)
	r.camera(1)
	after := segmentsDropped(r, "c1")
	close((*runs)[0].out)
	stop(&scriptedIngest{out: (*runs)[1].out})
	t.Logf("segments_dropped before removal %d, after re-add %d", before, after)
	if after < before && after != 0 {
		t.Fatalf("segments_dropped went from %d to %d across a quick remove and re-add (entry reused, stream counters kept, detector's reset): a counter went down", before, after)
	}
}
