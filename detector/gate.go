package detector

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// GateConfig configures the motion gate (method §10).
type GateConfig struct {
	// Enabled turns the gate on; off, every segment is asked about.
	Enabled bool `json:"enabled" yaml:"enabled"`
	// Threshold is the motion level, in grey levels (0–255), under which a
	// segment is static (default 6). The level of a segment is the highest
	// mean absolute difference from the segment's median background over the
	// cells of a Cells×Cells grid and over its frames, so a small moving
	// object counts as much as it covers one cell, not the whole frame.
	Threshold float64 `json:"threshold" yaml:"threshold"`
	// Cells is the grid's side (default 4).
	Cells int `json:"cells" yaml:"cells"`
	// Refresh is the longest time a (camera, rule) goes unasked, so static
	// anomalies (a parked car) are still seen (default 60s; negative: never
	// forced). Times are the segments' own (wall clock, or PTS when a
	// segment has none).
	Refresh time.Duration `json:"refresh" yaml:"refresh"`
}

func (c GateConfig) withDefaults() GateConfig {
	if c.Threshold <= 0 {
		c.Threshold = 6
	}
	if c.Cells <= 0 {
		c.Cells = 4
	}
	if c.Refresh == 0 {
		c.Refresh = time.Minute
	}
	return c
}

// Gate decides per (camera, rule) whether a segment may skip the LVLM: it
// may when its motion level is under the threshold, no event is open (the
// rule's last score was under its threshold) and the last question is more
// recent than the refresh interval. Each camera may have its own
// configuration (SetCamera); the others use the gate-wide one. Every
// method is safe for concurrent use, and configurations may change while
// segments are being decided: a decision uses the camera's configuration
// of that moment.
//
// Its state is keyed by camera and rule id only and is independent of the
// configuration (when a pair was last asked, whether its event is open;
// it is recorded even while the gate is off), so it survives a rule's
// threshold or text changes and a camera's gate being reconfigured,
// turned off or on.
type Gate struct {
	motion *relevance.Motion

	mu    sync.Mutex
	cfg   GateConfig            // for cameras without their own
	cams  map[string]GateConfig // per camera, with defaults applied
	state map[gateKey]gateState
}

type gateKey struct{ camera, rule string }

type gateState struct {
	lastAsked time.Time
	open      bool
	seq       uint64
}

// NewGate returns a gate whose configuration for every camera is cfg; zero
// fields of cfg take their defaults.
func NewGate(cfg GateConfig) *Gate {
	return &Gate{cfg: cfg.withDefaults(), motion: relevance.NewMotion(relevance.MotionConfig{}),
		cams: map[string]GateConfig{}, state: map[gateKey]gateState{}}
}

// Config is the gate-wide effective configuration, used for cameras
// without their own.
func (g *Gate) Config() GateConfig {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// SetConfig replaces the gate-wide configuration (zero fields take their
// defaults); cameras with their own keep it.
func (g *Gate) SetConfig(cfg GateConfig) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg = cfg.withDefaults()
}

// SetCamera gives camera its own configuration (zero fields take their
// defaults), from its next decision on. The camera's state is kept.
func (g *Gate) SetCamera(camera string, cfg GateConfig) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cams[camera] = cfg.withDefaults()
}

// RemoveCamera drops camera's own configuration: it falls back to the
// gate-wide one. Its state is kept (Forget drops a pair's).
func (g *Gate) RemoveCamera(camera string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.cams, camera)
}

// CameraConfig is the effective configuration of camera: its own, or the
// gate-wide one.
func (g *Gate) CameraConfig(camera string) GateConfig {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cameraConfigLocked(camera)
}

func (g *Gate) cameraConfigLocked(camera string) GateConfig {
	if c, ok := g.cams[camera]; ok {
		return c
	}
	return g.cfg
}

// MotionLevel measures seg's motion (see GateConfig.Threshold) on the grid
// of seg's camera.
func (g *Gate) MotionLevel(seg *segment.Segment) (float64, error) {
	n := g.CameraConfig(seg.CameraID).Cells
	rs, err := g.motion.Prepare(seg.Images(), "")
	if err != nil {
		return 0, fmt.Errorf("motion gate: %w", err)
	}
	defer relevance.Release(rs)
	const size = 240
	level := 0.0
	for i := range seg.Frames {
		for cy := range n {
			for cx := range n {
				r := image.Rect(cx*size/n, cy*size/n, (cx+1)*size/n, (cy+1)*size/n)
				level = max(level, rs.Region(i, size, r))
			}
		}
	}
	return level, nil
}

// segmentTime is the time the gate reasons with.
func segmentTime(seg *segment.Segment) time.Time {
	if len(seg.Frames) == 0 {
		return time.Time{}
	}
	if w := seg.Frames[0].Wall; !w.IsZero() {
		return w
	}
	return time.Unix(0, 0).Add(seg.Frames[0].PTS)
}

// Skip reports whether seg may skip the LVLM for the rule, given its motion
// level, under camera's current configuration. A pair never asked before
// is always asked.
func (g *Gate) Skip(camera, rule string, seg *segment.Segment, level float64) bool {
	g.mu.Lock()
	cfg := g.cameraConfigLocked(camera)
	st, ok := g.state[gateKey{camera, rule}]
	g.mu.Unlock()
	if !cfg.Enabled || level >= cfg.Threshold || !ok || st.open {
		return false
	}
	// A clearly negative age is another clock (stepped back): not
	// "recent". A little is jitter (reordered frames' receive times).
	age := segmentTime(seg).Sub(st.lastAsked)
	return cfg.Refresh < 0 || (age > -clockJitter && age < cfg.Refresh)
}

// Observe records that seg was asked about for the rule and what it scored.
// A result older than the one recorded is ignored: with several workers a
// slow (retried) segment can finish after a later one, and must not turn
// an event the later one saw back into "nothing there".
func (g *Gate) Observe(camera, rule string, seg *segment.Segment, score, threshold float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k, t := gateKey{camera, rule}, segmentTime(seg)
	// Late is by number: a segment after a clock step back has a
	// higher number and an earlier time, and is the new state.
	if st, ok := g.state[k]; ok && (seg.Seq < st.seq || seg.Seq == st.seq && t.Before(st.lastAsked)) {
		return
	}
	g.state[k] = gateState{lastAsked: t, open: score >= threshold, seq: seg.Seq}
}

// clockJitter is how far back a later segment's time may lie without
// being taken for another clock.
const clockJitter = 2 * time.Second

// Forget drops the state of a (camera, rule) pair, e.g. when the rule is
// removed.
func (g *Gate) Forget(camera, rule string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.state, gateKey{camera, rule})
}
