package stream

import (
	"image"
	"slices"
)

// chromaSize is the size of a 4:2:0 image's chroma planes.
func chromaSize(r image.Rectangle) (int, int) {
	return (r.Dx() + 1) / 2, (r.Dy() + 1) / 2
}

// rotateYCbCr turns a 4:2:0 image by a clockwise quarter turn (90, 180 or
// 270) into an image from alloc.
func rotateYCbCr(src *image.YCbCr, cw int, alloc func(w, h int) *image.YCbCr) *image.YCbCr {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if cw == 90 || cw == 270 {
		dw, dh = h, w
	}
	dst := alloc(dw, dh)
	turn := func(s []byte, ss int, d []byte, ds, sw, sh int) {
		for y := range sh {
			row := s[y*ss : y*ss+sw]
			for x, v := range row {
				switch cw {
				case 90:
					d[x*ds+(sh-1-y)] = v
				case 180:
					d[(sh-1-y)*ds+(sw-1-x)] = v
				case 270:
					d[(sw-1-x)*ds+y] = v
				}
			}
		}
	}
	turn(src.Y, src.YStride, dst.Y, dst.YStride, w, h)
	cw2, ch2 := chromaSize(src.Rect)
	turn(src.Cb, src.CStride, dst.Cb, dst.CStride, cw2, ch2)
	turn(src.Cr, src.CStride, dst.Cr, dst.CStride, cw2, ch2)
	return dst
}

// resizeYCbCr scales src into dst (both 4:2:0), bilinearly and without
// keeping the aspect: it only runs when an offline source changes size,
// between pictures of similar sizes, so it need be neither fast nor a
// good downscaler.
func resizeYCbCr(dst, src *image.YCbCr) {
	resizePlane(dst.Y, dst.YStride, dst.Rect.Dx(), dst.Rect.Dy(), src.Y, src.YStride, src.Rect.Dx(), src.Rect.Dy())
	dw, dh := chromaSize(dst.Rect)
	sw, sh := chromaSize(src.Rect)
	resizePlane(dst.Cb, dst.CStride, dw, dh, src.Cb, src.CStride, sw, sh)
	resizePlane(dst.Cr, dst.CStride, dw, dh, src.Cr, src.CStride, sw, sh)
}

// resizePlane samples src at the centre of each dst pixel, in 16.16 fixed
// point.
func resizePlane(d []byte, ds, dw, dh int, s []byte, ss, sw, sh int) {
	pos := func(i, dn, sn int) (int, int, int) {
		// Source coordinate of destination pixel i's centre.
		f := ((2*i+1)*sn<<16)/(2*dn) - 1<<15
		f = max(f, 0)
		i0 := min(f>>16, sn-1)
		return i0, min(i0+1, sn-1), f & 0xffff
	}
	for y := range dh {
		y0, y1, fy := pos(y, dh, sh)
		for x := range dw {
			x0, x1, fx := pos(x, dw, sw)
			a := int(s[y0*ss+x0])*(1<<16-fx) + int(s[y0*ss+x1])*fx
			b := int(s[y1*ss+x0])*(1<<16-fx) + int(s[y1*ss+x1])*fx
			v := (a>>8*(1<<16-fy) + b>>8*fy + 1<<23) >> 24
			d[y*ds+x] = uint8(v)
		}
	}
}

// mirrorYCbCr flips a 4:2:0 image left to right, in place.
func mirrorYCbCr(m *image.YCbCr) {
	flip := func(p []byte, stride, w, h int) {
		for y := range h {
			slices.Reverse(p[y*stride : y*stride+w])
		}
	}
	flip(m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy())
	cw, ch := chromaSize(m.Rect)
	flip(m.Cb, m.CStride, cw, ch)
	flip(m.Cr, m.CStride, cw, ch)
}
