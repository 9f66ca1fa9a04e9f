// Package yuv holds what the context packages share about their analysis
// frames: 4:2:0 *image.YCbCr pictures with full-range (JFIF) values, as
// image/color defines them.
package yuv

import (
	"fmt"
	"image"
)

// Check reports why img cannot be read as a 4:2:0 picture without going
// out of its planes: nil, empty, another subsampling, a negative origin
// (image.YCbCr's chroma offsets round towards zero, so blocks left of or
// above the origin do not line up), strides narrower than a row, or planes
// shorter than the rectangle needs. The readers in the
// context packages index the planes directly, so they must not see such a
// frame.
func Check(img *image.YCbCr) error {
	if img == nil {
		return fmt.Errorf("is nil")
	}
	r := img.Rect
	if r.Empty() {
		return fmt.Errorf("is empty (%v)", r)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("has subsampling %v, want 4:2:0", img.SubsampleRatio)
	}
	if r.Min.X < 0 || r.Min.Y < 0 {
		return fmt.Errorf("has a negative origin (%v)", r)
	}
	w, h := r.Dx(), r.Dy()
	if img.YStride < w || len(img.Y) < (h-1)*img.YStride+w {
		return fmt.Errorf("has a Y plane of %d bytes with stride %d, too short for %dx%d", len(img.Y), img.YStride, w, h)
	}
	cw, ch := ChromaSize(r)
	need := (ch-1)*img.CStride + cw
	if img.CStride < cw || len(img.Cb) < need || len(img.Cr) < need {
		return fmt.Errorf("has Cb/Cr planes of %d/%d bytes with stride %d, too short for %dx%d chroma", len(img.Cb), len(img.Cr), img.CStride, cw, ch)
	}
	return nil
}

// ChromaSize is the size of the 4:2:0 chroma planes covering r, computed as
// image.NewYCbCr does, so that it agrees with image.YCbCr.COffset.
func ChromaSize(r image.Rectangle) (cw, ch int) {
	return (r.Max.X+1)/2 - r.Min.X/2, (r.Max.Y+1)/2 - r.Min.Y/2
}
