package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// stateFinished is a file camera's state once its file has been played.
const stateFinished = "finished"

// fileCamera plays a video file (a camera URL file:///path) as if it
// were a live camera: segments are released at the pace of their
// timestamps, wall-clock times starting when Run starts, once through the
// file. It is for trying rules on recorded footage with the daemon; the
// offline tools (detect, eval) read files as fast as they can instead.
type fileCamera struct {
	cfg  stream.CameraConfig
	path string
	log  *slog.Logger
	out  chan *segment.Segment

	frames, segments, drops atomic.Uint64

	mu      sync.Mutex
	state   string
	since   time.Time
	lastErr string
	onState func(stream.CameraStats)
}

// newCamera builds the ingest for a camera URL: RTSP through stream, a
// file:// URL through fileCamera.
func newCamera(cfg stream.CameraConfig, deps stream.Deps) ingest {
	if u, err := url.Parse(cfg.URL); err == nil && u.Scheme == "file" {
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		log := deps.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		return &fileCamera{cfg: cfg, path: path, log: log.With("camera", cfg.ID), out: make(chan *segment.Segment, stream.DefaultOutputQueue),
			state: stream.StateConnecting, since: time.Now(), onState: deps.OnState}
	}
	return stream.NewCamera(cfg, deps)
}

// Run plays the file once, then stays finished until ctx ends. A file that
// cannot be read puts the camera in state failed.
func (c *fileCamera) Run(ctx context.Context) error {
	defer close(c.out)
	start := time.Now()
	c.setState(stream.StateStreaming, "")
	_, err := stream.ReadFile(ctx, c.path, stream.FileOptions{
		CameraID: c.cfg.ID, SampleFPS: c.cfg.SampleFPS, LongSide: c.cfg.LongSide,
		SegmentFrames: c.cfg.SegmentFrames, Stride: c.cfg.Stride, HWAccel: c.cfg.HWAccel,
		Start: start, Logger: c.log, RecycleImages: true,
	}, func(seg *segment.Segment) error { return c.release(ctx, seg) })
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		err = fmt.Errorf("camera %s: %w", c.cfg.ID, err)
		c.log.Error("file camera failed", "err", err)
		c.setState(stream.StateFailed, err.Error())
	default:
		c.log.Info("file camera: end of file", "segments", c.segments.Load())
		c.setState(stateFinished, "")
	}
	<-ctx.Done()
	return nil
}

// release waits until the segment's last frame is due on the wall clock,
// then hands it on; when the consumer lags the oldest waiting segment is
// dropped and released, as a live camera does.
func (c *fileCamera) release(ctx context.Context, seg *segment.Segment) error {
	if d := time.Until(seg.End()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	// Overlapping segments share frames: count each analysed frame once.
	n := len(seg.Frames)
	if c.segments.Load() > 0 && c.cfg.Stride > 0 && c.cfg.Stride < n {
		n = c.cfg.Stride
	}
	c.frames.Add(uint64(n))
	c.segments.Add(1)
	for {
		select {
		case c.out <- seg:
			return nil
		default:
		}
		select {
		case old := <-c.out:
			old.Release()
			c.drops.Add(1)
		default:
		}
	}
}

func (c *fileCamera) setState(state, lastErr string) {
	c.mu.Lock()
	c.state, c.since = state, time.Now()
	if lastErr != "" {
		c.lastErr = lastErr
	}
	c.mu.Unlock()
	if c.onState != nil {
		c.onState(c.Stats())
	}
}

// Segments is the camera's bounded output, closed when Run returns.
func (c *fileCamera) Segments() <-chan *segment.Segment { return c.out }

// Stats returns the camera's state and counters.
func (c *fileCamera) Stats() stream.CameraStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return stream.CameraStats{
		ID: c.cfg.ID, State: c.state, Since: c.since, LastError: c.lastErr,
		FramesDecoded: c.frames.Load(), FramesAnalysed: c.frames.Load(),
		Segments: c.segments.Load(), SegmentDrops: c.drops.Load(),
	}
}
