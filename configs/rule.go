package configs

import "time"

// Rule is one set of texts a camera watches for.
type Rule struct {
	// ID identifies the rule within its camera ([A-Za-z0-9_-], unique).
	ID string `yaml:"id" json:"id"`
	// Texts name the event, e.g. ["person falling"].
	Texts []string `yaml:"texts" json:"texts"`
	// Enabled rules are scored.
	Enabled      bool `yaml:"enabled" json:"enabled"`
	RuleSettings `yaml:",inline"`
	// ActiveHours restrict when the rule is scored; empty means always.
	ActiveHours []TimeWindow `yaml:"active_hours" json:"active_hours,omitempty"`
}

// RuleSettings are the rule options that `defaults.rule` may set.
type RuleSettings struct {
	// Threshold opens an event, in (0,1].
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// Hysteresis: the event closes when the score stays below
	// Threshold×Hysteresis; in (0,1].
	Hysteresis float64 `yaml:"hysteresis" json:"hysteresis"`
	// MinDuration is the shortest event reported.
	MinDuration Duration `yaml:"min_duration" json:"min_duration"`
	// Cooldown must pass after an event ends before the rule opens again.
	Cooldown Duration `yaml:"cooldown" json:"cooldown"`
	// CloseAfter is how long the score must stay below
	// Threshold×Hysteresis before the event ends (0: at the first low
	// segment).
	CloseAfter Duration `yaml:"close_after" json:"close_after"`
	// Smoothing is k of the causal smoothing: the event lifecycle uses
	// the mean of the last k segment scores (1: none).
	Smoothing int `yaml:"smoothing" json:"smoothing"`
	// UpdateEvery is the period of "updated" messages while an event is
	// open; negative sends them only when the peak rises.
	UpdateEvery Duration `yaml:"update_every" json:"update_every"`
	// Weights are α, β, γ for frame, position and temporal context; they
	// sum to 1.
	Weights Weights `yaml:"weights" json:"weights"`
	// PromptVariant overrides lvlm.prompt_variant for this rule.
	PromptVariant string `yaml:"prompt_variant" json:"prompt_variant,omitempty"`
	// Prompt replaces the built-in prompt for this rule; "{text}" stands
	// for each text and "{temporal}" for the temporal-grid sentence (as
	// vqa.Prompt.Override). Empty uses the built-in prompt.
	Prompt string `yaml:"prompt" json:"prompt,omitempty"`
}

// Weights are the fusion weights α (frame), β (position), γ (temporal).
type Weights []float64

// Alpha, Beta and Gamma return the weights (0 when absent).
func (w Weights) Alpha() float64 { return w.at(0) }

// Beta is the position-context weight.
func (w Weights) Beta() float64 { return w.at(1) }

// Gamma is the temporal-context weight.
func (w Weights) Gamma() float64 { return w.at(2) }

func (w Weights) at(i int) float64 {
	if i < len(w) {
		return w[i]
	}
	return 0
}

// ActiveAt reports whether the rule is enabled and inside its active
// hours at t, read in loc.
func (r *Rule) ActiveAt(t time.Time, loc *time.Location) bool {
	return r.Enabled && ActiveAt(r.ActiveHours, t, loc)
}
