package vqa

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPromptVariants(t *testing.T) {
	tests := []struct {
		v                             Variant
		wantReason, wantConsideration bool
	}{
		{VariantSimple, false, false},
		{VariantReasoning, true, false},
		{VariantConsideration, false, true},
		{VariantBoth, true, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.v), func(t *testing.T) {
			p := Prompt{Variant: tc.v}.Text("falling")
			if !strings.Contains(p, `"falling"`) {
				t.Fatalf("prompt lacks the text: %s", p)
			}
			if got := strings.Contains(p, "saying why"); got != tc.wantReason {
				t.Errorf("reasoning part present=%v, want %v: %s", got, tc.wantReason, p)
			}
			if got := strings.Contains(p, "Only presence counts"); got != tc.wantConsideration {
				t.Errorf("consideration part present=%v, want %v: %s", got, tc.wantConsideration, p)
			}
			if strings.Contains(p, "2x2 grid") {
				t.Errorf("non-temporal prompt mentions the grid")
			}
			if !strings.Contains(Prompt{Variant: tc.v, Temporal: true}.Text("falling"), "2x2 grid") {
				t.Errorf("temporal prompt lacks the grid sentence")
			}
		})
	}
}

func TestParseVariant(t *testing.T) {
	if v, err := ParseVariant(""); err != nil || v != VariantBoth {
		t.Fatalf("empty: %v %v", v, err)
	}
	if _, err := ParseVariant("fancy"); err == nil || !strings.Contains(err.Error(), "fancy") {
		t.Fatalf("want error naming the culprit, got %v", err)
	}
}

func TestPromptOverride(t *testing.T) {
	p := Prompt{Override: "Is there {text}? {temporal} Score 0-1.", Temporal: true}
	got := p.Text("a dog")
	if !strings.Contains(got, `"a dog"`) || !strings.Contains(got, "2x2 grid") || strings.Contains(got, "{") {
		t.Fatalf("override: %s", got)
	}
	if got := (Prompt{Override: "Is there {text}?", Temporal: true}).Text("x"); !strings.HasSuffix(got, temporalSentence) {
		t.Fatalf("temporal sentence not appended: %s", got)
	}
}

func TestBatchSchema(t *testing.T) {
	texts := []string{"falling", `a "quoted" thing`}
	var schema struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	}
	if err := json.Unmarshal([]byte(BatchSchema(texts)), &schema); err != nil {
		t.Fatal(err)
	}
	if len(schema.Properties) != 2 || len(schema.Required) != 2 || schema.Required[1] != texts[1] {
		t.Fatalf("schema %+v", schema)
	}
	if !json.Valid([]byte(ScoreSchema)) {
		t.Fatal("ScoreSchema is not JSON")
	}
	if p := (Prompt{}).Batch(texts); !strings.Contains(p, "JSON object") || !strings.Contains(p, `"falling"`) {
		t.Fatalf("batch prompt: %s", p)
	}
}
