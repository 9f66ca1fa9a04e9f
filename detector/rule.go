package detector

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// Weights are the fusion weights α (key frame), β (position context) and γ
// (temporal context) of method §8; they must be non-negative and sum to 1.
type Weights struct {
	Alpha float64 `json:"alpha" yaml:"alpha"`
	Beta  float64 `json:"beta" yaml:"beta"`
	Gamma float64 `json:"gamma" yaml:"gamma"`
}

// DefaultWeights are (0.5, 0.3, 0.2).
var DefaultWeights = Weights{Alpha: 0.5, Beta: 0.3, Gamma: 0.2}

// weightTolerance absorbs rounding in weights written as decimals.
const weightTolerance = 1e-6

// Validate checks that the weights are finite, non-negative and sum to 1.
func (w Weights) Validate() error {
	for _, v := range []float64{w.Alpha, w.Beta, w.Gamma} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("weights (%g, %g, %g): each must be a number ≥ 0", w.Alpha, w.Beta, w.Gamma)
		}
	}
	if s := w.Alpha + w.Beta + w.Gamma; math.Abs(s-1) > weightTolerance {
		return fmt.Errorf("weights (%g, %g, %g) sum to %g, want 1", w.Alpha, w.Beta, w.Gamma, s)
	}
	return nil
}

// ParseWeights reads "α,β,γ", e.g. "0.5,0.3,0.2", and validates it.
func ParseWeights(s string) (Weights, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Weights{}, fmt.Errorf("weights %q: want three comma-separated numbers α,β,γ", s)
	}
	var v [3]float64
	for i, p := range parts {
		// ParseFloat, unlike Sscanf, refuses trailing text: "0.3 0.9"
		// must not pass as 0.3.
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return Weights{}, fmt.Errorf("weights %q: %q is not a number", s, p)
		}
		v[i] = f
	}
	w := Weights{Alpha: v[0], Beta: v[1], Gamma: v[2]}
	return w, w.Validate()
}

// Fuse returns α·frame + β·position + γ·temporal, clamped to [0,1].
func (w Weights) Fuse(c ContextScores) float64 {
	s := w.Alpha*c.Frame + w.Beta*c.Position + w.Gamma*c.Temporal
	return max(0, min(1, s))
}

// Rule is what the detector asks about for one (camera, rule) pair: the
// detection-relevant part of a configured rule.
type Rule struct {
	// ID names the rule; gate state is kept per (camera, ID), so it survives
	// a reload that changes the rule's other fields.
	ID string `json:"id"`
	// Texts are the events to look for; the segment's per-context score is
	// the maximum over them.
	Texts []string `json:"texts"`
	// Weights fuse the three contexts; the zero value means DefaultWeights.
	Weights Weights `json:"weights"`
	// Prompt selects the prompt variant and an optional override template.
	Prompt vqa.Prompt `json:"-"`
	// Batch asks about all Texts in one call per context (method §10).
	Batch bool `json:"batch"`
	// Threshold is the fused score at which the rule fires; the motion gate
	// treats a rule whose last score reached it as having an open event and
	// keeps asking. Zero means 0.5.
	Threshold float64 `json:"threshold"`
}

// withDefaults returns r with zero weights and threshold replaced.
func (r Rule) withDefaults() Rule {
	if r.Weights == (Weights{}) {
		r.Weights = DefaultWeights
	}
	if r.Threshold == 0 {
		r.Threshold = 0.5
	}
	if r.Prompt.Variant == "" {
		r.Prompt.Variant = vqa.VariantBoth
	}
	return r
}

// Validate reports the first problem with the rule.
func (r Rule) Validate() error {
	if r.ID == "" {
		return errors.New("rule: id is required")
	}
	if len(r.Texts) == 0 {
		return fmt.Errorf("rule %s: at least one text is required", r.ID)
	}
	for i, t := range r.Texts {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("rule %s: text %d is empty", r.ID, i+1)
		}
	}
	if r.Weights != (Weights{}) {
		if err := r.Weights.Validate(); err != nil {
			return fmt.Errorf("rule %s: %w", r.ID, err)
		}
	}
	if _, err := vqa.ParseVariant(string(r.Prompt.Variant)); err != nil {
		return fmt.Errorf("rule %s: %w", r.ID, err)
	}
	if r.Threshold < 0 || r.Threshold > 1 || math.IsNaN(r.Threshold) {
		return fmt.Errorf("rule %s: threshold %g must be in [0,1]", r.ID, r.Threshold)
	}
	return nil
}
