package alerts

import (
	"errors"
	"fmt"
	"time"
)

// Rule is how scores of one rule on one camera become events. Times are
// measured on the segments' wall-clock timestamps, so a replayed clip gives
// the same events as the live stream did.
type Rule struct {
	// ID is the rule id (a subject token).
	ID string
	// Texts are the rule's texts, copied into events.
	Texts []string
	// Threshold opens an event when the smoothed score reaches it (0..1].
	Threshold float64
	// Hysteresis scales Threshold to the closing level (0..1]: an open
	// event closes once the smoothed score stays below
	// Threshold×Hysteresis for CloseAfter. Default 0.8.
	Hysteresis float64
	// CloseAfter is how long the score must stay low before the event ends
	// (0: the first low segment ends it).
	CloseAfter time.Duration
	// MinDuration is how long the smoothed score must stay at or above
	// Threshold before `started` is sent (0: at once). Shorter blips send
	// nothing.
	MinDuration time.Duration
	// Cooldown is how long after an event ends before the rule may open a
	// new one on the same camera.
	Cooldown time.Duration
	// UpdateEvery is the period of `updated` messages of a long event
	// (0: default 30s; negative: only on peak rise).
	UpdateEvery time.Duration
	// PeakStep is the rise of the peak that sends an `updated` with new
	// snapshots (default 0.05).
	PeakStep float64
	// Smoothing is k in the causal smoothing: the smoothed score is the mean
	// of the last k segment scores (fewer at the start). Default 1 (none).
	Smoothing int
}

// withDefaults fills unset tunables.
func (r Rule) withDefaults() Rule {
	if r.Hysteresis == 0 {
		r.Hysteresis = 0.8
	}
	if r.UpdateEvery == 0 {
		r.UpdateEvery = 30 * time.Second
	}
	if r.PeakStep == 0 {
		r.PeakStep = 0.05
	}
	if r.Smoothing == 0 {
		r.Smoothing = 1
	}
	return r
}

// Validate names every bad field of the rule.
func (r Rule) Validate() error {
	var errs []error
	if err := ValidateToken("rule", r.ID); err != nil {
		return err
	}
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("rule %s: "+format, append([]any{r.ID}, a...)...))
	}
	if !(r.Threshold > 0 && r.Threshold <= 1) {
		add("threshold %v not in (0, 1]", r.Threshold)
	}
	if !(r.Hysteresis > 0 && r.Hysteresis <= 1) {
		add("hysteresis %v not in (0, 1]", r.Hysteresis)
	}
	if r.CloseAfter < 0 || r.MinDuration < 0 || r.Cooldown < 0 {
		add("close-after, minimum duration and cooldown must not be negative")
	}
	if r.PeakStep < 0 || r.PeakStep > 1 {
		add("peak step %v not in [0, 1]", r.PeakStep)
	}
	if r.Smoothing < 1 || r.Smoothing > 1000 {
		add("smoothing %d not in [1, 1000]", r.Smoothing)
	}
	return errors.Join(errs...)
}
