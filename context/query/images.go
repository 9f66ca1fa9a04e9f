package query

import (
	"image"

	"github.com/anyanomaly/anyanomaly/context/position"
	"github.com/anyanomaly/anyanomaly/context/temporal"
)

// Images are the query images of one segment for one text. Images built by
// a Builder hold pooled buffers; hand them back with Builder.Release once
// encoded (optional: unreleased Images are simply garbage collected).
type Images struct {
	// Scorer is the name of the relevance scorer used.
	Scorer string
	// KeyIndex is the index of the key frame in the segment.
	KeyIndex int
	// TemporalIndices are the four temporal key frames in time order.
	TemporalIndices [4]int
	// GroupSize is the spacing of the temporal key frames (⌊N/4⌋).
	GroupSize int
	// FrameScores are the per-frame relevance scores the key frames were
	// picked from.
	FrameScores []float64
	// KeyFrame is the key frame as it is (4:2:0 YCbCr). It is the caller's
	// input frame, not a copy: encode it before the frames are recycled.
	KeyFrame *image.YCbCr
	// Position is the OutSize×OutSize PC image.
	Position *image.RGBA
	// Attention is the OutSize×OutSize attention map (row-major) in [0,1]
	// that darkened Position.
	Attention []float32
	// PositionDetail explains Position: per-scale window scores and the
	// map's raw range.
	PositionDetail *position.Result
	// Temporal is the OutSize×OutSize TC grid, tiles in time order
	// (top-left, top-right, bottom-left, bottom-right).
	Temporal *image.RGBA
	// TemporalWindow is the chosen TC window in WorkSize coordinates.
	TemporalWindow image.Rectangle
	// TemporalScale is the chosen window's size in WorkSize pixels.
	TemporalScale int
	// TemporalDetail explains Temporal: chosen scale and position, its
	// score and per-frame crop scores, the source rectangles.
	TemporalDetail *temporal.Result
}

// JPEGs are the encoded query images.
type JPEGs struct {
	KeyFrame, Position, Temporal []byte
}
