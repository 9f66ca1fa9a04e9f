package query_test

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/query"
	"github.com/anyanomaly/anyanomaly/context/relevance"
)

// FuzzBuild feeds random frame sizes, frame counts, contents and window
// configurations to Build and Encode: whatever the input, they return images
// of the configured size or an error, and never panic.
func FuzzBuild(f *testing.F) {
	f.Add(uint16(640), uint16(360), uint8(24), uint64(1), uint8(48), uint8(0))
	f.Add(uint16(1), uint16(1), uint8(4), uint64(2), uint8(240), uint8(1))
	f.Add(uint16(3), uint16(200), uint8(7), uint64(3), uint8(1), uint8(13))
	f.Add(uint16(0), uint16(5), uint8(4), uint64(4), uint8(48), uint8(0))
	f.Fuzz(func(t *testing.T, w, h uint16, n uint8, seed uint64, window, stride uint8) {
		w, h = w%700, h%400
		n %= 40
		cfg := query.DefaultConfig()
		cfg.WindowSizes = []int{int(window), 80}
		if stride != 0 {
			cfg.WindowStrides = []int{int(stride), 80}
		}
		b, err := query.NewBuilder(cfg, relevance.NewMotion(relevance.MotionConfig{GridSize: int(seed % 200)}))
		if err != nil {
			return // rejected configuration
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		frames := make([]*image.YCbCr, n)
		for i := range frames {
			f := image.NewYCbCr(image.Rect(0, 0, int(w), int(h)), image.YCbCrSubsampleRatio420)
			for _, p := range [][]byte{f.Y, f.Cb, f.Cr} {
				for j := 0; j < len(p); j += 1 + rng.IntN(64) {
					p[j] = uint8(rng.Uint32())
				}
			}
			frames[i] = f
		}
		im, err := b.Build(frames, "x")
		if err != nil {
			return
		}
		if im.Position.Rect.Dx() != cfg.OutSize || im.Temporal.Rect.Dx() != cfg.OutSize {
			t.Fatalf("PC %v TC %v", im.Position.Rect, im.Temporal.Rect)
		}
		for _, a := range im.Attention {
			if !(a >= 0 && a <= 1) {
				t.Fatalf("attention value %v", a)
			}
		}
		if _, err := b.Encode(im); err != nil {
			t.Fatal(err)
		}
		b.Release(im)
	})
}
