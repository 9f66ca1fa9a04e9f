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
	// anomalies (a parked car) are still seen (default 60s). Times are the
	// segments' own (wall clock, or PTS when a segment has none).
	Refresh time.Duration `json:"refresh" yaml:"refresh"`
}

func (c GateConfig) withDefaults() GateConfig {
	if c.Threshold <= 0 {
		c.Threshold = 6
	}
	if c.Cells <= 0 {
		c.Cells = 4
	}
	if c.Refresh <= 0 {
		c.Refresh = time.Minute
	}
	return c
}

// Gate decides per (camera, rule) whether a segment may skip the LVLM: it
// may when its motion level is under the threshold, no event is open (the
// rule's last score was under its threshold) and the last question is more
// recent than the refresh interval. Its state is keyed by camera and rule id
// only, so it survives a rule's threshold or text changes.
type Gate struct {
	cfg    GateConfig
	motion *relevance.Motion

	mu    sync.Mutex
	state map[gateKey]gateState
}

type gateKey struct{ camera, rule string }

type gateState struct {
	lastAsked time.Time
	open      bool
}

// NewGate returns a gate; zero fields of cfg take their defaults.
func NewGate(cfg GateConfig) *Gate {
	return &Gate{cfg: cfg.withDefaults(), motion: relevance.NewMotion(relevance.MotionConfig{}), state: map[gateKey]gateState{}}
}

// Config is the gate's effective configuration.
func (g *Gate) Config() GateConfig { return g.cfg }

// MotionLevel measures seg's motion (see GateConfig.Threshold).
func (g *Gate) MotionLevel(seg *segment.Segment) (float64, error) {
	rs, err := g.motion.Prepare(seg.Images(), "")
	if err != nil {
		return 0, fmt.Errorf("motion gate: %w", err)
	}
	defer relevance.Release(rs)
	const size = 240
	n := g.cfg.Cells
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
// level. A pair never asked before is always asked.
func (g *Gate) Skip(camera, rule string, seg *segment.Segment, level float64) bool {
	if !g.cfg.Enabled || level >= g.cfg.Threshold {
		return false
	}
	g.mu.Lock()
	st, ok := g.state[gateKey{camera, rule}]
	g.mu.Unlock()
	if !ok || st.open {
		return false
	}
	return segmentTime(seg).Sub(st.lastAsked) < g.cfg.Refresh
}

// Observe records that seg was asked about for the rule and what it scored.
func (g *Gate) Observe(camera, rule string, seg *segment.Segment, score, threshold float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.state[gateKey{camera, rule}] = gateState{lastAsked: segmentTime(seg), open: score >= threshold}
}

// Forget drops the state of a (camera, rule) pair, e.g. when the rule is
// removed.
func (g *Gate) Forget(camera, rule string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.state, gateKey{camera, rule})
}
