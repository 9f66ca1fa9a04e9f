package relevance_test

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/relevance"
)

// uniformRGBA returns a w×h RGBA picture of grey level v.
func uniformRGBA(w, h int, v uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
	}
	return img
}

// uniform returns a w×h frame of grey level v (full-range Y = v).
func uniform(w, h int, v uint8) *image.YCbCr {
	return contexttest.ToYCbCr(uniformRGBA(w, h, v))
}

const eps = 1e-9

// squareFrames are five 80×80 frames of grey 100, each with an 8×8 square of
// grey 200 at a different place. With GridSize 80 every cell is one pixel,
// so the median background is exactly 100 everywhere.
func squareFrames() ([]*image.YCbCr, []image.Rectangle) {
	var frames []*image.YCbCr
	var squares []image.Rectangle
	for i := 0; i < 5; i++ {
		f := uniformRGBA(80, 80, 100)
		r := image.Rect(8+12*i, 8, 16+12*i, 16)
		contexttest.Fill(f, r, color.RGBA{200, 200, 200, 255})
		frames = append(frames, contexttest.ToYCbCr(f))
		squares = append(squares, r)
	}
	return frames, squares
}

func TestMotionHandComputed(t *testing.T) {
	frames, squares := squareFrames()
	m := relevance.NewMotion(relevance.MotionConfig{GridSize: 80})
	seg, err := m.Prepare(frames, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	defer relevance.Release(seg)
	sq := squares[2]
	for _, tc := range []struct {
		name string
		i    int
		size int
		r    image.Rectangle
		want float64
	}{
		// The square differs by 100 over 64 of 6400 pixels.
		{"frame", -1, 0, image.Rectangle{}, 100 * 64.0 / 6400},
		{"exactly the square", 2, 80, sq, 100},
		{"square in 240 coordinates", 2, 240, image.Rect(sq.Min.X*3, sq.Min.Y*3, sq.Max.X*3, sq.Max.Y*3), 100},
		{"square plus as much background", 2, 80, image.Rect(sq.Min.X, sq.Min.Y, sq.Max.X+8, sq.Max.Y), 50},
		// In 160 coordinates x ∈ [2·sq.Min.X−1, 2·sq.Min.X+1) covers half
		// a background cell and half a square cell.
		{"fractional cell edges", 2, 160, image.Rect(2*sq.Min.X-1, 2*sq.Min.Y, 2*sq.Min.X+1, 2*sq.Max.Y), 50},
		{"another frame's square", 1, 80, sq, 0},
		{"background", 2, 80, image.Rect(0, 40, 80, 80), 0},
		{"clipped to the frame", 2, 80, image.Rect(-100, -100, 100, 16), 100 * 64.0 / (80 * 16)},
		{"outside", 2, 80, image.Rect(90, 90, 100, 100), 0},
		{"bad index", 7, 80, sq, 0},
		{"bad size", 2, 0, sq, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got float64
			if tc.i < 0 {
				got = seg.Frame(2)
			} else {
				got = seg.Region(tc.i, tc.size, tc.r)
			}
			if math.Abs(got-tc.want) > eps {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if seg.Frame(-1) != 0 || seg.Frame(5) != 0 {
		t.Error("out-of-range frames should rate 0")
	}
}

// TestMotionMedian checks the background on uniform frames: the median of
// an odd count, the rounded mean of the two middle values for an even one.
func TestMotionMedian(t *testing.T) {
	for _, tc := range []struct {
		name   string
		levels []uint8
		bg     float64
	}{
		{"odd", []uint8{10, 50, 20}, 20},
		{"even", []uint8{40, 10, 30, 20}, 25},
		{"even rounds up", []uint8{10, 20, 11, 40}, 16}, // (11+20+1)/2
		{"static", []uint8{77, 77, 77, 77}, 77},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var frames []*image.YCbCr
			for _, v := range tc.levels {
				frames = append(frames, uniform(32, 16, v))
			}
			seg, err := relevance.NewMotion(relevance.MotionConfig{}).Prepare(frames, "")
			if err != nil {
				t.Fatal(err)
			}
			defer relevance.Release(seg)
			for i, v := range tc.levels {
				want := math.Abs(float64(v) - tc.bg)
				if got := seg.Frame(i); math.Abs(got-want) > eps {
					t.Errorf("frame %d: %v, want %v", i, got, want)
				}
				if got := seg.Region(i, 240, image.Rect(13, 27, 101, 200)); math.Abs(got-want) > eps {
					t.Errorf("frame %d region: %v, want %v", i, got, want)
				}
			}
		})
	}
}

// TestMotionScene checks the realistic case: a textured background and a
// square moving across it. Only the windows the square touches move: on
// the square the score reaches at least half the mean luma contrast
// between the square and the background it covers, above it nothing.
func TestMotionScene(t *testing.T) {
	sc := contexttest.Scene{W: 640, H: 360, N: 24, Square: 40,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(100, 200), Step: image.Pt(12, 0)}
	frames := sc.Frames()
	bg := contexttest.ToYCbCr(contexttest.Background(sc.W, sc.H))
	sqY, _, _ := color.RGBToYCbCr(sc.Color.R, sc.Color.G, sc.Color.B)
	seg, err := relevance.NewMotion(relevance.MotionConfig{}).Prepare(frames, "")
	if err != nil {
		t.Fatal(err)
	}
	defer relevance.Release(seg)
	for _, i := range []int{0, 11, 23} {
		sq := sc.SquareAt(i)
		// The square in 240 working coordinates (x·240/640, y·240/360).
		w := image.Rect(sq.Min.X*3/8, sq.Min.Y*2/3, sq.Max.X*3/8, sq.Max.Y*2/3)
		on := seg.Region(i, 240, w)
		off := seg.Region(i, 240, w.Add(image.Pt(0, -60)))
		var contrast float64
		for y := sq.Min.Y; y < sq.Max.Y; y++ {
			for x := sq.Min.X; x < sq.Max.X; x++ {
				contrast += math.Abs(float64(sqY) - float64(bg.YCbCrAt(x, y).Y))
			}
		}
		contrast /= float64(sq.Dx() * sq.Dy())
		if on < contrast/2 || off > 1 {
			t.Errorf("frame %d: on the square %.1f (contrast %.1f), above it %.1f", i, on, contrast, off)
		}
		if seg.Frame(i) <= 0 {
			t.Errorf("frame %d rates %v", i, seg.Frame(i))
		}
	}
}

func TestMotionSubImages(t *testing.T) {
	frames, _ := squareFrames()
	// The same pictures as sub-images of larger canvases with another origin
	// and stride must rate the same.
	// The odd origin also puts other chroma under each pixel: motion reads
	// luma only, so that must not matter.
	var subs []*image.YCbCr
	for _, f := range frames {
		big := uniform(120, 100, 0)
		off := image.Pt(17, 9)
		for y := 0; y < 80; y++ {
			copy(big.Y[big.YOffset(off.X, off.Y+y):], f.Y[f.YOffset(0, y):f.YOffset(0, y)+80])
		}
		subs = append(subs, big.SubImage(image.Rectangle{Min: off, Max: off.Add(image.Pt(80, 80))}).(*image.YCbCr))
	}
	m := relevance.NewMotion(relevance.MotionConfig{GridSize: 80})
	a, err := m.Prepare(frames, "")
	if err != nil {
		t.Fatal(err)
	}
	// Keep a; release nothing so the two do not share buffers.
	b, err := m.Prepare(subs, "")
	if err != nil {
		t.Fatal(err)
	}
	r := image.Rect(30, 20, 110, 70)
	for i := range frames {
		if a.Frame(i) != b.Frame(i) || a.Region(i, 240, r) != b.Region(i, 240, r) {
			t.Errorf("frame %d: %v/%v vs %v/%v", i, a.Frame(i), a.Region(i, 240, r), b.Frame(i), b.Region(i, 240, r))
		}
	}
}

// TestMotionPoolReuse prepares different segments on recycled buffers.
func TestMotionPoolReuse(t *testing.T) {
	m := relevance.NewMotion(relevance.MotionConfig{})
	frames, _ := squareFrames()
	for round := 0; round < 3; round++ {
		seg, err := m.Prepare(frames, "")
		if err != nil {
			t.Fatal(err)
		}
		want := 100 * 64.0 / 6400
		if round == 1 {
			// A different size in between must not leave stale state.
			other := []*image.YCbCr{uniform(20, 60, 5), uniform(20, 60, 5), uniform(20, 60, 5)}
			seg2, err := m.Prepare(other, "")
			if err != nil {
				t.Fatal(err)
			}
			if seg2.Frame(0) != 0 {
				t.Errorf("static frames rate %v", seg2.Frame(0))
			}
			relevance.Release(seg2)
		}
		// GridSize 80 default on an 80×80 frame: exact again.
		if got := seg.Frame(0); math.Abs(got-want) > eps {
			t.Errorf("round %d: %v, want %v", round, got, want)
		}
		relevance.Release(seg)
	}
}

func TestMotionErrors(t *testing.T) {
	m := relevance.NewMotion(relevance.MotionConfig{})
	for _, tc := range []struct {
		name   string
		frames []*image.YCbCr
		want   string // in the error
	}{
		{"none", nil, "no frames"},
		{"nil frame", []*image.YCbCr{uniform(4, 4, 0), nil}, "frame 1 is nil"},
		{"empty frame", []*image.YCbCr{image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420)}, "frame 0 is empty"},
		{"size mismatch", []*image.YCbCr{uniform(4, 4, 0), uniform(4, 5, 0)}, "frame 1 is 4x5"},
		{"4:4:4", []*image.YCbCr{uniform(4, 4, 0), image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio444)}, "frame 1 has subsampling"},
		{"short Y", []*image.YCbCr{withPlanes(uniform(6, 4, 0), 23, 6, 6)}, "frame 0 has a Y plane"},
		{"short Cr", []*image.YCbCr{uniform(6, 4, 0), withPlanes(uniform(6, 4, 0), 24, 6, 5)}, "frame 1 has Cb/Cr planes"},
		{"Y stride below width", []*image.YCbCr{withStride(uniform(6, 4, 0), 5, 3)}, "frame 0 has a Y plane"},
		{"negative origin", []*image.YCbCr{image.NewYCbCr(image.Rect(-2, 0, 4, 4), image.YCbCrSubsampleRatio420)}, "frame 0 has a negative origin"},
		{"C stride below width", []*image.YCbCr{withStride(uniform(6, 4, 0), 6, 2)}, "frame 0 has Cb/Cr planes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Prepare(tc.frames, "")
			if err == nil {
				t.Fatal("Prepare succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// withPlanes is f with its planes cut to the given lengths.
func withPlanes(f *image.YCbCr, y, cb, cr int) *image.YCbCr {
	c := *f
	c.Y, c.Cb, c.Cr = c.Y[:y], c.Cb[:cb], c.Cr[:cr]
	return &c
}

// withStride is f with other strides.
func withStride(f *image.YCbCr, ys, cs int) *image.YCbCr {
	c := *f
	c.YStride, c.CStride = ys, cs
	return &c
}

func TestMotionIsTextAgnostic(t *testing.T) {
	m := relevance.NewMotion(relevance.MotionConfig{})
	if !relevance.IsTextAgnostic(m) || m.Name() != "motion" {
		t.Errorf("name %q, text agnostic %v", m.Name(), relevance.IsTextAgnostic(m))
	}
}

// BenchmarkMotionPrepare prepares a 24-frame 640×360 segment.
func BenchmarkMotionPrepare(b *testing.B) {
	frames := contexttest.Scene{W: 640, H: 360, N: 24, Square: 40,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(300, 150), Step: image.Pt(3, 1)}.Frames()
	m := relevance.NewMotion(relevance.MotionConfig{})
	b.ReportAllocs()
	for b.Loop() {
		seg, err := m.Prepare(frames, "")
		if err != nil {
			b.Fatal(err)
		}
		relevance.Release(seg)
	}
}
