package vqa

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Variant selects which optional parts the prompt carries, following the
// prompt ablation of the AnyAnomaly paper.
type Variant string

const (
	// VariantSimple asks for the score only.
	VariantSimple Variant = "simple"
	// VariantReasoning also asks for a one-sentence reason.
	VariantReasoning Variant = "reasoning"
	// VariantConsideration adds the "presence matters even off-centre" part.
	VariantConsideration Variant = "consideration"
	// VariantBoth is reasoning plus consideration: the paper's best, and the
	// default.
	VariantBoth Variant = "both"
)

// ParseVariant accepts a variant name; the empty string means VariantBoth.
func ParseVariant(s string) (Variant, error) {
	switch v := Variant(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return VariantBoth, nil
	case VariantSimple, VariantReasoning, VariantConsideration, VariantBoth:
		return v, nil
	default:
		return "", fmt.Errorf("prompt variant %q: want simple, reasoning, consideration or both", s)
	}
}

func (v Variant) reasoning() bool { return v == VariantReasoning || v == VariantBoth || v == "" }
func (v Variant) consideration() bool {
	return v == VariantConsideration || v == VariantBoth || v == ""
}

// Prompt describes one question. Override, when set, replaces the built-in
// wording: "{text}" is replaced by the quoted text and "{temporal}" by the
// time-sequence sentence (appended at the end when the placeholder is
// missing and Temporal is set).
type Prompt struct {
	Variant  Variant
	Override string
	Temporal bool
}

const temporalSentence = "The picture is a 2x2 grid of four moments of the same place, in time order: read the top row left to right, then the bottom row left to right, and judge what happens across the four."

// Text returns the prompt asking about one text.
func (p Prompt) Text(text string) string {
	q := strconv.Quote(text)
	if p.Override != "" {
		return p.applyOverride(q)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Judge whether this picture shows %s. Give a score from 0 to 1: 1 when %s is plainly there, 0 when it is not there at all, and a value in between for how likely or how partly it is there.", q, q)
	if p.Variant.consideration() {
		fmt.Fprintf(&b, " Only presence counts: if %s appears anywhere, even small, at the edge or behind the main subject, the score should be high.", q)
	}
	if p.Temporal {
		b.WriteString(" " + temporalSentence)
	}
	if p.Variant.reasoning() {
		b.WriteString(" Answer with the score as a decimal with one digit after the point, followed by one short sentence saying why.")
	} else {
		b.WriteString(" Answer with the score only, as a decimal with one digit after the point.")
	}
	return b.String()
}

// Batch returns the prompt asking about several texts at once (rule
// batching, method §10); the model is asked for a JSON object mapping every
// text, exactly as written, to its score.
func (p Prompt) Batch(texts []string) string {
	quoted := make([]string, len(texts))
	for i, t := range texts {
		quoted[i] = strconv.Quote(t)
	}
	list := strings.Join(quoted, ", ")
	if p.Override != "" {
		return p.applyOverride(list) + " Answer with a JSON object whose keys are the items exactly as written and whose values are their scores from 0 to 1."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "For each of these items: %s, judge whether this picture shows it, with a score from 0 (not there at all) to 1 (plainly there) and values in between for how likely or how partly it is there.", list)
	if p.Variant.consideration() {
		b.WriteString(" Only presence counts: an item that appears anywhere, even small or off-centre, should get a high score.")
	}
	if p.Temporal {
		b.WriteString(" " + temporalSentence)
	}
	b.WriteString(" Answer with a JSON object whose keys are the items exactly as written and whose values are their scores as decimals with one digit after the point.")
	return b.String()
}

func (p Prompt) applyOverride(q string) string {
	s := strings.ReplaceAll(p.Override, "{text}", q)
	switch {
	case strings.Contains(s, "{temporal}"):
		t := ""
		if p.Temporal {
			t = temporalSentence
		}
		s = strings.ReplaceAll(s, "{temporal}", t)
	case p.Temporal:
		s += " " + temporalSentence
	}
	return s
}

// ScoreSchema is the JSON schema of a structured single-text answer, sent as
// the request's format when structured output is on.
const ScoreSchema = `{"type":"object","properties":{"score":{"type":"number"},"reason":{"type":"string"}},"required":["score","reason"]}`

// BatchSchema returns the JSON schema of a batched answer: one number per
// text.
func BatchSchema(texts []string) string {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i, t := range texts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(t))
		b.WriteString(`:{"type":"number"}`)
	}
	b.WriteString(`},"required":[`)
	for i, t := range texts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(t))
	}
	b.WriteString(`]}`)
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
