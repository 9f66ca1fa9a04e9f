package query_test

import (
	"image"
	"image/color"
	"syscall"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/query"
	"github.com/anyanomaly/anyanomaly/context/relevance"
)

// benchScene is the acceptance workload: a 24-frame 640×360 segment with
// per-pixel noise of ±3 levels (decoded camera footage keeps a little
// grain), so that the JPEG encoder and the median do not run on perfectly
// flat synthetic areas.
func benchScene() contexttest.Scene {
	return contexttest.Scene{
		W: 640, H: 360, N: 24, Square: 40,
		Color: color.RGBA{R: 230, G: 30, B: 30, A: 255},
		Start: image.Pt(300, 150), Step: image.Pt(3, 1),
		Noise: 3,
	}
}

// BenchmarkBuild measures one segment's full context building: relevance,
// key frames, PC, TC and the three JPEG encodes.
func BenchmarkBuild(b *testing.B) {
	frames := benchScene().Frames()
	qb, err := query.NewBuilder(query.DefaultConfig(), relevance.NewMotion(relevance.MotionConfig{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		im, err := qb.Build(frames, "red square")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := qb.Encode(im); err != nil {
			b.Fatal(err)
		}
		qb.Release(im)
	}
}

// BenchmarkBuildImages is BenchmarkBuild without the JPEG encodes.
func BenchmarkBuildImages(b *testing.B) {
	frames := benchScene().Frames()
	qb, err := query.NewBuilder(query.DefaultConfig(), relevance.NewMotion(relevance.MotionConfig{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		im, err := qb.Build(frames, "red square")
		if err != nil {
			b.Fatal(err)
		}
		qb.Release(im)
	}
}

// BenchmarkEncode is the three JPEG encodes alone.
func BenchmarkEncode(b *testing.B) {
	frames := benchScene().Frames()
	qb, err := query.NewBuilder(query.DefaultConfig(), relevance.NewMotion(relevance.MotionConfig{}))
	if err != nil {
		b.Fatal(err)
	}
	im, err := qb.Build(frames, "red square")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := qb.Encode(im); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds a cpu-ns/op metric: the process's CPU time per iteration.
// On a shared machine wall time (ns/op) includes time spent waiting for a
// core; CPU time does not, so it is the steadier number.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
