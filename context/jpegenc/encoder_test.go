package jpegenc_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/jpegenc"
)

// testPicture is a textured scene with a saturated square, cropped to odd
// sizes to exercise partial macroblocks.
func testPicture(w, h int) *image.RGBA {
	sc := contexttest.Scene{W: w, H: h, N: 1, Square: min(w, h) / 3,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(w/4, h/4)}
	img := sc.RGBAFrames()[0]
	// A smooth colour ramp over the left third adds low-frequency chroma.
	for y := 0; y < h; y++ {
		for x := 0; x < w/3; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x * 255 / max(1, w/3))
			img.Pix[i+2] = uint8(y * 255 / max(1, h))
		}
	}
	return img
}

// psnr compares the RGB channels of two same-size pictures.
func psnr(t *testing.T, a *image.RGBA, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("size %v vs %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var se float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			c1 := a.RGBAAt(ab.Min.X+x, ab.Min.Y+y)
			r, g, bl, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(c1.R) - float64(r>>8), float64(c1.G) - float64(g>>8), float64(c1.B) - float64(bl>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*ab.Dx()*ab.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// TestRoundTrip checks that image/jpeg decodes our stream to the same size
// and that the fidelity is within a fraction of a dB of image/jpeg's own
// encoder at the same quality.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		w, h, q int
	}{
		{"frame q85", 640, 360, 85},
		{"query q85", 224, 224, 85},
		{"odd size q85", 203, 117, 85},
		{"tiny q50", 5, 3, 50},
		{"q100", 96, 64, 100},
		{"q1", 96, 64, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := testPicture(tc.w, tc.h)
			enc, err := jpegenc.NewEncoder(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			out, err := enc.Encode(nil, img)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("image/jpeg cannot decode our stream: %v", err)
			}
			var ref bytes.Buffer
			if err := jpeg.Encode(&ref, img, &jpeg.Options{Quality: tc.q}); err != nil {
				t.Fatal(err)
			}
			refLen := ref.Len()
			refDec, err := jpeg.Decode(&ref)
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := psnr(t, img, dec), psnr(t, img, refDec)
			t.Logf("PSNR ours %.2f dB (%d bytes), image/jpeg %.2f dB (%d bytes)", ours, len(out), theirs, refLen)
			if ours < theirs-0.5 {
				t.Errorf("PSNR %.2f dB, image/jpeg reaches %.2f dB", ours, theirs)
			}
		})
	}
}

// BenchmarkEncode encodes a 640×360 frame with this package.
func BenchmarkEncode(b *testing.B) {
	img := testPicture(640, 360)
	enc, err := jpegenc.NewEncoder(85)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = enc.Encode(buf[:0], img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibEncode is BenchmarkEncode with image/jpeg, for comparison.
func BenchmarkStdlibEncode(b *testing.B) {
	img := testPicture(640, 360)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzEncode encodes pictures of random size, content and quality; image/jpeg
// must decode every stream to the same size.
func FuzzEncode(f *testing.F) {
	f.Add(uint16(16), uint16(16), uint8(85), []byte{0, 255, 17})
	f.Add(uint16(1), uint16(1), uint8(1), []byte{255})
	f.Add(uint16(33), uint16(7), uint8(100), []byte{255, 255, 255, 0, 0, 0})
	f.Fuzz(func(t *testing.T, w, h uint16, q uint8, data []byte) {
		w, h = w%300, h%300
		img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
		for i := range img.Pix {
			if len(data) > 0 {
				img.Pix[i] = data[i%len(data)] + uint8(i/len(data))
			}
		}
		enc, err := jpegenc.NewEncoder(int(q))
		if err != nil {
			if q >= 1 && q <= 100 {
				t.Fatalf("quality %d rejected: %v", q, err)
			}
			return
		}
		out, err := enc.Encode(nil, img)
		if w == 0 || h == 0 {
			if err == nil {
				t.Fatal("empty picture encoded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
			t.Fatal(err)
		}
		if cfg.Width != int(w) || cfg.Height != int(h) {
			t.Fatalf("decoded %dx%d, want %dx%d", cfg.Width, cfg.Height, w, h)
		}
	})
}
