package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrSingleClass is returned when the labels hold only one class: ROC-AUC is
// then undefined (scikit-learn's roc_auc_score refuses too).
var ErrSingleClass = errors.New("ROC-AUC undefined: the labels hold only one class")

// ROCCurve returns the false and true positive rates of scikit-learn's
// roc_curve(labels, scores, drop_intermediate=True): one point per distinct
// score (ties form one step), collinear intermediate points dropped, and a
// leading (0, 0).
func ROCCurve(scores []float64, labels []bool) (fpr, tpr []float64, err error) {
	if len(scores) != len(labels) {
		return nil, nil, fmt.Errorf("ROC: %d scores but %d labels", len(scores), len(labels))
	}
	pos := 0
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, nil, fmt.Errorf("ROC: score %d is %v", i, s)
		}
		if labels[i] {
			pos++
		}
	}
	if pos == 0 || pos == len(labels) {
		return nil, nil, ErrSingleClass
	}
	type point struct {
		s   float64
		pos bool
	}
	pts := make([]point, len(scores))
	for i, s := range scores {
		pts[i] = point{s, labels[i]}
	}
	// Descending by score; the order inside a tie does not matter because
	// only the cumulative counts at the end of each tie are used.
	slices.SortFunc(pts, func(a, b point) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return 0
	})
	var tps, fps []float64
	tp := 0
	for k, p := range pts {
		if p.pos {
			tp++
		}
		if k == len(pts)-1 || pts[k+1].s != p.s {
			tps = append(tps, float64(tp))
			fps = append(fps, float64(k+1-tp))
		}
	}
	if len(fps) > 2 {
		// Keep the ends and every point where the curve bends (second
		// differences of fps or tps non-zero).
		keep := []int{0}
		for k := 1; k < len(fps)-1; k++ {
			if fps[k+1]-2*fps[k]+fps[k-1] != 0 || tps[k+1]-2*tps[k]+tps[k-1] != 0 {
				keep = append(keep, k)
			}
		}
		keep = append(keep, len(fps)-1)
		nf, nt := make([]float64, len(keep)), make([]float64, len(keep))
		for j, k := range keep {
			nf[j], nt[j] = fps[k], tps[k]
		}
		fps, tps = nf, nt
	}
	fpr = make([]float64, len(fps)+1)
	tpr = make([]float64, len(tps)+1)
	lastF, lastT := fps[len(fps)-1], tps[len(tps)-1]
	for k := range fps {
		fpr[k+1] = fps[k] / lastF
		tpr[k+1] = tps[k] / lastT
	}
	return fpr, tpr, nil
}

// ROCAUC is the area under ROCCurve by the trapezoidal rule, as
// scikit-learn's auc(fpr, tpr) computes it.
func ROCAUC(scores []float64, labels []bool) (float64, error) {
	fpr, tpr, err := ROCCurve(scores, labels)
	if err != nil {
		return 0, err
	}
	return trapezoid(tpr, fpr), nil
}

// trapezoid integrates y over x (x non-decreasing) with NumPy's trapz
// arithmetic: Σ dx·(y[i+1]+y[i])/2, summed pairwise like NumPy's reduction.
func trapezoid(y, x []float64) float64 {
	terms := make([]float64, len(x)-1)
	for i := range terms {
		terms[i] = (x[i+1] - x[i]) * (y[i+1] + y[i]) / 2
	}
	return pairwiseSum(terms)
}

// pairwiseSum follows NumPy's pairwise summation (blocks of up to 8
// partial sums below 128 elements, recursive halving above), which keeps the
// result within rounding of the reference on long curves.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range 8 {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	m := n / 2
	m -= m % 8
	return pairwiseSum(a[:m]) + pairwiseSum(a[m:])
}
