package detector_test

import (
	"context"
	"image"
	"runtime"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// benchLatency and benchConcurrency are L and C of the scheduler
// benchmarks: the fake server answers each call after L, at most C at once.
const (
	benchLatency     = 200 * time.Millisecond
	benchConcurrency = 4
)

func benchPool(b *testing.B, queue int, onScore func(detector.SegmentScore)) (*detector.Pool, *ollamatest.Server, func()) {
	srv := ollamatest.New(ollamatest.Options{Latency: benchLatency, Concurrency: benchConcurrency, StrictQueue: true}) // a call beyond C is answered 503, not queued
	p, err := detector.NewPool(detector.PoolConfig{
		Endpoints: []detector.EndpointConfig{{URL: srv.URL(), Model: ollamatest.DefaultModel, Concurrency: benchConcurrency}},
		QueueSize: queue,
	}, detector.PoolDeps{OnScore: onScore})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return p, srv, func() {
		cancel()
		<-done
		srv.Close()
	}
}

// BenchmarkPoolThroughput: with the queue never empty, the pool should keep
// all C slots of the endpoint busy: achieved calls/s ≥ 0.95·C/L. One op is
// one segment (three calls).
func BenchmarkPoolThroughput(b *testing.B) {
	var got collector
	p, srv, stop := benchPool(b, b.N+1, got.add)
	defer stop()
	segs := make([]*segment.Segment, b.N)
	for i := range segs {
		segs[i] = makeSegment([]string{"a", "b", "c"}[i%3], uint64(i), i%2 == 0, time.Now())
	}
	b.ResetTimer()
	start := time.Now()
	for _, s := range segs {
		p.Submit(s, []detector.Rule{redRule})
	}
	// Steady state: the rate between 10 % and 90 % of the calls, leaving
	// out the start (first images being built) and the tail (fewer
	// segments left than slots).
	total := 3 * b.N
	var t10, t90 time.Time
	for got.len() < b.N {
		n := srv.Requests("/api/chat")
		if t10.IsZero() && n >= total/10 {
			t10 = time.Now()
		}
		if t90.IsZero() && n >= total*9/10 {
			t90 = time.Now()
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	calls := float64(srv.Requests("/api/chat"))
	ideal := float64(benchConcurrency) / benchLatency.Seconds()
	b.ReportMetric(calls/elapsed.Seconds(), "calls/s_overall")
	if !t10.IsZero() && t90.After(t10) {
		steady := float64(total*9/10-total/10) / t90.Sub(t10).Seconds()
		b.ReportMetric(steady, "calls/s")
		b.ReportMetric(steady/ideal, "of_C/L")
	}
	if st := srv.Stats(); st.Busy > 0 {
		b.Fatalf("the pool overran the server's concurrency: %d busy answers", st.Busy)
	}
}

// BenchmarkPoolOverload submits fresh segments (24 newly allocated frames
// each, like a decoder would) at 10× the pool's capacity. Memory must stay
// flat: the queue is bounded and the oldest segments are dropped. One op is
// one submitted segment.
func BenchmarkPoolOverload(b *testing.B) {
	p, _, stop := benchPool(b, 32, func(detector.SegmentScore) {})
	defer stop()
	proto := makeSegment("cam", 0, false, time.Now())
	capacity := float64(benchConcurrency) / benchLatency.Seconds() / 3 // segments/s
	interval := time.Duration(float64(time.Second) / (10 * capacity))
	var ms runtime.MemStats
	var firstHeap, peakHeap uint64
	b.ResetTimer()
	next := time.Now()
	for i := range b.N {
		seg := &segment.Segment{CameraID: []string{"a", "b"}[i%2], Seq: uint64(i)}
		for _, f := range proto.Frames {
			img := image.NewYCbCr(f.Image.Rect, f.Image.SubsampleRatio)
			copy(img.Y, f.Image.Y)
			copy(img.Cb, f.Image.Cb)
			copy(img.Cr, f.Image.Cr)
			f.Image = img
			seg.Frames = append(seg.Frames, f)
		}
		p.Submit(seg, []detector.Rule{redRule})
		if i%50 == 49 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if firstHeap == 0 {
				firstHeap = ms.HeapInuse
			}
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
		next = next.Add(interval)
		time.Sleep(time.Until(next))
	}
	b.StopTimer()
	st := p.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
	b.ReportMetric(float64(st.QueueDepth), "queue_depth")
	if firstHeap > 0 {
		b.ReportMetric(float64(firstHeap)/(1<<20), "heap_first_MiB")
		b.ReportMetric(float64(peakHeap)/(1<<20), "heap_peak_MiB")
	}
}
