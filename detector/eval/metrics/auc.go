package metrics

import (
	"errors"
	"fmt"
	"math"
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
	// Sort by score with an LSD radix sort on order-preserving integer
	// keys: exact (equal keys ⇔ equal scores, -0 folded into +0 as NumPy
	// compares them) and several times faster than a comparison sort, which
	// matters to the oracle search's thousands of AUCs.
	keys, lab := sortedKeys(scores, labels)
	var tps, fps []float64
	tp := 0
	// Walk from the highest score down; only the cumulative counts at the
	// end of each tie are used, so the order inside a tie does not matter.
	for k := len(keys) - 1; k >= 0; k-- {
		if lab[k] {
			tp++
		}
		if k == 0 || keys[k-1] != keys[k] {
			seen := len(keys) - k
			tps = append(tps, float64(tp))
			fps = append(fps, float64(seen-tp))
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

// sortedKeys returns the scores' order-preserving keys in ascending order,
// with the labels permuted alongside.
func sortedKeys(scores []float64, labels []bool) ([]uint64, []bool) {
	n := len(scores)
	keys, tmpK := make([]uint64, n), make([]uint64, n)
	pos, tmpP := make([]bool, n), make([]bool, n)
	for i, s := range scores {
		if s == 0 {
			s = 0 // -0 → +0
		}
		b := math.Float64bits(s)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i], pos[i] = b, labels[i]
	}
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		count = [256]int{}
		for _, k := range keys {
			count[(k>>shift)&0xff]++
		}
		if count[(keys[0]>>shift)&0xff] == n {
			continue // every key has the same digit here
		}
		sum := 0
		for d := range count {
			count[d], sum = sum, sum+count[d]
		}
		for i, k := range keys {
			d := (k >> shift) & 0xff
			tmpK[count[d]], tmpP[count[d]] = k, pos[i]
			count[d]++
		}
		keys, tmpK = tmpK, keys
		pos, tmpP = tmpP, pos
	}
	return keys, pos
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
