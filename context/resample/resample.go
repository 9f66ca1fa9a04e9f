// Package resample scales *image.RGBA pictures bilinearly in fixed point.
// It exists because the context builders resample a few hundred thousand
// pixels per segment under a millisecond budget; golang.org/x/image/draw's
// ApproxBiLinear gives the same kind of result several times slower.
package resample

import (
	"encoding/binary"
	"image"
)

// Bilinear scales the sr part of src onto the dr part of dst with bilinear
// interpolation, pixel centres aligned (the half-pixel convention of
// OpenCV's resize): output pixel o samples source position
// (o+0.5)·in/out − 0.5, clamped to the source rectangle. Weights have 8
// fractional bits. Both rectangles are clipped to their images; nothing is
// drawn if either ends up empty. Like ApproxBiLinear it reads only the four
// nearest source pixels, so strong downscaling aliases.
func Bilinear(dst *image.RGBA, dr image.Rectangle, src *image.RGBA, sr image.Rectangle) {
	dr = dr.Intersect(dst.Rect)
	sr = sr.Intersect(src.Rect)
	if dr.Empty() || sr.Empty() {
		return
	}
	ow, oh := dr.Dx(), dr.Dy()
	var xbuf [3 * 512]int32
	var xs []int32
	if 3*ow <= len(xbuf) {
		xs = xbuf[:3*ow]
	} else {
		xs = make([]int32, 3*ow)
	}
	taps(xs, sr.Dx(), ow)
	// Column taps become byte offsets into a source row.
	base := (sr.Min.X - src.Rect.Min.X) * 4
	for i := 0; i < ow; i++ {
		xs[3*i] = int32(base) + 4*xs[3*i]
		xs[3*i+1] = int32(base) + 4*xs[3*i+1]
	}
	var ytap [3]int32
	for oy := 0; oy < oh; oy++ {
		taps1(ytap[:], sr.Dy(), oh, oy)
		r0 := (sr.Min.Y - src.Rect.Min.Y + int(ytap[0])) * src.Stride
		r1 := (sr.Min.Y - src.Rect.Min.Y + int(ytap[1])) * src.Stride
		row0 := src.Pix[r0 : r0+src.Rect.Dx()*4]
		row1 := src.Pix[r1 : r1+src.Rect.Dx()*4]
		wy := uint32(ytap[2])
		d := dst.PixOffset(dr.Min.X, dr.Min.Y+oy)
		out := dst.Pix[d : d+ow*4]
		for ox := 0; ox < ow; ox++ {
			x0, x1, wx := xs[3*ox], xs[3*ox+1], uint32(xs[3*ox+2])
			a := binary.LittleEndian.Uint32(row0[x0:])
			b := binary.LittleEndian.Uint32(row0[x1:])
			c := binary.LittleEndian.Uint32(row1[x0:])
			e := binary.LittleEndian.Uint32(row1[x1:])
			// Two channels per 32-bit word (R,B and G,A), 8-bit weights that
			// sum to 256: each 16-bit lane holds at most 255·256+128.
			const m = 0x00FF00FF
			trb := lerp(a&m, b&m, wx)
			tga := lerp(a>>8&m, b>>8&m, wx)
			brb := lerp(c&m, e&m, wx)
			bga := lerp(c>>8&m, e>>8&m, wx)
			v := lerp(trb, brb, wy) | lerp(tga, bga, wy)<<8
			binary.LittleEndian.PutUint32(out[ox*4:], v)
		}
	}
}

// lerp blends two packed pairs of 8-bit lanes with weight w/256 on q.
func lerp(p, q, w uint32) uint32 {
	return (p*(256-w) + q*w + 0x00800080) >> 8 & 0x00FF00FF
}

// taps fills dst (3 values per output sample: low index, high index,
// weight of high in 1/256) for resampling in samples to out samples.
func taps(dst []int32, in, out int) {
	for o := 0; o < out; o++ {
		taps1(dst[3*o:3*o+3], in, out, o)
	}
}

func taps1(dst []int32, in, out, o int) {
	// Fixed point with 8 fractional bits: p = ((2o+1)·in − out)·128/out.
	p := ((2*o+1)*in - out) * 128 / out
	if p < 0 {
		p = 0
	}
	lo := p >> 8
	w := p & 255
	if lo >= in-1 {
		lo, w = in-1, 0
	}
	hi := min(lo+1, in-1)
	dst[0], dst[1], dst[2] = int32(lo), int32(hi), int32(w)
}
