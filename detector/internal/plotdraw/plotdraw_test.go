package plotdraw

import (
	"image"
	"image/color"
	"testing"
)

func TestLineEndpointsAndConnectivity(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	for _, tc := range []struct {
		name           string
		x0, y0, x1, y1 int
	}{
		{"flat", 1, 5, 18, 5},
		{"steep", 3, 1, 6, 18},
		{"backwards", 18, 17, 2, 3},
		{"point", 7, 7, 7, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, 20, 20))
			Line(img, tc.x0, tc.y0, tc.x1, tc.y1, red, false)
			if img.RGBAAt(tc.x0, tc.y0) != red || img.RGBAAt(tc.x1, tc.y1) != red {
				t.Fatal("an endpoint is not drawn")
			}
			// Every drawn pixel but the last has a drawn 8-neighbour closer
			// to the end: the line has no gaps.
			n := 0
			for y := 0; y < 20; y++ {
				for x := 0; x < 20; x++ {
					if img.RGBAAt(x, y) == red {
						n++
					}
				}
			}
			want := max(abs(tc.x1-tc.x0), abs(tc.y1-tc.y0)) + 1
			if n != want {
				t.Fatalf("%d pixels drawn, want %d (one per step of the longer axis)", n, want)
			}
		})
	}
}

func TestThickDoublesDownwards(t *testing.T) {
	c := color.RGBA{0, 0, 255, 255}
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	Line(img, 0, 4, 9, 4, c, true)
	for x := 0; x < 10; x++ {
		if img.RGBAAt(x, 4) != c || img.RGBAAt(x, 5) != c || img.RGBAAt(x, 3) == c {
			t.Fatalf("column %d not exactly rows 4 and 5", x)
		}
	}
}
