package contexttest

import "image"

// FuncSegment is a relevance.Segment whose answers come from functions, for
// tests that need hand-picked relevance. A nil function rates everything 0.
type FuncSegment struct {
	FrameFunc  func(i int) float64
	RegionFunc func(i, size int, r image.Rectangle) float64
}

// Frame calls FrameFunc.
func (s FuncSegment) Frame(i int) float64 {
	if s.FrameFunc == nil {
		return 0
	}
	return s.FrameFunc(i)
}

// Region calls RegionFunc.
func (s FuncSegment) Region(i, size int, r image.Rectangle) float64 {
	if s.RegionFunc == nil {
		return 0
	}
	return s.RegionFunc(i, size, r)
}
