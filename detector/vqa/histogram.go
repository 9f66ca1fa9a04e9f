package vqa

import "time"

// LatencyBounds are the upper bounds, in seconds, of the latency histogram
// buckets (a last +Inf bucket is implied).
var LatencyBounds = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Histogram is a latency histogram as plain values: Counts[i] counts
// observations ≤ Bounds[i] and > Bounds[i-1] (not cumulative); the last
// element of Counts is the +Inf bucket.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64 // seconds
}

func newHistogram() Histogram {
	return Histogram{Bounds: LatencyBounds, Counts: make([]uint64, len(LatencyBounds)+1)}
}

func (h *Histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(h.Bounds) && s > h.Bounds[i] {
		i++
	}
	h.Counts[i]++
	h.Count++
	h.Sum += s
}

func (h Histogram) clone() Histogram {
	c := h
	c.Counts = append([]uint64(nil), h.Counts...)
	return c
}

// Merge adds o's observations to h (both must use the same bounds).
func (h *Histogram) Merge(o Histogram) {
	if h.Counts == nil {
		*h = newHistogram()
	}
	for i := range o.Counts {
		if i < len(h.Counts) {
			h.Counts[i] += o.Counts[i]
		}
	}
	h.Count += o.Count
	h.Sum += o.Sum
}
