package vqa

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		reply     string
		score     float64
		reason    string
		parseFail bool
	}{
		{"plain", "0.8 - a person is lying on the floor.", 0.8, "a person is lying on the floor.", false},
		{"label first", "Score: 0.3. Nobody falls.", 0.3, "Nobody falls.", false},
		{"integer one", "1", 1, "", false},
		{"integer zero with reason", "0; the road is empty", 0, "the road is empty", false},
		{"bare fraction", ".7 probably", 0.7, "probably", false},
		{"above one clamps", "7.5 out of 10", 1, "out of 10", false},
		{"negative clamps", "-0.4 nothing", 0, "nothing", false},
		{"reason before number", "A bicycle crosses the square: 0.9", 0.9, "A bicycle crosses the square:", false},
		{"no number", "I cannot tell.", 0, "I cannot tell.", true},
		{"empty", "", 0, "", true},
		{"json", `{"score": 0.6, "reason": "a car is parked"}`, 0.6, "a car is parked", false},
		{"json in fence", "```json\n{\"score\":0.9,\"reason\":\"smoke\"}\n```", 0.9, "smoke", false},
		{"json quoted score", `{"score":"0.4","reason":"maybe"}`, 0.4, "maybe", false},
		{"json above one", `{"score": 3, "reason": "x"}`, 1, "x", false},
		{"json null score is no number", `{"score": null, "reason": "cannot tell"}`, 0, "cannot tell", true},
		{"json null score ignores digits in the reason", `{"score": null, "reason": "2 people are fighting"}`, 0, "2 people are fighting", true},
		{"json non-numeric score", `{"score": "N/A", "reason": "3 people"}`, 0, "3 people", true},
		{"json without score falls back to text", `{"reason": "looks like 0.2"}`, 0.2, `{"reason": "looks like`, false},
		{"broken json falls back", `{"score": 0.5, "reason": "cut`, 0.5, `"reason": "cut`, false},
		{"huge number", "1e400", 1, "", false},
		{"huge negative number", "-1" + strings.Repeat("0", 400) + " nothing", 0, "nothing", false},
		{"exponent", "Score: 1e-5. Nothing there.", 0.00001, "Nothing there.", false},
		{"decimal comma", "Score: 0,8. Jemand fällt.", 0.8, "Jemand fällt.", false},
		{"comma and space separates", "0, the road is empty", 0, "the road is empty", false},
		{"json quoted decimal comma", `{"score":"0,7","reason":"peut-être"}`, 0.7, "peut-être", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Parse(tc.reply)
			if math.Abs(a.Score-tc.score) > 1e-9 || a.ParseFailed != tc.parseFail || a.Reason != tc.reason {
				t.Fatalf("Parse(%q) = %+v, want score %v reason %q parseFailed %v", tc.reply, a, tc.score, tc.reason, tc.parseFail)
			}
		})
	}
}

func TestParseBatch(t *testing.T) {
	texts := []string{"falling", "bicycle", "smoke"}
	tests := []struct {
		name   string
		reply  string
		scores []float64
		failed []bool
	}{
		{"json", `{"falling":0.9,"bicycle":0.1,"smoke":0}`, []float64{0.9, 0.1, 0}, []bool{false, false, false}},
		{"json case and missing", `{"Falling": "0.7", "bicycle": 2}`, []float64{0.7, 1, 0}, []bool{false, false, true}},
		{"prose", "falling: 0.2\nbicycle - 0.8\nno idea about the last one", []float64{0.2, 0.8, 0}, []bool{false, false, true}},
		{"nothing", "sorry", []float64{0, 0, 0}, []bool{true, true, true}},
		{"prose decimal commas", "falling: 0,6; bicycle: 0,1", []float64{0.6, 0.1, 0}, []bool{false, false, true}},
		{"no borrowing the next text's number", "falling: none. bicycle: 0.9", []float64{0, 0.9, 0}, []bool{true, false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseBatch(tc.reply, texts)
			for i := range texts {
				if math.Abs(got[i].Score-tc.scores[i]) > 1e-9 || got[i].ParseFailed != tc.failed[i] {
					t.Fatalf("text %q: got %+v, want score %v failed %v", texts[i], got[i], tc.scores[i], tc.failed[i])
				}
			}
		})
	}
}

// TestParseBatchTextInsideAnother: with batching across a camera's rules,
// "fire" (one rule) must not take the number written for "fire truck"
// (another rule) when the model ignores the schema.
func TestParseBatchTextInsideAnother(t *testing.T) {
	for _, tc := range []struct {
		name  string
		texts []string
	}{{"shorter asked last", []string{"fire truck", "fire"}}, {"shorter asked first", []string{"fire", "fire truck"}}} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseBatch("Fire truck: 0.9\nfire: 0.0", tc.texts)
			for i, text := range tc.texts {
				want := 0.0
				if text == "fire truck" {
					want = 0.9
				}
				if got[i].Score != want || got[i].ParseFailed {
					t.Errorf("%q: %+v, want %v", text, got[i], want)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.8 - yes", "{\"score\":0.2,\"reason\":\"r\"}", "no", "", "-1e9", "{\"score\":\"x\"}", "```json\n{}\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		a := Parse(reply)
		if math.IsNaN(a.Score) || a.Score < 0 || a.Score > 1 {
			t.Fatalf("Parse(%q) score %v outside [0,1]", reply, a.Score)
		}
		if a.ParseFailed && a.Score != 0 {
			t.Fatalf("Parse(%q) failed but scored %v", reply, a.Score)
		}
		if !utf8.ValidString(a.Reason) {
			t.Fatalf("Parse(%q) reason is not UTF-8", reply)
		}
		if len(a.Reason) > maxReason+len("…") {
			t.Fatalf("reason too long: %d", len(a.Reason))
		}
		for _, b := range ParseBatch(reply, []string{"a", "b c"}) {
			if b.Score < 0 || b.Score > 1 || math.IsNaN(b.Score) {
				t.Fatalf("ParseBatch(%q) score %v", reply, b.Score)
			}
		}
	})
}
