package stream

import "testing"

// TestFramerBandLongSide checks when a framer asks its decoder for band
// scaling: only when it scales every picture, at its own long side.
func TestFramerBandLongSide(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sampleFPS float64
		longSide  int
		want      int
	}{
		{"every frame, default size", 0, 0, 640},
		{"every frame, 320 px", 0, 320, 320},
		{"sampled", 4, 0, 0},
		{"sampled, 320 px", 4, 320, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr, err := newFramer("cam", tc.sampleFPS, tc.longSide, 0, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			defer fr.close()
			if got := fr.bandLongSide(); got != tc.want {
				t.Fatalf("bandLongSide = %d, want %d", got, tc.want)
			}
		})
	}
}
