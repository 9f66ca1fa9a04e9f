package pipeline

import (
	"sync"

	"github.com/anyanomaly/anyanomaly/detector"
)

// scoreBook counts, per camera, the scores the motion gate answered
// without the LVLM (the pool counts them over all cameras only). The
// publisher's forwarder writes it; CameraStats reads it.
type scoreBook struct {
	mu    sync.Mutex
	gated map[string]uint64
}

func newScoreBook() *scoreBook { return &scoreBook{gated: map[string]uint64{}} }

func (b *scoreBook) record(s *detector.SegmentScore) {
	if !s.Gated {
		return
	}
	b.mu.Lock()
	b.gated[s.CameraID]++
	b.mu.Unlock()
}

// camera returns the camera's gated count.
func (b *scoreBook) camera(id string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gated[id]
}

// forget drops a removed camera.
func (b *scoreBook) forget(camera string) {
	b.mu.Lock()
	delete(b.gated, camera)
	b.mu.Unlock()
}
