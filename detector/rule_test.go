package detector

import (
	"math"
	"strings"
	"testing"
)

func TestFuse(t *testing.T) {
	tests := []struct {
		name string
		w    Weights
		c    ContextScores
		want float64
	}{
		{"default all high", DefaultWeights, ContextScores{1, 1, 1}, 1},
		{"default frame only", DefaultWeights, ContextScores{1, 0, 0}, 0.5},
		{"default mixed", DefaultWeights, ContextScores{0.8, 0.6, 0.1}, 0.5*0.8 + 0.3*0.6 + 0.2*0.1},
		{"avenue", Weights{0.6, 0.3, 0.1}, ContextScores{0.2, 0.9, 1}, 0.12 + 0.27 + 0.1},
		{"ubnormal temporal only", Weights{0.6, 0.1, 0.3}, ContextScores{0, 0, 1}, 0.3},
		{"all zero", DefaultWeights, ContextScores{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Fuse(tc.c); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("Fuse = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseWeights(t *testing.T) {
	tests := []struct {
		in      string
		want    Weights
		errPart string
	}{
		{"0.5,0.3,0.2", DefaultWeights, ""},
		{" 0.6, 0.3 ,0.1", Weights{0.6, 0.3, 0.1}, ""},
		{"1,0,0", Weights{1, 0, 0}, ""},
		{"0.5,0.5,0.5", Weights{}, "sum to 1.5"},
		{"0.5,0.3", Weights{}, "three"},
		{"a,b,c", Weights{}, "not a number"},
		{"1.2,-0.1,-0.1", Weights{}, "≥ 0"},
		{"NaN,0,1", Weights{}, "≥ 0"},
		{"0.5,0.3 0.9,0.2", Weights{}, `"0.3 0.9" is not a number`},
		{"0.5x,0.3,0.2", Weights{}, "not a number"},
		{"0.2.1,0.6,0.2", Weights{}, "not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWeights(tc.in)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err %v, want one containing %q", err, tc.errPart)
				}
				return
			}
			if err != nil || math.Abs(got.Alpha-tc.want.Alpha)+math.Abs(got.Beta-tc.want.Beta)+math.Abs(got.Gamma-tc.want.Gamma) > 1e-9 {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	tests := []struct {
		name    string
		r       Rule
		errPart string
	}{
		{"ok", Rule{ID: "r", Texts: []string{"falling"}}, ""},
		{"no id", Rule{Texts: []string{"x"}}, "id is required"},
		{"no texts", Rule{ID: "r"}, "at least one text"},
		{"blank text", Rule{ID: "r", Texts: []string{"x", " "}}, "text 2 is empty"},
		{"bad weights", Rule{ID: "r", Texts: []string{"x"}, Weights: Weights{0.5, 0.5, 0.5}}, "sum to"},
		{"bad threshold", Rule{ID: "r", Texts: []string{"x"}, Threshold: 2}, "threshold"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate()
			if (tc.errPart == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errPart)) {
				t.Fatalf("err %v, want %q", err, tc.errPart)
			}
		})
	}
}
