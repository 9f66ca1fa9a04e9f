package pipeline

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// Detector is the shared detector pool as the daemon sees it.
type Detector struct {
	pool *detector.Pool
	cfg  *configs.Config // the configuration the pool was built from
}

// Run runs the pool until ctx ends.
func (d *Detector) Run(ctx context.Context) error { return d.pool.Run(ctx) }

// Reconfigure applies a reloaded configuration. The prompt variant and
// batching travel with each camera's rules, and the motion gate is set
// per camera on the pool's gate (a change of defaults.motion_gate reaches
// every camera inheriting it as a change of that camera): the camera
// manager applies all three in place. Endpoints, queue size and token cap
// are fixed when the pool is built.
func (d *Detector) Reconfigure(_ context.Context, _ *configs.Config, diff *configs.ConfigDiff) error {
	for _, p := range diff.Global {
		if !strings.HasPrefix(p, "lvlm.") || p == "lvlm.prompt_variant" || p == "lvlm.batching" {
			continue
		}
		return fmt.Errorf("%s: %w", p, daemon.ErrRestartRequired)
	}
	return nil
}

// Ready reports whether at least one endpoint is reachable, has the
// model, and the model reads images.
func (d *Detector) Ready(ctx context.Context) error { return d.pool.Ready(ctx) }

// DetectorStats maps the pool's counters to the daemon's. The pool counts
// parse failures over all endpoints; they are reported on the first.
func (d *Detector) DetectorStats() daemon.DetectorStats {
	s := d.pool.Stats()
	out := daemon.DetectorStats{
		QueueDepth:    s.QueueDepth,
		QueueCapacity: d.cfg.LVLM.QueueSize,
		Dropped:       s.Dropped,
	}
	for _, e := range s.Endpoints {
		es := daemon.EndpointStats{URL: e.URL, Model: e.Model, InFlight: e.InFlight, Calls: e.Calls, ParseFailures: e.ParseFailures,
			Latency: cumulative(e.Latency)}
		for _, n := range e.Errors {
			es.Errors += n
		}
		out.Endpoints = append(out.Endpoints, es)
	}
	return out
}

// cumulative turns the detector's per-bucket counts into Prometheus's
// cumulative buckets (the +Inf bucket is implied by Count).
func cumulative(h vqa.Histogram) daemon.Histogram {
	out := daemon.Histogram{Count: h.Count, Sum: h.Sum, Buckets: make(map[float64]uint64, len(h.Bounds))}
	var acc uint64
	for i, b := range h.Bounds {
		if i < len(h.Counts) {
			acc += h.Counts[i]
		}
		if !math.IsInf(b, 0) {
			out.Buckets[b] = acc
		}
	}
	return out
}
