// Package metrics holds the numbers of the benchmark protocol (method §8–§9):
// Gaussian smoothing with the semantics of SciPy's gaussian_filter1d,
// min-max normalisation and frame-level ROC-AUC computed like scikit-learn's
// roc_curve + auc. scripts/eval_reference.py produces the reference vectors
// the tests compare against.
package metrics

import (
	"fmt"
	"math"
)

// DefaultTruncate is SciPy's default: the kernel reaches 4σ each side.
const DefaultTruncate = 4.0

// GaussianFilter1D smooths x like scipy.ndimage.gaussian_filter1d(x, sigma)
// with mode 'reflect' (the signal continues mirrored with the edge sample
// repeated: d c b a | a b c d | d c b a, periodically when the kernel is
// longer than the signal) and truncate 4.0. sigma 0 returns a copy of x
// (SciPy itself divides by zero there); a negative or non-finite sigma is an
// error.
func GaussianFilter1D(x []float64, sigma float64) ([]float64, error) {
	return GaussianFilter1DTruncate(x, sigma, DefaultTruncate)
}

// GaussianFilter1DTruncate is GaussianFilter1D with SciPy's truncate
// parameter: the kernel radius is int(truncate·σ + 0.5).
func GaussianFilter1DTruncate(x []float64, sigma, truncate float64) ([]float64, error) {
	if sigma < 0 || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("gaussian filter: sigma %v must be finite and ≥ 0", sigma)
	}
	if truncate < 0 || math.IsNaN(truncate) || math.IsInf(truncate, 0) {
		return nil, fmt.Errorf("gaussian filter: truncate %v must be finite and ≥ 0", truncate)
	}
	out := make([]float64, len(x))
	if sigma == 0 || len(x) == 0 {
		copy(out, x)
		return out, nil
	}
	w := gaussianKernel(sigma, int(truncate*sigma+0.5))
	n := len(x)
	at := func(i int) float64 { return x[reflectIndex(i, n)] }
	r := len(w) - 1
	for i := range x {
		// Sum symmetric pairs like SciPy's correlate1d does for symmetric
		// weights, so rounding stays close to the reference.
		acc := x[i] * w[0]
		for j := 1; j <= r; j++ {
			acc += (at(i+j) + at(i-j)) * w[j]
		}
		out[i] = acc
	}
	return out, nil
}

// gaussianKernel returns the normalised half kernel w[0..radius] (w[j] is
// the weight at offset ±j).
func gaussianKernel(sigma float64, radius int) []float64 {
	// SciPy evaluates the exponent as a polynomial x·(x·k), k = -0.5/σ².
	k := -0.5 / (sigma * sigma)
	full := make([]float64, 2*radius+1)
	sum := 0.0
	for i := range full {
		xi := float64(i - radius)
		full[i] = math.Exp(xi * (xi * k))
		sum += full[i]
	}
	half := make([]float64, radius+1)
	for j := range half {
		half[j] = full[radius+j] / sum
	}
	return half
}

// reflectIndex maps any index onto [0, n) by symmetric reflection with
// period 2n (SciPy's 'reflect' mode, also for extensions longer than n).
func reflectIndex(i, n int) int {
	m := i % (2 * n)
	if m < 0 {
		m += 2 * n
	}
	if m >= n {
		m = 2*n - 1 - m
	}
	return m
}

// MinMax rescales x linearly onto [0, 1]. A constant x maps to all zeros
// (the reference adds 1e-8 to the denominator, which gives the same zeros
// and, elsewhere, the same ranking).
func MinMax(x []float64) []float64 {
	out := make([]float64, len(x))
	if len(x) == 0 {
		return out
	}
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	if hi == lo {
		return out
	}
	d := hi - lo
	for i, v := range x {
		out[i] = (v - lo) / d
	}
	return out
}
