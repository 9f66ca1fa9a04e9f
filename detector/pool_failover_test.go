package detector_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
)

// One of two endpoints lacks the model (404 at once). The healthy one can
// score every segment offered at this rate (or most of them); the pool
// should not lose most of them to the endpoint that fails instantly and so
// always looks "least loaded".
func TestPoolFastFailingEndpointIsABlackHole(t *testing.T) {
	for _, tc := range []struct {
		name     string
		badFirst bool
		latency  time.Duration // per call on the healthy endpoint (3 calls a segment)
		spacing  time.Duration // between segments
	}{
		{"bad endpoint listed first, healthy one idle", true, 20 * time.Millisecond, 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeak(t)
			good := ollamatest.New(ollamatest.Options{Latency: tc.latency})
			defer good.Close()
			bad := ollamatest.New(ollamatest.Options{Fault: ollamatest.FaultModelNotFound})
			defer bad.Close()
			eps := []detector.EndpointConfig{{URL: good.URL(), Model: ollamatest.DefaultModel}, {URL: bad.URL(), Model: ollamatest.DefaultModel}}
			if tc.badFirst {
				eps[0], eps[1] = eps[1], eps[0]
			}
			var got collector
			p, err := detector.NewPool(detector.PoolConfig{Endpoints: eps, QueueSize: 100}, detector.PoolDeps{OnScore: got.add})
			if err != nil {
				t.Fatal(err)
			}
			startPool(t, p)
			const n = 30
			for i := range n {
				p.Submit(makeSegment(fmt.Sprint("cam", i%3), uint64(i), true, time.Now()), []detector.Rule{redRule})
				time.Sleep(tc.spacing) // a camera's pace, not synchronisation
			}
			waitFor(t, "all segments settled", func() bool { st := p.Stats(); return st.Scored+st.Failed == n })
			st := p.Stats()
			t.Logf("scored %d, failed %d; chat requests: good %d, bad %d", st.Scored, st.Failed, good.Requests("/api/chat"), bad.Requests("/api/chat"))
			if st.Failed > n/2 {
				t.Fatalf("%d of %d segments lost to the endpoint without the model while a healthy endpoint had capacity", st.Failed, n)
			}
		})
	}
}
