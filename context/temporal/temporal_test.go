package temporal_test

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/grid"
	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/context/temporal"
)

var paperScales = []grid.Scale{{Size: 48, Stride: 48}, {Size: 80, Stride: 80}, {Size: 120, Stride: 120}}

// uniform is a w×h analysis frame of colour c.
func uniform(w, h int, c color.RGBA) *image.YCbCr {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	contexttest.Fill(img, img.Rect, c)
	return contexttest.ToYCbCr(img)
}

// roundTrip is c as a uniform analysis frame shows it: through
// color.RGBToYCbCr and back.
func roundTrip(c color.RGBA) color.RGBA {
	r, g, b := color.YCbCrToRGB(color.RGBToYCbCr(c.R, c.G, c.B))
	return color.RGBA{r, g, b, 255}
}

// TestHandComputed scripts the window scores: per frame, per window of the
// 120-px scale (2×2). The position score is the max over the four frames;
// the best position wins, the earlier one on ties.
func TestHandComputed(t *testing.T) {
	colours := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}, {9, 9, 9, 255}}
	var frames []*image.YCbCr
	for _, c := range colours {
		frames = append(frames, uniform(64, 32, c))
	}
	scale := []grid.Scale{{Size: 120, Stride: 120}}
	for _, tc := range []struct {
		name   string
		scores map[int][4]float64 // frame → window (row-major) scores
		col    int
		row    int
		crops  [4]float64
	}{
		// Window 2 (col 0, row 1) peaks at 5 in frame 3 only.
		{"single peak", map[int][4]float64{3: {1, 0, 5, 0}}, 0, 1, [4]float64{0, 0, 0, 5}},
		// Window 1's max (4) beats window 3's (3) even though window 3
		// scores higher summed over frames.
		{"max not sum", map[int][4]float64{0: {0, 4, 0, 3}, 1: {0, 0, 0, 3}, 2: {0, 0, 0, 3}}, 1, 0, [4]float64{4, 0, 0, 0}},
		{"tie goes first", map[int][4]float64{1: {0, 2, 0, 2}}, 1, 0, [4]float64{0, 2, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, Scales: scale, TileSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			idx := [4]int{0, 1, 2, 3}
			seg := contexttest.FuncSegment{RegionFunc: func(i, size int, r image.Rectangle) float64 {
				if size != 240 {
					t.Errorf("size %d", size)
				}
				return tc.scores[i][r.Min.Y/120*2+r.Min.X/120]
			}}
			res, err := b.Build(seg, frames, idx)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release(res)
			if res.Col != tc.col || res.Row != tc.row || res.CropScores != tc.crops {
				t.Errorf("window (%d,%d) crops %v, want (%d,%d) %v", res.Col, res.Row, res.CropScores, tc.col, tc.row, tc.crops)
			}
			if want := image.Rect(tc.col*120, tc.row*120, tc.col*120+120, tc.row*120+120); res.Window != want {
				t.Errorf("window %v, want %v", res.Window, want)
			}
			// Tiles in time order: TL, TR, BL, BR are frames 0–3.
			for j, p := range []image.Point{{0, 0}, {2, 0}, {0, 2}, {2, 2}} {
				if got, want := res.Image.RGBAAt(p.X+1, p.Y+1), roundTrip(colours[j]); got != want {
					t.Errorf("tile %d is %v, want %v", j, got, want)
				}
			}
			// The 120-px window of a 64×32 frame maps to a 32×16 source area.
			if s := res.Sources[0]; s.Dx() != 32 || s.Dy() != 16 {
				t.Errorf("source rectangle %v", s)
			}
		})
	}
}

// movingScene keeps a 24-px square inside the 48-px window (col 3, row 1):
// source x 384–512, y 72–144 of a 640×360 frame.
func movingScene() contexttest.Scene {
	return contexttest.Scene{W: 640, H: 360, N: 24, Square: 24,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(390, 80), Step: image.Pt(2, 1)}
}

// redCentroid finds the mean position of the square's colour in r.
func redCentroid(img *image.RGBA, r image.Rectangle) (x, y float64, n int) {
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			c := img.RGBAAt(px, py)
			if c.R > 180 && c.G < 80 && c.B < 80 {
				x += float64(px - r.Min.X)
				y += float64(py - r.Min.Y)
				n++
			}
		}
	}
	if n > 0 {
		x /= float64(n)
		y /= float64(n)
	}
	return x, y, n
}

// TestPicksMovingObject: with the motion scorer the TC grid shows the
// window that holds the only moving object, and its tiles show the object
// where it is in each of the four frames, in time order.
func TestPicksMovingObject(t *testing.T) {
	sc := movingScene()
	frames := sc.Frames()
	seg, err := relevance.NewMotion(relevance.MotionConfig{}).Prepare(frames, "")
	if err != nil {
		t.Fatal(err)
	}
	defer relevance.Release(seg)
	b, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, Scales: paperScales, TileSize: 112})
	if err != nil {
		t.Fatal(err)
	}
	idx := [4]int{1, 7, 13, 19}
	res, err := b.Build(seg, frames, idx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(res)
	if res.Scale.Size != 48 || res.Col != 3 || res.Row != 1 || res.Window != image.Rect(144, 48, 192, 96) {
		t.Fatalf("picked scale %d window (%d,%d) %v, want 48 (3,1)", res.Scale.Size, res.Col, res.Row, res.Window)
	}
	if src := res.Sources[0]; src != image.Rect(384, 72, 512, 144) {
		t.Errorf("source rectangle %v", src)
	}
	if res.Score != math.Max(math.Max(res.CropScores[0], res.CropScores[1]), math.Max(res.CropScores[2], res.CropScores[3])) {
		t.Errorf("score %v is not the max of %v", res.Score, res.CropScores)
	}
	prevX := -1.0
	for j, i := range idx {
		tile := image.Rect((j%2)*112, (j/2)*112, (j%2+1)*112, (j/2+1)*112)
		x, y, n := redCentroid(res.Image, tile)
		if n == 0 {
			t.Fatalf("tile %d shows no object", j)
		}
		// Expected: the square's centre mapped from the 128×72 source area
		// onto 112×112.
		sq := sc.SquareAt(i)
		wantX := (float64(sq.Min.X+sq.Max.X)/2 - 384) * 112 / 128
		wantY := (float64(sq.Min.Y+sq.Max.Y)/2 - 72) * 112 / 72
		if math.Abs(x+0.5-wantX) > 2 || math.Abs(y+0.5-wantY) > 2 {
			t.Errorf("tile %d (frame %d): object at (%.1f,%.1f), want (%.1f,%.1f)", j, i, x+0.5, y+0.5, wantX, wantY)
		}
		if x <= prevX {
			t.Errorf("tile %d: object at x %.1f, not right of the previous tile's %.1f", j, x, prevX)
		}
		prevX = x
	}
}

func TestErrors(t *testing.T) {
	if _, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, Scales: paperScales, TileSize: 0}); err == nil {
		t.Error("tile size 0 accepted")
	}
	if _, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, TileSize: 112}); err == nil {
		t.Error("no scales accepted")
	}
	b, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, Scales: paperScales, TileSize: 112})
	if err != nil {
		t.Fatal(err)
	}
	frames := []*image.YCbCr{uniform(8, 8, color.RGBA{}), uniform(8, 8, color.RGBA{}), nil,
		image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio422)}
	for _, idx := range [][4]int{{0, 1, 2, 3}, {0, 1, -1, 1}, {0, 1, 2, 1}, {0, 1, 0, 3}, {0, 1, 1, 4}} {
		if _, err := b.Build(contexttest.FuncSegment{}, frames, idx); err == nil {
			t.Errorf("Build with indices %v succeeded", idx)
		}
	}
}

// TestNonFiniteScores: a scorer's NaN for one window must not win the
// choice. NaN never compares greater, so a first window scoring NaN once
// stayed chosen, with score NaN (position already mapped such values to
// 0; method §3 says the builders do not care which scorer is in use).
func TestNonFiniteScores(t *testing.T) {
	b, err := temporal.NewBuilder(temporal.Config{WorkSize: 240, Scales: []grid.Scale{{Size: 120, Stride: 120}}, TileSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	var frames []*image.YCbCr
	for range 4 {
		frames = append(frames, uniform(8, 8, color.RGBA{100, 100, 100, 255}))
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		seg := contexttest.FuncSegment{RegionFunc: func(_, _ int, r image.Rectangle) float64 {
			switch r.Min {
			case image.Pt(0, 0):
				return bad
			case image.Pt(120, 120):
				return 1
			}
			return 0
		}}
		res, err := b.Build(seg, frames, [4]int{0, 1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Window.Min != image.Pt(120, 120) || res.Score != 1 {
			t.Errorf("%v for window (0,0): picked %v with score %v, want (120,120) with 1", bad, res.Window, res.Score)
		}
	}
}
