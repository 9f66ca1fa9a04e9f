package eval

import (
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/eval/metrics"
)

// The reference implementation's grid: σ from 1 to 99 frames (its
// sigma_range "1,100" is a Python range), weights in steps of 0.1 that
// sum to 1.
const (
	oracleSigmaMin = 1
	oracleSigmaMax = 99
	oracleSteps    = 10
)

// oracleGrid lists the weights searched for a variant, in tenths.
func oracleGrid(v Variant) []detector.Weights {
	var out []detector.Weights
	w := func(a, b, c int) detector.Weights {
		return detector.Weights{Alpha: float64(a) / oracleSteps, Beta: float64(b) / oracleSteps, Gamma: float64(c) / oracleSteps}
	}
	switch v {
	case FrameOnly:
		out = append(out, w(oracleSteps, 0, 0))
	case PlusPC:
		for a := 0; a <= oracleSteps; a++ {
			out = append(out, w(a, oracleSteps-a, 0))
		}
	case PlusTC:
		for a := 0; a <= oracleSteps; a++ {
			out = append(out, w(a, 0, oracleSteps-a))
		}
	default:
		for a := 0; a <= oracleSteps; a++ {
			for b := 0; a+b <= oracleSteps; b++ {
				out = append(out, w(a, b, oracleSteps-a-b))
			}
		}
	}
	return out
}

// oracle searches σ and the weights of every variant for the highest micro
// AUC on the run's own labels, the way the reference implementation picks
// its reported parameters. Because smoothing is linear and min-max
// normalisation does not change the ranking, the search combines
// pre-smoothed contexts and skips the normalisation; the winner is then
// re-scored through the exact protocol. The first best in grid order wins
// ties, so the result is deterministic.
func (s *series) oracle(mode Smooth) ([numVariants]Score, error) {
	var best [numVariants]Score
	var bestAUC [numVariants]float64
	for v := range bestAUC {
		bestAUC[v] = -1
	}
	grids := [numVariants][]detector.Weights{}
	for _, v := range Variants {
		grids[v] = oracleGrid(v)
	}
	x := make([]float64, len(s.labels))
	for sigma := oracleSigmaMin; sigma <= oracleSigmaMax; sigma++ {
		var sm [3][]float64
		for c := range sm {
			var err error
			if sm[c], err = s.smooth(s.ctx[c], float64(sigma), mode); err != nil {
				return best, err
			}
		}
		for _, v := range Variants {
			for _, w := range grids[v] {
				for i := range x {
					x[i] = w.Alpha*sm[0][i] + w.Beta*sm[1][i] + w.Gamma*sm[2][i]
				}
				auc, err := metrics.ROCAUC(x, s.labels)
				if err != nil {
					return best, err
				}
				if auc > bestAUC[v] {
					bestAUC[v] = auc
					best[v] = Score{Sigma: float64(sigma), Weights: w}
				}
			}
		}
	}
	for _, v := range Variants {
		sc, _, err := s.evaluate(best[v].Weights, best[v].Sigma, mode)
		if err != nil {
			return best, err
		}
		best[v] = sc
	}
	return best, nil
}
