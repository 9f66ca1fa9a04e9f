package pipeline

import (
	"sync"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// scoreBook remembers, per camera, the latest score of every rule and how
// many scores the motion gate answered, for /api/v1/status and metrics.
// The publisher's forwarder writes it; CameraStats reads it.
type scoreBook struct {
	mu      sync.Mutex
	cameras map[string]*cameraScores
}

type cameraScores struct {
	gated uint64
	rules map[string]ruleScore
}

type ruleScore struct {
	score float64
	at    time.Time
}

func newScoreBook() *scoreBook { return &scoreBook{cameras: map[string]*cameraScores{}} }

func (b *scoreBook) record(s *detector.SegmentScore) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.cameras[s.CameraID]
	if c == nil {
		c = &cameraScores{rules: map[string]ruleScore{}}
		b.cameras[s.CameraID] = c
	}
	if s.Gated {
		c.gated++
	}
	if prev, ok := c.rules[s.RuleID]; !ok || !s.End.Before(prev.at) {
		c.rules[s.RuleID] = ruleScore{score: s.Score, at: s.End}
	}
}

// camera returns the gated count and the latest score of rule ids.
func (b *scoreBook) camera(id string) (gated uint64, rules map[string]ruleScore) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.cameras[id]
	if c == nil {
		return 0, nil
	}
	rules = make(map[string]ruleScore, len(c.rules))
	for k, v := range c.rules {
		rules[k] = v
	}
	return c.gated, rules
}

// forget drops a removed camera, or one rule of it when rule is not "".
func (b *scoreBook) forget(camera, rule string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rule == "" {
		delete(b.cameras, camera)
		return
	}
	if c := b.cameras[camera]; c != nil {
		delete(c.rules, rule)
	}
}
