// Package relevance rates how strongly an image region shows a text
// (method §3). The context builders (key frames, position and temporal
// context) only see the Scorer and Segment interfaces, so a CLIP scorer can
// be added next to the default motion scorer without touching them.
package relevance

import "image"

// Scorer prepares the relevance of one segment's frames for one text.
//
// Scorers that ignore the text (motion) report it through TextAgnostic so
// that callers can reuse one prepared Segment, or one set of query images,
// for every text of a rule.
type Scorer interface {
	// Name identifies the scorer in logs and debug output ("motion", "clip").
	Name() string
	// Prepare does the per-segment work (background model, embeddings, …)
	// and returns a Segment that answers relevance questions about the
	// frames for text. frames are 4:2:0 full-range YCbCr (see CheckFrames)
	// and must not be modified while the Segment is in use.
	Prepare(frames []*image.YCbCr, text string) (Segment, error)
}

// Segment answers relevance questions about the frames it was prepared
// for. Higher means more relevant; values are only compared with other
// values of the same Segment.
type Segment interface {
	// Frame rates frame i as a whole.
	Frame(i int) float64
	// Region rates rectangle r of frame i, r being given in the coordinates
	// of a size×size resized working copy of that frame (the copy is
	// conceptual: a scorer may work on the original pixels of the same area).
	Region(i int, size int, r image.Rectangle) float64
}

// TextAgnostic is implemented by scorers whose result does not depend on the
// text. Such a scorer's Segment, and the query images built from it, are the
// same for every text of the same frames.
type TextAgnostic interface {
	TextAgnostic() bool
}

// IsTextAgnostic reports whether s declares that it ignores the text.
func IsTextAgnostic(s Scorer) bool {
	t, ok := s.(TextAgnostic)
	return ok && t.TextAgnostic()
}

// Releaser is implemented by Segments that hold pooled buffers. Callers that
// are done with a Segment call Release; afterwards the Segment must not be
// used.
type Releaser interface {
	Release()
}

// Release hands seg's buffers back if it holds any; it is a no-op otherwise.
func Release(seg Segment) {
	if r, ok := seg.(Releaser); ok {
		r.Release()
	}
}
