package jpegenc_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/jpegenc"
)

// planePSNR compares one plane of two pictures over a's rectangle, reading
// both through their offset functions so that strides and origins may
// differ.
func planePSNR(a, b *image.YCbCr, plane int) float64 {
	var se float64
	n := 0
	r := a.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			bx, by := x-r.Min.X+b.Rect.Min.X, y-r.Min.Y+b.Rect.Min.Y
			var p, q uint8
			switch plane {
			case 0:
				p, q = a.Y[a.YOffset(x, y)], b.Y[b.YOffset(bx, by)]
			case 1:
				p, q = a.Cb[a.COffset(x, y)], b.Cb[b.COffset(bx, by)]
			default:
				p, q = a.Cr[a.COffset(x, y)], b.Cr[b.COffset(bx, by)]
			}
			d := float64(p) - float64(q)
			se += d * d
			n++
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(n)/se)
}

// maxLumaError is the largest |Y| difference between a and b.
func maxLumaError(a, b *image.YCbCr) int {
	worst := 0
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			p := int(a.Y[a.YOffset(a.Rect.Min.X+x, a.Rect.Min.Y+y)])
			q := int(b.Y[b.YOffset(b.Rect.Min.X+x, b.Rect.Min.Y+y)])
			worst = max(worst, p-q, q-p)
		}
	}
	return worst
}

// TestYCbCrRoundTrip encodes 4:2:0 pictures (odd sizes and odd origins
// included), decodes them with image/jpeg and compares the planes with the
// source. Per plane the PSNR must be within 0.5 dB of what image/jpeg's own
// encoder reaches on the same picture at the same quality (or above 50 dB);
// at quality 100
// the only loss left is the DCT's rounding, so luma must also be within 2
// levels of the source everywhere.
func TestYCbCrRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		w, h   int
		origin image.Point
		q      int
	}{
		{"frame q85", 640, 360, image.Point{}, 85},
		{"odd size q85", 203, 117, image.Point{}, 85},
		{"one partial macroblock q85", 17, 9, image.Point{}, 85},
		{"tiny q50", 5, 3, image.Point{}, 50},
		{"single pixel", 1, 1, image.Point{}, 85},
		{"odd origin q85", 99, 61, image.Pt(7, 3), 85},
		{"even origin q85", 64, 40, image.Pt(10, 4), 85},
		{"q100", 96, 64, image.Point{}, 100},
		{"odd size q100", 37, 23, image.Point{}, 100},
		{"q1", 96, 64, image.Point{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := contexttest.ToYCbCr(testPicture(tc.w+tc.origin.X+3, tc.h+tc.origin.Y+3))
			img := full.SubImage(image.Rectangle{Min: tc.origin, Max: tc.origin.Add(image.Pt(tc.w, tc.h))}).(*image.YCbCr)
			enc, err := jpegenc.NewEncoder(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			out, err := enc.EncodeYCbCr(nil, img)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("image/jpeg cannot decode our stream: %v", err)
			}
			got, ok := dec.(*image.YCbCr)
			if !ok || got.SubsampleRatio != image.YCbCrSubsampleRatio420 || got.Rect.Size() != image.Pt(tc.w, tc.h) {
				t.Fatalf("decoded %T %v, want a %dx%d 4:2:0 *image.YCbCr", dec, dec.Bounds(), tc.w, tc.h)
			}
			var ref bytes.Buffer
			if err := jpeg.Encode(&ref, img, &jpeg.Options{Quality: tc.q}); err != nil {
				t.Fatal(err)
			}
			refImg, err := jpeg.Decode(bytes.NewReader(ref.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			refDec := refImg.(*image.YCbCr)
			for p, name := range []string{"Y", "Cb", "Cr"} {
				ours, theirs := planePSNR(img, got, p), planePSNR(img, refDec, p)
				t.Logf("%s PSNR ours %.2f dB (%d bytes), image/jpeg %.2f dB (%d bytes)", name, ours, len(out), theirs, ref.Len())
				// Near-lossless (q100) both sit around 60 dB, where a few
				// rounding flips move the figure by a dB; above 50 dB the
				// error is far below one level either way.
				if ours < theirs-0.5 && ours < 50 {
					t.Errorf("%s PSNR %.2f dB, image/jpeg reaches %.2f dB", name, ours, theirs)
				}
			}
			if tc.q == 100 {
				if e := maxLumaError(img, got); e > 2 {
					t.Errorf("luma off by up to %d at quality 100", e)
				}
			}
		})
	}
}

// TestYCbCrMatchesRGBAPath: a 4:2:0 picture and its RGBA conversion encode
// to nearly the same decoded luma — the two entry points share tables and
// coder, only the input stage differs.
func TestYCbCrMatchesRGBAPath(t *testing.T) {
	rgba := testPicture(160, 96)
	img := contexttest.ToYCbCr(rgba)
	enc, err := jpegenc.NewEncoder(85)
	if err != nil {
		t.Fatal(err)
	}
	a, err := enc.EncodeYCbCr(nil, img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := enc.Encode(nil, rgba)
	if err != nil {
		t.Fatal(err)
	}
	da, err := jpeg.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	db, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p := planePSNR(da.(*image.YCbCr), db.(*image.YCbCr), 0); p < 40 {
		t.Errorf("luma of the two paths differs: PSNR %.2f dB", p)
	}
}

func TestYCbCrErrors(t *testing.T) {
	enc, err := jpegenc.NewEncoder(85)
	if err != nil {
		t.Fatal(err)
	}
	short := image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)
	short.Y = short.Y[:100]
	for _, tc := range []struct {
		name string
		img  *image.YCbCr
	}{
		{"nil", nil},
		{"empty", image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420)},
		{"4:4:4", image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444)},
		{"short Y plane", short},
		{"too wide", &image.YCbCr{Rect: image.Rect(0, 0, 70000, 1), SubsampleRatio: image.YCbCrSubsampleRatio420,
			Y: make([]byte, 70000), Cb: make([]byte, 35000), Cr: make([]byte, 35000), YStride: 70000, CStride: 35000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := enc.EncodeYCbCr(dst, tc.img)
			if err == nil {
				t.Fatal("encoded")
			}
			if string(out) != "keep" {
				t.Errorf("dst changed to %d bytes", len(out))
			}
		})
	}
}

// BenchmarkEncodeYCbCr encodes a 640×360 4:2:0 frame, the key frame's path.
func BenchmarkEncodeYCbCr(b *testing.B) {
	img := contexttest.ToYCbCr(testPicture(640, 360))
	enc, err := jpegenc.NewEncoder(85)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = enc.EncodeYCbCr(buf[:0], img); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzEncodeYCbCr encodes 4:2:0 pictures of random size, origin, content
// and quality; image/jpeg must decode every stream to the same size.
func FuzzEncodeYCbCr(f *testing.F) {
	f.Add(uint16(16), uint16(16), uint8(1), uint8(0), uint8(85), []byte{0, 255, 17})
	f.Add(uint16(1), uint16(1), uint8(0), uint8(1), uint8(1), []byte{255})
	f.Add(uint16(33), uint16(7), uint8(3), uint8(5), uint8(100), []byte{255, 255, 255, 0, 0, 0})
	f.Fuzz(func(t *testing.T, w, h uint16, ox, oy, q uint8, data []byte) {
		w, h = w%300, h%300
		r := image.Rect(int(ox%8), int(oy%8), int(ox%8)+int(w), int(oy%8)+int(h))
		img := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		for i, p := range [][]byte{img.Y, img.Cb, img.Cr} {
			for j := range p {
				if len(data) > 0 {
					p[j] = data[(j+i)%len(data)] + uint8(j/len(data))
				}
			}
		}
		enc, err := jpegenc.NewEncoder(int(q))
		if err != nil {
			return // FuzzEncode covers the quality check
		}
		out, err := enc.EncodeYCbCr(nil, img)
		if w == 0 || h == 0 {
			if err == nil {
				t.Fatal("empty picture encoded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		dec, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if dec.Bounds().Size() != r.Size() {
			t.Fatalf("decoded %v, want %v", dec.Bounds().Size(), r.Size())
		}
	})
}
