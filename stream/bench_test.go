package stream_test

import (
	"context"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// BenchmarkReadFile measures decode+sample+scale+segment from a file;
// frames/s is the reported metric (scripts/bench_stream.sh compares it with
// the ffmpeg CLI).
func BenchmarkReadFile(b *testing.B) {
	for _, bc := range []struct {
		name      string
		w, h      int
		sampleFPS float64
	}{
		{"720p_every_frame", 1280, 720, 0},
		{"1080p_every_frame", 1920, 1080, 0},
		{"1080p_sample5", 1920, 1080, 5},
	} {
		b.Run(bc.name, func(b *testing.B) {
			clip := streamtest.GenerateClip(b, streamtest.ClipSpec{Width: bc.w, Height: bc.h, FPS: 25, Seconds: 2, GOP: 50})
			b.ResetTimer()
			var frames int64
			for i := 0; i < b.N; i++ {
				info, err := stream.ReadFile(context.Background(), clip, stream.FileOptions{SampleFPS: bc.sampleFPS}, func(*segment.Segment) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				frames += info.Frames
			}
			b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
