package stream

import (
	"image"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

func TestImagePoolIsBounded(t *testing.T) {
	p := newImagePool(3)
	for range 10 {
		p.put(decode.NewImage(4, 2))
		p.put(decode.NewImage(2, 4))
	}
	if got := p.size(); got != 6 {
		t.Fatalf("pool keeps %d images, want 3 of each of 2 sizes", got)
	}
	img := p.get(4, 2)
	if img.Rect != image.Rect(0, 0, 4, 2) || p.reused.Load() != 1 {
		t.Fatalf("get(4, 2) = %v, reused %d; want a pooled 4×2 image", img.Rect, p.reused.Load())
	}
	if img := p.get(8, 8); img.Rect != image.Rect(0, 0, 8, 8) || p.reused.Load() != 1 {
		t.Fatalf("get(8, 8) = %v, reused %d; want a fresh 8×8 image", img.Rect, p.reused.Load())
	}
}
