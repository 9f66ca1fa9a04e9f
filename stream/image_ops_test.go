package stream

import (
	"image"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

// patterned is a w×h 4:2:0 image whose every sample differs from its
// neighbours, so that a misplaced one shows.
func patterned(w, h int) *image.YCbCr {
	m := decode.NewImage(w, h)
	for i := range m.Y {
		m.Y[i] = byte(i * 7)
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = byte(i*3), byte(i*5+1)
	}
	return m
}

// TestRotateYCbCr: a quarter turn moves the top-left corner to the
// top-right, and four of them (odd sizes included) give the picture back.
func TestRotateYCbCr(t *testing.T) {
	src := patterned(5, 3)
	r := rotateYCbCr(src, 90, decode.NewImage)
	if r.Rect.Dx() != 3 || r.Rect.Dy() != 5 {
		t.Fatalf("90°: %v", r.Rect)
	}
	if got := r.YCbCrAt(2, 0); got != src.YCbCrAt(0, 0) {
		t.Fatalf("90°: the top-right pixel is %v, want the old top-left %v", got, src.YCbCrAt(0, 0))
	}
	if got := rotateYCbCr(src, 180, decode.NewImage).YCbCrAt(4, 2); got != src.YCbCrAt(0, 0) {
		t.Fatalf("180°: the bottom-right pixel is %v, want the old top-left %v", got, src.YCbCrAt(0, 0))
	}
	if got := rotateYCbCr(src, 270, decode.NewImage).YCbCrAt(0, 4); got != src.YCbCrAt(0, 0) {
		t.Fatalf("270°: the bottom-left pixel is %v, want the old top-left %v", got, src.YCbCrAt(0, 0))
	}
	back := src
	for range 4 {
		back = rotateYCbCr(back, 90, decode.NewImage)
	}
	for y := range 3 {
		for x := range 5 {
			if back.YCbCrAt(x, y) != src.YCbCrAt(x, y) {
				t.Fatalf("four quarter turns: (%d,%d) is %v, was %v", x, y, back.YCbCrAt(x, y), src.YCbCrAt(x, y))
			}
		}
	}
}

// TestResizeYCbCr: a flat picture stays flat at any size, the same size
// is a copy, and a left-to-right ramp stays a ramp.
func TestResizeYCbCr(t *testing.T) {
	flat := decode.NewImage(7, 5)
	for i := range flat.Y {
		flat.Y[i] = 200
	}
	for i := range flat.Cb {
		flat.Cb[i], flat.Cr[i] = 90, 160
	}
	for _, sz := range []image.Point{{3, 9}, {16, 10}, {1, 1}, {7, 5}} {
		dst := decode.NewImage(sz.X, sz.Y)
		resizeYCbCr(dst, flat)
		for y := range sz.Y {
			for x := range sz.X {
				if c := dst.YCbCrAt(x, y); c.Y != 200 || c.Cb != 90 || c.Cr != 160 {
					t.Fatalf("%v: (%d,%d) = %v, want the flat colour", sz, x, y, c)
				}
			}
		}
	}
	src := patterned(6, 4)
	same := decode.NewImage(6, 4)
	resizeYCbCr(same, src)
	for y := range 4 {
		for x := range 6 {
			if same.YCbCrAt(x, y) != src.YCbCrAt(x, y) {
				t.Fatalf("same size: (%d,%d) = %v, want %v", x, y, same.YCbCrAt(x, y), src.YCbCrAt(x, y))
			}
		}
	}
	ramp := decode.NewImage(8, 2)
	for y := range 2 {
		for x := range 8 {
			ramp.Y[y*ramp.YStride+x] = byte(x * 30)
		}
	}
	wide := decode.NewImage(16, 2)
	resizeYCbCr(wide, ramp)
	for x := 1; x < 16; x++ {
		if wide.Y[x] < wide.Y[x-1] {
			t.Fatalf("ramp resized: %v is not rising", wide.Y[:16])
		}
	}
	if wide.Y[0] != 0 || wide.Y[15] != 210 {
		t.Fatalf("ramp resized: ends %d and %d, want 0 and 210", wide.Y[0], wide.Y[15])
	}
}

// TestMirrorYCbCr: the left column becomes the right one, and twice is the
// picture again (odd widths included).
func TestMirrorYCbCr(t *testing.T) {
	src := patterned(5, 3)
	m := patterned(5, 3)
	mirrorYCbCr(m)
	for y := range 3 {
		for x := range 5 {
			if m.YCbCrAt(4-x, y).Y != src.YCbCrAt(x, y).Y {
				t.Fatalf("(%d,%d) luma %d, want %d from (%d,%d)", 4-x, y, m.YCbCrAt(4-x, y).Y, src.YCbCrAt(x, y).Y, x, y)
			}
		}
	}
	mirrorYCbCr(m)
	for y := range 3 {
		for x := range 5 {
			if m.YCbCrAt(x, y) != src.YCbCrAt(x, y) {
				t.Fatalf("mirrored twice: (%d,%d) is %v, was %v", x, y, m.YCbCrAt(x, y), src.YCbCrAt(x, y))
			}
		}
	}
}
