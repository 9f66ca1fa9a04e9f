package query_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"sync"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/query"
	"github.com/anyanomaly/anyanomaly/context/relevance"
)

func newBuilder(t testing.TB) *query.Builder {
	t.Helper()
	b, err := query.NewBuilder(query.DefaultConfig(), relevance.NewMotion(relevance.MotionConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBuildEndToEnd: a 24-frame 640×360 segment in which a red square is
// visible only in frame 13, inside the 48-px window (3,1) of the working
// copy (source x 384–512, y 72–144).
func TestBuildEndToEnd(t *testing.T) {
	sc := contexttest.Scene{W: 640, H: 360, N: 24, Square: 30,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(420, 90),
		Visible: func(i int) bool { return i == 13 }}
	frames := sc.Frames()
	b := newBuilder(t)
	im, err := b.Build(frames, "red square")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(im)
	// k = 13, g = 6: 13 mod 6 + {0, 6, 12, 18}.
	if im.KeyIndex != 13 || im.TemporalIndices != [4]int{1, 7, 13, 19} || im.GroupSize != 6 {
		t.Errorf("key %d temporal %v g %d", im.KeyIndex, im.TemporalIndices, im.GroupSize)
	}
	if im.KeyFrame != frames[13] || im.Scorer != "motion" || len(im.FrameScores) != 24 {
		t.Errorf("key frame %p (want %p), scorer %q, %d scores", im.KeyFrame, frames[13], im.Scorer, len(im.FrameScores))
	}
	for i, s := range im.FrameScores {
		if (i == 13) != (s > 0) {
			t.Errorf("frame %d scores %v", i, s)
		}
	}
	if im.TemporalWindow != image.Rect(144, 48, 192, 96) || im.TemporalScale != 48 {
		t.Errorf("TC window %v scale %d", im.TemporalWindow, im.TemporalScale)
	}
	if im.Position.Rect != image.Rect(0, 0, 224, 224) || im.Temporal.Rect != image.Rect(0, 0, 224, 224) || len(im.Attention) != 224*224 {
		t.Errorf("sizes: PC %v TC %v map %d", im.Position.Rect, im.Temporal.Rect, len(im.Attention))
	}
	// The attention peak lies over the square (window (3,1) in 224 space is
	// x 134–179, y 44–89).
	best := 0
	for i, a := range im.Attention {
		if a > im.Attention[best] {
			best = i
		}
	}
	if p := image.Pt(best%224, best/224); !p.In(image.Rect(134, 44, 180, 90)) {
		t.Errorf("attention peaks at %v", p)
	}
	// Only the third tile (frame 13, bottom-left) shows the square.
	for j := 0; j < 4; j++ {
		tile := image.Rect((j%2)*112, (j/2)*112, (j%2+1)*112, (j/2+1)*112)
		red := 0
		for y := tile.Min.Y; y < tile.Max.Y; y++ {
			for x := tile.Min.X; x < tile.Max.X; x++ {
				if c := im.Temporal.RGBAAt(x, y); c.R > 180 && c.G < 80 {
					red++
				}
			}
		}
		if (j == 2) != (red > 100) {
			t.Errorf("tile %d has %d red pixels", j, red)
		}
	}

	jp, err := b.Encode(im)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		size image.Point
	}{
		{"key frame", jp.KeyFrame, image.Pt(640, 360)},
		{"position", jp.Position, image.Pt(224, 224)},
		{"temporal", jp.Temporal, image.Pt(224, 224)},
	} {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if image.Pt(cfg.Width, cfg.Height) != tc.size {
			t.Errorf("%s: %dx%d, want %v", tc.name, cfg.Width, cfg.Height, tc.size)
		}
	}
}

// TestBuildNotDivisibleBy4 runs a 10-frame segment whose most relevant
// frame is a leftover frame (index 9): the groups slide to end at it.
func TestBuildNotDivisibleBy4(t *testing.T) {
	sc := contexttest.Scene{W: 320, H: 180, N: 10, Square: 20,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255}, Start: image.Pt(40, 40),
		Visible: func(i int) bool { return i == 9 }}
	b := newBuilder(t)
	im, err := b.Build(sc.Frames(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(im)
	if im.KeyIndex != 9 || im.TemporalIndices != [4]int{3, 5, 7, 9} {
		t.Errorf("key %d temporal %v", im.KeyIndex, im.TemporalIndices)
	}
}

// TestPooledBuildsAreIndependent builds two different segments in a row on
// recycled buffers; the second must not show the first.
func TestPooledBuildsAreIndependent(t *testing.T) {
	b := newBuilder(t)
	mk := func(x int) []*image.YCbCr {
		return contexttest.Scene{W: 320, H: 180, N: 8, Square: 20, Color: color.RGBA{R: 230, A: 255},
			Start: image.Pt(x, 20), Visible: func(i int) bool { return i == 2 }}.Frames()
	}
	first, err := b.Build(mk(10), "")
	if err != nil {
		t.Fatal(err)
	}
	w1 := first.TemporalWindow
	b.Release(first)
	second, err := b.Build(mk(250), "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(second)
	if second.TemporalWindow == w1 || second.TemporalWindow.Min.X < 150 {
		t.Errorf("second segment's window %v (first %v)", second.TemporalWindow, w1)
	}
}

func TestBuildErrors(t *testing.T) {
	b := newBuilder(t)
	ok := contexttest.Scene{W: 32, H: 16, N: 4}.Frames()
	odd := contexttest.Scene{W: 32, H: 17, N: 1}.Frames()
	for _, tc := range []struct {
		name    string
		frames  []*image.YCbCr
		culprit string // what the error must name; "" for no check
	}{
		{"no frames", nil, ""},
		{"three frames", ok[:3], ""},
		{"nil frame", []*image.YCbCr{ok[0], ok[1], nil, ok[3]}, "frame 2"},
		{"mixed sizes", []*image.YCbCr{ok[0], ok[1], odd[0], ok[3]}, "frame 2"},
		{"empty frames", []*image.YCbCr{image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420), ok[1], ok[2], ok[3]}, "frame 0"},
		{"4:2:2 frame", []*image.YCbCr{ok[0], image.NewYCbCr(ok[0].Rect, image.YCbCrSubsampleRatio422), ok[2], ok[3]}, "frame 1"},
		{"short Y plane", []*image.YCbCr{ok[0], ok[1], ok[2], truncated(ok[3], 0)}, "frame 3"},
		{"short Cb plane", []*image.YCbCr{ok[0], ok[1], ok[2], truncated(ok[3], 1)}, "frame 3"},
		{"narrow stride", []*image.YCbCr{ok[0], ok[1], narrow(ok[2]), ok[3]}, "frame 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Build(tc.frames, "x")
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if !strings.Contains(err.Error(), tc.culprit) {
				t.Errorf("error %q does not name %q", err, tc.culprit)
			}
		})
	}
	if _, err := b.Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
	if _, err := b.Encode(&query.Images{}); err == nil {
		t.Error("Encode of empty images succeeded")
	}
	if _, err := query.NewBuilder(query.DefaultConfig(), nil); err == nil {
		t.Error("nil scorer accepted")
	}
}

// truncated is a copy of f's header whose plane p (0 Y, 1 Cb) lacks its
// last byte.
func truncated(f *image.YCbCr, p int) *image.YCbCr {
	c := *f
	if p == 0 {
		c.Y = c.Y[:len(c.Y)-1]
	} else {
		c.Cb = c.Cb[:len(c.Cb)-1]
	}
	return &c
}

// narrow is a copy of f's header whose Y stride is shorter than a row.
func narrow(f *image.YCbCr) *image.YCbCr {
	c := *f
	c.YStride = f.Rect.Dx() - 1
	return &c
}

// failing is a scorer whose Prepare fails.
type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Prepare([]*image.YCbCr, string) (relevance.Segment, error) {
	return nil, errFail
}

var errFail = errors.New("scorer failed")

func TestScorerErrorIsWrapped(t *testing.T) {
	b, err := query.NewBuilder(query.DefaultConfig(), failing{})
	if err != nil {
		t.Fatal(err)
	}
	if b.TextAgnostic() {
		t.Error("a scorer without TextAgnostic reported text-agnostic")
	}
	_, err = b.Build(contexttest.Scene{W: 8, H: 8, N: 4}.Frames(), "x")
	if !errors.Is(err, errFail) || !strings.Contains(err.Error(), "failing") {
		t.Errorf("error %v does not name the scorer", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := query.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*query.Config)
	}{
		{"work size", func(c *query.Config) { c.WorkSize = 0 }},
		{"no windows", func(c *query.Config) { c.WindowSizes = nil }},
		{"window too big", func(c *query.Config) { c.WindowSizes = []int{48, 300} }},
		{"stride count", func(c *query.Config) { c.WindowStrides = []int{24} }},
		{"zero stride", func(c *query.Config) { c.WindowStrides = []int{0, 80, 120} }},
		{"too many windows", func(c *query.Config) { c.WindowStrides = []int{1, 80, 120} }},
		{"out size", func(c *query.Config) { c.OutSize = 0 }},
		{"tile size", func(c *query.Config) { c.TileSize = 100 }},
		{"quality low", func(c *query.Config) { c.JPEGQuality = 0 }},
		{"quality high", func(c *query.Config) { c.JPEGQuality = 101 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := query.DefaultConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
			if _, err := query.NewBuilder(c, relevance.NewMotion(relevance.MotionConfig{})); err == nil {
				t.Error("NewBuilder accepted it")
			}
		})
	}
	c := query.DefaultConfig()
	c.WindowSizes, c.WindowStrides = []int{48, 80, 240}, []int{24, 40, 240}
	if err := c.Validate(); err != nil {
		t.Errorf("overlapping windows with a 240 large window: %v", err)
	}
}

// TestConcurrentBuilds shares one Builder between goroutines (as a worker
// pool does); every result must equal the sequential one.
func TestConcurrentBuilds(t *testing.T) {
	b := newBuilder(t)
	const workers = 4
	segs := make([][]*image.YCbCr, workers)
	want := make([]query.JPEGs, workers)
	for w := range segs {
		segs[w] = contexttest.Scene{W: 160, H: 90, N: 8, Square: 12, Color: color.RGBA{R: 230, A: 255},
			Start: image.Pt(10+30*w, 20), Step: image.Pt(2, 1)}.Frames()
		im, err := b.Build(segs[w], "")
		if err != nil {
			t.Fatal(err)
		}
		if want[w], err = b.Encode(im); err != nil {
			t.Fatal(err)
		}
		b.Release(im)
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 5; round++ {
				im, err := b.Build(segs[w], "")
				if err != nil {
					errs <- err
					return
				}
				got, err := b.Encode(im)
				b.Release(im)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got.Position, want[w].Position) || !bytes.Equal(got.Temporal, want[w].Temporal) || !bytes.Equal(got.KeyFrame, want[w].KeyFrame) {
					errs <- fmt.Errorf("worker %d round %d: images differ from the sequential build", w, round)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
