package alerts

import "time"

// RuleState is the live state of one (camera, rule), for the daemon's
// status page and metrics.
type RuleState struct {
	Camera, Rule string
	// Score is the latest smoothed score, of the segment ending at ScoreAt
	// (zero before the first score).
	Score   float64
	ScoreAt time.Time
	// Open is true while an event is open; EventID, StartedAt and Peak
	// describe it.
	Open      bool
	EventID   string
	StartedAt time.Time
	Peak      float64
}

// RuleStates returns a snapshot of every (camera, rule) the publisher
// knows, in no particular order.
func (p *Publisher) RuleStates() []RuleState {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []RuleState
	for camID, cam := range p.cameras {
		for ruleID, rs := range cam.rules {
			l := rs.lc
			s := RuleState{Camera: camID, Rule: ruleID, Score: l.smoothed, ScoreAt: l.lastT}
			if l.open() {
				s.Open, s.EventID, s.StartedAt, s.Peak = true, l.id, l.since, l.peak
			}
			out = append(out, s)
		}
	}
	return out
}
