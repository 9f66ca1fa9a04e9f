package position_test

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/grid"
	"github.com/anyanomaly/anyanomaly/context/position"
	"github.com/anyanomaly/anyanomaly/context/relevance"
)

// uniform is a w×h analysis frame of grey v (Y = v, neutral chroma, which
// converts back to exactly v).
func uniform(w, h int, v uint8) *image.YCbCr {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
	}
	return contexttest.ToYCbCr(img)
}

// onlyWindow rates the window r == want 1 and every other 0.
func onlyWindow(want image.Rectangle) contexttest.FuncSegment {
	return contexttest.FuncSegment{RegionFunc: func(_, _ int, r image.Rectangle) float64 {
		if r == want {
			return 1
		}
		return 0
	}}
}

// TestHandComputed uses a 4×4 output so every value can be worked out: one
// 120-px scale (2×2 windows), only the bottom-right window relevant. The
// 2→4 bilinear weights are 0, ¼, ¾, 1 per axis, so attention(x, y) =
// w[x]·w[y], and the PC image of a grey-200 frame is 200·w[x]·w[y].
func TestHandComputed(t *testing.T) {
	w := []float64{0, 0.25, 0.75, 1}
	for _, tc := range []struct {
		name   string
		scales []grid.Scale
	}{
		{"one scale", []grid.Scale{{Size: 120, Stride: 120}}},
		// A single 240-px window adds a constant, which averaging and
		// min-max normalisation cancel.
		{"plus whole-frame scale", []grid.Scale{{Size: 120, Stride: 120}, {Size: 240, Stride: 240}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := position.NewBuilder(position.Config{WorkSize: 240, Scales: tc.scales, OutSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			seg := onlyWindow(image.Rect(120, 120, 240, 240))
			if len(tc.scales) == 2 {
				inner := seg.RegionFunc
				seg.RegionFunc = func(i, size int, r image.Rectangle) float64 {
					if r.Dx() == 240 {
						return 0.7
					}
					return inner(i, size, r)
				}
			}
			res, err := b.Build(seg, 0, uniform(640, 360, 200))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release(res)
			if res.Constant {
				t.Fatal("map reported constant")
			}
			for y := 0; y < 4; y++ {
				for x := 0; x < 4; x++ {
					a := w[x] * w[y]
					if got := float64(res.Attention[y*4+x]); math.Abs(got-a) > 1e-6 {
						t.Errorf("attention(%d,%d) = %v, want %v", x, y, got, a)
					}
					want := uint8(math.Floor(200*a + 0.5))
					if got := res.Image.RGBAAt(x, y); got.R != want || got.G != want || got.B != want || got.A != 255 {
						t.Errorf("pixel(%d,%d) = %v, want grey %d", x, y, got, want)
					}
				}
			}
			g := res.Grids[0]
			if g.Cols != 2 || g.Rows != 2 || g.At(1, 1) != 1 || g.At(0, 0) != 0 {
				t.Errorf("grid %+v", g)
			}
		})
	}
}

// TestConstantMap: no window stands out, so the PC image is the plain
// resized key frame.
func TestConstantMap(t *testing.T) {
	b, err := position.NewBuilder(position.Config{WorkSize: 240, Scales: []grid.Scale{{Size: 48, Stride: 48}, {Size: 80, Stride: 80}}, OutSize: 224})
	if err != nil {
		t.Fatal(err)
	}
	flat := contexttest.FuncSegment{RegionFunc: func(int, int, image.Rectangle) float64 { return 3 }}
	res, err := b.Build(flat, 0, uniform(64, 48, 90))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Constant || res.RawMin != 3 || res.RawMax != 3 {
		t.Errorf("constant %v range [%v,%v]", res.Constant, res.RawMin, res.RawMax)
	}
	for i, a := range res.Attention {
		if a != 1 {
			t.Fatalf("attention[%d] = %v", i, a)
		}
	}
	if c := res.Image.RGBAAt(100, 100); c.R != 90 {
		t.Errorf("pixel %v, want grey 90", c)
	}
}

// movingScene keeps a 24-px square inside the 48-px window (col 3, row 1)
// of the 240 working copy of a 640×360 frame: that window covers source
// x 384–512, y 72–144.
func movingScene() contexttest.Scene {
	return contexttest.Scene{W: 640, H: 360, N: 24, Square: 24,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(390, 80), Step: image.Pt(2, 1)}
}

// TestBrightestOverMovingObject: with the motion scorer, the PC image is
// brightest — and the attention highest — over the window that holds the
// only moving object.
func TestBrightestOverMovingObject(t *testing.T) {
	frames := movingScene().Frames()
	seg, err := relevance.NewMotion(relevance.MotionConfig{}).Prepare(frames, "")
	if err != nil {
		t.Fatal(err)
	}
	defer relevance.Release(seg)
	b, err := position.NewBuilder(position.Config{WorkSize: 240,
		Scales: []grid.Scale{{Size: 48, Stride: 48}, {Size: 80, Stride: 80}, {Size: 120, Stride: 120}}, OutSize: 224})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []int{0, 12, 23} {
		res, err := b.Build(seg, key, frames[key])
		if err != nil {
			t.Fatal(err)
		}
		// Compare the 5×5 cells of the 224 image (the 48-px windows).
		bestAtt, bestLum := image.Point{-1, -1}, image.Point{-1, -1}
		maxAtt, maxLum := -1.0, -1.0
		for row := 0; row < 5; row++ {
			for col := 0; col < 5; col++ {
				var att, lum float64
				n := 0
				for y := row * 224 / 5; y < (row+1)*224/5; y++ {
					for x := col * 224 / 5; x < (col+1)*224/5; x++ {
						att += float64(res.Attention[y*224+x])
						c := res.Image.RGBAAt(x, y)
						lum += 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
						n++
					}
				}
				if att /= float64(n); att > maxAtt {
					maxAtt, bestAtt = att, image.Pt(col, row)
				}
				if lum /= float64(n); lum > maxLum {
					maxLum, bestLum = lum, image.Pt(col, row)
				}
			}
		}
		want := image.Pt(3, 1)
		if bestAtt != want || bestLum != want {
			t.Errorf("key %d: highest attention in cell %v, brightest cell %v, want %v", key, bestAtt, bestLum, want)
		}
		if g := res.Grids[0]; g.At(3, 1) <= 0 {
			t.Errorf("key %d: 48-px grid %v", key, g.Values)
		}
		b.Release(res)
	}
}

func TestErrors(t *testing.T) {
	for _, cfg := range []position.Config{
		{WorkSize: 0, Scales: []grid.Scale{{Size: 48, Stride: 48}}, OutSize: 224},
		{WorkSize: 240, Scales: nil, OutSize: 224},
		{WorkSize: 240, Scales: []grid.Scale{{Size: 48, Stride: 48}}, OutSize: 0},
	} {
		if _, err := position.NewBuilder(cfg); err == nil {
			t.Errorf("NewBuilder(%+v) succeeded", cfg)
		}
	}
	b, err := position.NewBuilder(position.Config{WorkSize: 240, Scales: []grid.Scale{{Size: 48, Stride: 48}}, OutSize: 224})
	if err != nil {
		t.Fatal(err)
	}
	short := uniform(16, 16, 0)
	short.Cr = short.Cr[:10]
	for _, tc := range []struct {
		name  string
		frame *image.YCbCr
	}{
		{"nil", nil},
		{"empty", image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420)},
		{"4:4:4", image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444)},
		{"short Cr plane", short},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.Build(contexttest.FuncSegment{}, 5, tc.frame); err == nil || !strings.Contains(err.Error(), "key frame 5") {
				t.Errorf("Build: %v, want an error naming key frame 5", err)
			}
		})
	}
}

// TestNonFiniteScores: NaN or infinite window scores count as 0 instead of
// spreading through the map.
func TestNonFiniteScores(t *testing.T) {
	b, err := position.NewBuilder(position.Config{WorkSize: 240, Scales: []grid.Scale{{Size: 120, Stride: 120}}, OutSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	seg := contexttest.FuncSegment{RegionFunc: func(_, _ int, r image.Rectangle) float64 {
		switch r.Min {
		case image.Pt(0, 0):
			return math.NaN()
		case image.Pt(120, 0):
			return math.Inf(1)
		case image.Pt(120, 120):
			return 1
		}
		return 0
	}}
	res, err := b.Build(seg, 0, uniform(8, 8, 200))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range res.Attention {
		if !(a >= 0 && a <= 1) {
			t.Fatalf("attention[%d] = %v", i, a)
		}
	}
	if res.Attention[15] != 1 || res.Attention[0] != 0 {
		t.Errorf("corners %v %v, want 0 and 1", res.Attention[0], res.Attention[15])
	}
}

// TestHugeFiniteScore: a finite window score beyond float32's range (a
// badly scaled scorer) must not turn the float32 map into NaN and the PC
// image black: the window it names stays the brightest.
func TestHugeFiniteScore(t *testing.T) {
	seg := contexttest.FuncSegment{RegionFunc: func(_, _ int, r image.Rectangle) float64 {
		if r.Min == (image.Point{}) {
			return 1e300
		}
		return 1
	}}
	scales, err := grid.Scales([]int{48, 80, 120}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := position.NewBuilder(position.Config{WorkSize: 240, Scales: scales, OutSize: 224})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(seg, 0, uniform(64, 48, 200))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range res.Attention {
		if math.IsNaN(float64(a)) || a < 0 || a > 1 {
			t.Fatalf("attention[%d] = %v, want within [0,1]", i, a)
		}
	}
	if tl, br := res.Attention[0], res.Attention[len(res.Attention)-1]; tl != 1 || br != 0 {
		t.Fatalf("attention top-left %v, bottom-right %v; want 1 and 0", tl, br)
	}
}
