package stream

import (
	"testing"
	"time"
)

func TestSampler(t *testing.T) {
	tests := []struct {
		name     string
		fps      float64
		frameDur time.Duration
		frames   int
		want     int
	}{
		{"every frame", 0, 40 * time.Millisecond, 50, 50},
		{"25 to 5", 5, 40 * time.Millisecond, 50, 10},
		{"30 to 10", 10, time.Second / 30, 90, 30},
		{"90kHz rounding 25 to 25", 25, 3600 * time.Second / 90000, 100, 100},
		{"higher than source", 50, 40 * time.Millisecond, 25, 25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSampler(tc.fps)
			n := 0
			for i := 0; i < tc.frames; i++ {
				if s.take(time.Duration(i) * tc.frameDur) {
					n++
				}
			}
			if n != tc.want {
				t.Fatalf("took %d frames, want %d", n, tc.want)
			}
		})
	}
}

func TestSamplerJumpBack(t *testing.T) {
	s := newSampler(1)
	for i := 0; i < 100; i++ {
		s.take(time.Duration(i) * 40 * time.Millisecond)
	}
	if !s.take(0) {
		t.Fatal("a timestamp jump back to 0 was not taken as a new start")
	}
}
