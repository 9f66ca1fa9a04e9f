package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// tol is the acceptance bound: the Go numbers equal SciPy / scikit-learn's
// to 1e-9.
const tol = 1e-9

type reference struct {
	Versions map[string]string `json:"versions"`
	Gaussian []struct {
		Name  string    `json:"name"`
		X     []float64 `json:"x"`
		Sigma float64   `json:"sigma"`
		Want  []float64 `json:"want"`
	} `json:"gaussian"`
	AUC []struct {
		Name   string    `json:"name"`
		Scores []float64 `json:"scores"`
		Labels []int     `json:"labels"`
		Error  string    `json:"error"`
		AUC    float64   `json:"auc"`
		FPR    []float64 `json:"fpr"`
		TPR    []float64 `json:"tpr"`
	} `json:"auc"`
	MinMax []struct {
		Name string    `json:"name"`
		X    []float64 `json:"x"`
		Want []float64 `json:"want"`
	} `json:"minmax"`
	Pipeline []struct {
		Name       string    `json:"name"`
		X          []float64 `json:"x"`
		Labels     []int     `json:"labels"`
		Sigma      float64   `json:"sigma"`
		Normalised []float64 `json:"normalised"`
		AUC        float64   `json:"auc"`
	} `json:"pipeline"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/eval_reference.py)", err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Gaussian) == 0 || len(r.AUC) == 0 || len(r.MinMax) == 0 || len(r.Pipeline) == 0 {
		t.Fatal("reference file has an empty section")
	}
	return &r
}

func bools(v []int) []bool {
	out := make([]bool, len(v))
	for i, x := range v {
		out[i] = x != 0
	}
	return out
}

func closeSlices(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s[%d] = %.17g, want %.17g (|Δ| = %g)", what, i, got[i], want[i], math.Abs(got[i]-want[i]))
		}
	}
}

func TestGaussianMatchesSciPy(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Gaussian {
		t.Run(c.Name, func(t *testing.T) {
			got, err := GaussianFilter1D(c.X, c.Sigma)
			if err != nil {
				t.Fatal(err)
			}
			closeSlices(t, "smoothed", got, c.Want)
		})
	}
}

func TestROCMatchesScikitLearn(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.AUC {
		t.Run(c.Name, func(t *testing.T) {
			got, err := ROCAUC(c.Scores, bools(c.Labels))
			if c.Error != "" {
				if !errors.Is(err, ErrSingleClass) {
					t.Fatalf("err = %v, want ErrSingleClass (scikit-learn: %s)", err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-c.AUC) > tol {
				t.Errorf("AUC = %.17g, want %.17g", got, c.AUC)
			}
			if c.FPR != nil {
				fpr, tpr, err := ROCCurve(c.Scores, bools(c.Labels))
				if err != nil {
					t.Fatal(err)
				}
				closeSlices(t, "fpr", fpr, c.FPR)
				closeSlices(t, "tpr", tpr, c.TPR)
			}
		})
	}
}

func TestMinMaxMatchesNumPy(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.MinMax {
		t.Run(c.Name, func(t *testing.T) { closeSlices(t, "normalised", MinMax(c.X), c.Want) })
	}
	if got := MinMax([]float64{0.4, 0.4, 0.4}); got[0] != 0 || got[2] != 0 {
		t.Errorf("constant input: %v, want zeros", got)
	}
	if got := MinMax(nil); len(got) != 0 {
		t.Errorf("empty input: %v", got)
	}
}

// TestPipelineMatchesReference chains the three steps the way the protocol
// does on segment-constant scores.
func TestPipelineMatchesReference(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Pipeline {
		t.Run(c.Name, func(t *testing.T) {
			sm, err := GaussianFilter1D(c.X, c.Sigma)
			if err != nil {
				t.Fatal(err)
			}
			nm := MinMax(sm)
			closeSlices(t, "normalised", nm, c.Normalised)
			got, err := ROCAUC(nm, bools(c.Labels))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-c.AUC) > tol {
				t.Errorf("AUC = %.17g, want %.17g", got, c.AUC)
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
	}{
		{"negative sigma", func() error { _, err := GaussianFilter1D([]float64{1}, -1); return err }},
		{"NaN sigma", func() error { _, err := GaussianFilter1D([]float64{1}, math.NaN()); return err }},
		{"length mismatch", func() error { _, err := ROCAUC([]float64{1, 2}, []bool{true}); return err }},
		{"NaN score", func() error { _, err := ROCAUC([]float64{math.NaN(), 1}, []bool{true, false}); return err }},
		{"no frames", func() error { _, err := ROCAUC(nil, nil); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err() == nil {
				t.Error("no error")
			}
		})
	}
	got, err := GaussianFilter1D([]float64{1, 2, 3}, 0)
	if err != nil || got[0] != 1 || got[2] != 3 {
		t.Errorf("sigma 0: %v, %v; want the input unchanged", got, err)
	}
}

func TestReflectIndex(t *testing.T) {
	// d c b a | a b c d | d c b a, repeated.
	want := map[int]int{-10: 1, -9: 0, -8: 0, -5: 3, -4: 3, -1: 0, 0: 0, 3: 3, 4: 3, 7: 0, 8: 0, 11: 3, 12: 3}
	for i, w := range want {
		if got := reflectIndex(i, 4); got != w {
			t.Errorf("reflectIndex(%d, 4) = %d, want %d", i, got, w)
		}
	}
	if got := reflectIndex(-7, 1); got != 0 {
		t.Errorf("n=1: %d", got)
	}
}

func BenchmarkROCAUC36k(b *testing.B) {
	x := make([]float64, 36388)
	l := make([]bool, len(x))
	for i := range x {
		x[i] = float64((i*7919)%1000) / 1000
		l[i] = i%13 == 0
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ROCAUC(x, l); err != nil {
			b.Fatal(err)
		}
	}
}

// TestROCSignedZero checks the radix keys: negative scores order below
// positive ones and -0 ties with +0, as NumPy compares them. By hand: 2
// (positive) first, then the tie {+0 positive, -0 negative}, then -1
// (negative): fpr 0, 0, ½, 1 and tpr 0, ½, 1, 1, area 7/8.
func TestROCSignedZero(t *testing.T) {
	got, err := ROCAUC([]float64{math.Copysign(0, -1), 0, -1, 2}, []bool{false, true, false, true})
	if err != nil || got != 0.875 {
		t.Errorf("AUC = %v, %v; want 0.875", got, err)
	}
}
