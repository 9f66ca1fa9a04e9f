// Package pipeline wires the product's components into the daemon: it is
// the production daemon.Factory. It builds one alerts publisher, one
// shared detector pool and a camera manager that runs an isolated
// stream.Camera per enabled camera, feeding each camera's segments to the
// pool with the camera's current rules and the pool's scores to the
// publisher. Everything it builds follows the daemon's lifecycle: New does
// no I/O, Run blocks until its context ends.
package pipeline

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
)

// Factory builds the publisher, the detector pool and the camera manager
// from the first valid configuration; it does no I/O. It has the
// signature of daemon.Factory.
func Factory(cfg *configs.Config, deps daemon.ComponentDeps) (*daemon.Components, error) {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	book := newScoreBook()
	pub, err := newPublisher(cfg, book, log.With("component", "alerts"))
	if err != nil {
		return nil, err
	}
	pool, err := detector.NewPool(poolConfig(cfg), detector.PoolDeps{
		Logger:  log.With("component", "detector"),
		OnScore: pub.enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("detector pool: %w", err)
	}
	det := &Detector{pool: pool, cfg: cfg}
	cams := newManager(managerDeps{
		Logger:   log.With("component", "cameras"),
		Detector: pool,
		Gate:     pool.Gate(),
		Alerts:   pub.alerts,
		Scores:   book,
	})
	dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "anyanomaly_scores_dropped_total",
		Help: "Segment scores dropped between the detector and the publisher because the publisher lagged.",
	}, func() float64 { return float64(pub.dropped.Load()) })
	return &daemon.Components{Publisher: pub, Detector: det, Cameras: cams, Collectors: []prometheus.Collector{dropped}}, nil
}
