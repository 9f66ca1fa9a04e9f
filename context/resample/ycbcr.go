package resample

import (
	"image"

	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
)

// ycTap is one output column's source samples: byte offsets of the two
// nearest pixels in a Y row and of their chroma blocks in a Cb/Cr row, and
// the weight of the second in 1/256.
type ycTap struct {
	y0, y1, c0, c1 int32
	w              uint32
}

// BilinearYCbCr scales the sr part of the 4:2:0 picture src onto the dr
// part of dst, converting to RGB with color.YCbCrToRGB's arithmetic and
// setting alpha to 255. Geometry, clipping and the 8-bit weights are those
// of Bilinear; src must be a well-formed 4:2:0 image (the callers check
// frames with relevance.CheckFrames).
//
// It reads only the Y and chroma samples the output needs — two rows of
// each per output row, two columns per output column — so the cost follows
// the output's size, not the source's. Chroma is sampled at the same four
// pixels as luma (each pixel taking its 2×2 block's value, as
// image.YCbCr.At does); the interpolation is done on Y, Cb and Cr and only
// the result is converted. The outcome is that of converting every source
// pixel with color.YCbCrToRGB and then calling Bilinear, except where the
// conversion clips: there the clipped value is interpolated, here the
// interpolated one is clipped.
func BilinearYCbCr(dst *image.RGBA, dr image.Rectangle, src *image.YCbCr, sr image.Rectangle) {
	dr = dr.Intersect(dst.Rect)
	sr = sr.Intersect(src.Rect)
	if dr.Empty() || sr.Empty() {
		return
	}
	ow, oh := dr.Dx(), dr.Dy()
	var tbuf [256]ycTap
	var ybuf, cbuf [2][256]uint32
	var xs []ycTap
	var ycache, ccache [2][]uint32
	if ow <= 256 {
		xs = tbuf[:ow]
		ycache[0], ycache[1] = ybuf[0][:ow], ybuf[1][:ow]
		ccache[0], ccache[1] = cbuf[0][:ow], cbuf[1][:ow]
	} else {
		xs = make([]ycTap, ow)
		for i := range ycache {
			ycache[i], ccache[i] = make([]uint32, ow), make([]uint32, ow)
		}
	}
	var t [3]int32
	for o := range xs {
		taps1(t[:], sr.Dx(), ow, o)
		a, b := sr.Min.X+int(t[0]), sr.Min.X+int(t[1])
		xs[o] = ycTap{
			y0: int32(a - src.Rect.Min.X), y1: int32(b - src.Rect.Min.X),
			c0: int32(a/2 - src.Rect.Min.X/2), c1: int32(b/2 - src.Rect.Min.X/2),
			w: uint32(t[2]),
		}
	}
	cw, _ := yuv.ChromaSize(src.Rect)
	w := src.Rect.Dx()
	// Rows live in the cache slot of their parity, so a row shared by
	// consecutive output rows is interpolated once. Chroma rows are cached
	// by chroma row: two source rows share one.
	cachedY, cachedC := [2]int{-1, -1}, [2]int{-1, -1}
	row := func(sy int) (yslot, cslot int) {
		ay := sr.Min.Y + sy
		yslot = sy & 1
		if cachedY[yslot] != sy {
			o := (ay - src.Rect.Min.Y) * src.YStride
			horizontalY(ycache[yslot], src.Y[o:o+w], xs)
			cachedY[yslot] = sy
		}
		cy := ay/2 - src.Rect.Min.Y/2
		cslot = cy & 1
		if cachedC[cslot] != cy {
			o := cy * src.CStride
			horizontalC(ccache[cslot], src.Cb[o:o+cw], src.Cr[o:o+cw], xs)
			cachedC[cslot] = cy
		}
		return yslot, cslot
	}
	var ytap [3]int32
	for oy := 0; oy < oh; oy++ {
		taps1(ytap[:], sr.Dy(), oh, oy)
		y0, y1, wy := int(ytap[0]), int(ytap[1]), uint32(ytap[2])
		if y1 == y0 {
			wy = 0
		}
		ys0, cs0 := row(y0)
		ys1, cs1 := ys0, cs0
		if wy != 0 {
			ys1, cs1 = row(y1)
		}
		d := dst.PixOffset(dr.Min.X, dr.Min.Y+oy)
		verticalYCbCr(dst.Pix[d:d+4*ow], ycache[ys0], ccache[cs0], ycache[ys1], ccache[cs1], wy)
	}
}

// horizontalY interpolates one luma row into ys with 8 fractional bits.
func horizontalY(ys []uint32, yrow []byte, xs []ycTap) {
	ys = ys[:len(xs)]
	for x := range xs {
		t := &xs[x]
		ys[x] = uint32(yrow[t.y0])*(256-t.w) + uint32(yrow[t.y1])*t.w
	}
}

// horizontalC interpolates one chroma row: Cb and Cr with 8 fractional
// bits into the low and high 16-bit lanes of cs (with weights summing to
// 256 a lane holds at most 255·256).
func horizontalC(cs []uint32, cbrow, crrow []byte, xs []ycTap) {
	cs = cs[:len(xs)]
	for x := range xs {
		t := &xs[x]
		a := uint32(cbrow[t.c0]) | uint32(crrow[t.c0])<<16
		b := uint32(cbrow[t.c1]) | uint32(crrow[t.c1])<<16
		cs[x] = a*(256-t.w) + b*t.w
	}
}

// verticalYCbCr blends two interpolated rows with weight w/256 on the
// second and converts to RGBA. Luma keeps the 16 fractional bits
// color.YCbCrToRGB computes in, chroma 7 (what keeps its products in 32
// bits); with whole-number inputs (weights 0) the result is exactly that
// function's.
func verticalYCbCr(out []byte, y0, c0, y1, c1 []uint32, w uint32) {
	n := len(y0)
	out = out[:4*n]
	y1, c0, c1 = y1[:n], c0[:n], c1[:n]
	w0 := 256 - w
	for x := 0; x < n; x++ {
		yv := int32(y0[x]*w0 + y1[x]*w)
		ca, cb := c0[x], c1[x]
		cbv := int32(((ca&0xFFFF)*w0+(cb&0xFFFF)*w)>>9) - 128<<7
		crv := int32(((ca>>16)*w0+(cb>>16)*w)>>9) - 128<<7
		// y·0x10101 for a whole y, as color.YCbCrToRGB scales luma.
		yy := yv + yv>>8 + yv>>16
		r := yy + (91881*crv)>>7
		g := yy - (22554*cbv+46802*crv)>>7
		b := yy + (116130*cbv)>>7
		p := (*[4]byte)(out[4*x : 4*x+4])
		p[0], p[1], p[2], p[3] = clip(r), clip(g), clip(b), 0xFF
	}
}

// clip turns a 16.16 fixed-point channel into 0–255, truncating and
// clamping like color.YCbCrToRGB.
func clip(v int32) uint8 {
	if uint32(v)&0xFF000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
