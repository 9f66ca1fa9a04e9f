// Package resample scales pictures bilinearly in fixed point: RGBA to RGBA,
// and 4:2:0 YCbCr analysis frames to RGBA with the colour conversion folded in.
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
//
// It runs separably: each needed source row is interpolated horizontally
// once into a row cache, and output rows blend two cached rows.
func Bilinear(dst *image.RGBA, dr image.Rectangle, src *image.RGBA, sr image.Rectangle) {
	dr = dr.Intersect(dst.Rect)
	sr = sr.Intersect(src.Rect)
	if dr.Empty() || sr.Empty() {
		return
	}
	ow, oh := dr.Dx(), dr.Dy()
	var xbuf [3 * 256]int32
	var cbuf [2][256]uint32
	var xs []int32
	var cache [2][]uint32
	if ow <= 256 {
		xs = xbuf[:3*ow]
		cache[0], cache[1] = cbuf[0][:ow], cbuf[1][:ow]
	} else {
		xs = make([]int32, 3*ow)
		cache[0], cache[1] = make([]uint32, ow), make([]uint32, ow)
	}
	taps(xs, sr.Dx(), ow)
	// Column taps become byte offsets into a source row. When the source is
	// at least two pixels wide, a tap on the last pixel becomes full weight
	// on the right of the last pair, so that every tap reads two adjacent
	// pixels with one 64-bit load.
	base := (sr.Min.X - src.Rect.Min.X) * 4
	pairs := sr.Dx() >= 2
	for i := 0; i < ow; i++ {
		if pairs && xs[3*i] == xs[3*i+1] {
			xs[3*i], xs[3*i+2] = xs[3*i]-1, 256
		}
		xs[3*i] = int32(base) + 4*xs[3*i]
		xs[3*i+1] = int32(base) + 4*xs[3*i+1]
	}
	rowLen := src.Rect.Dx() * 4
	rowAt := func(sy int) []byte {
		o := (sr.Min.Y - src.Rect.Min.Y + sy) * src.Stride
		return src.Pix[o : o+rowLen]
	}
	// Each source row lives in the cache slot of its parity, so a row
	// shared by consecutive output rows is interpolated only once.
	cached := [2]int{-1, -1}
	var ytap [3]int32
	for oy := 0; oy < oh; oy++ {
		taps1(ytap[:], sr.Dy(), oh, oy)
		y0, y1, wy := int(ytap[0]), int(ytap[1]), uint32(ytap[2])
		if cached[y0&1] != y0 {
			horizontal(cache[y0&1], rowAt(y0), xs, pairs)
			cached[y0&1] = y0
		}
		r0 := cache[y0&1]
		d := dst.PixOffset(dr.Min.X, dr.Min.Y+oy)
		out := dst.Pix[d : d+ow*4]
		if wy == 0 || y1 == y0 {
			for x, v := range r0 {
				binary.LittleEndian.PutUint32(out[4*x:], v)
			}
			continue
		}
		if cached[y1&1] != y1 {
			horizontal(cache[y1&1], rowAt(y1), xs, pairs)
			cached[y1&1] = y1
		}
		vertical(out, r0, cache[y1&1], wy)
	}
}

const mask = 0x00FF00FF

// horizontal interpolates one source row into packed output pixels. Two
// channels share a 32-bit word (R,B and G,A); with 8-bit weights summing
// to 256 each 16-bit lane holds at most 255·256+128.
func horizontal(out []uint32, row []byte, xs []int32, pairs bool) {
	xs = xs[:3*len(out)]
	if !pairs {
		for x := range out {
			t := xs[3*x : 3*x+3 : 3*x+3]
			a := binary.LittleEndian.Uint32(row[t[0]:])
			b := binary.LittleEndian.Uint32(row[t[1]:])
			w := uint32(t[2])
			out[x] = lerp(a&mask, b&mask, w) | lerp(a>>8&mask, b>>8&mask, w)<<8
		}
		return
	}
	for x := range out {
		t := xs[3*x : 3*x+3 : 3*x+3]
		v := binary.LittleEndian.Uint64(row[t[0] : t[0]+8])
		a, b := uint32(v), uint32(v>>32)
		w := uint32(t[2])
		out[x] = lerp(a&mask, b&mask, w) | lerp(a>>8&mask, b>>8&mask, w)<<8
	}
}

// vertical blends two interpolated rows into out (RGBA bytes).
func vertical(out []byte, r0, r1 []uint32, w uint32) {
	r1 = r1[:len(r0)]
	out = out[:4*len(r0)]
	for x, a := range r0 {
		b := r1[x]
		binary.LittleEndian.PutUint32(out[4*x:], lerp(a&mask, b&mask, w)|lerp(a>>8&mask, b>>8&mask, w)<<8)
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
