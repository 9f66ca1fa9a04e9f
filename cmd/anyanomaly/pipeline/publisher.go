package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
)

// scoreQueueSize bounds the scores waiting between the detector's workers
// and the publisher. A score is small (its JPEGs aside) and the publisher
// takes one in a file append, so the queue only fills when the disk stalls.
const scoreQueueSize = 256

// Publisher is the alerts side as the daemon sees it: an alerts.Publisher
// plus the bounded queue that hands it the detector's scores (the pool's
// OnScore must return at once, and Submit writes to the spool).
type Publisher struct {
	alerts *alerts.Publisher
	book   *scoreBook
	log    *slog.Logger
	scores chan detector.SegmentScore

	dropped  atomic.Uint64
	lastDrop atomic.Int64 // unix nanoseconds of the last drop log line
}

func newPublisher(cfg *configs.Config, book *scoreBook, log *slog.Logger) (*Publisher, error) {
	p, err := alerts.New(alertsConfig(cfg), alerts.Deps{Log: log})
	if err != nil {
		return nil, fmt.Errorf("alerts publisher: %w", err)
	}
	return &Publisher{alerts: p, book: book, log: log, scores: make(chan detector.SegmentScore, scoreQueueSize)}, nil
}

// enqueue is the pool's OnScore: it never blocks; when the queue is full
// the score is dropped, counted and logged at most once a second.
func (p *Publisher) enqueue(s detector.SegmentScore) {
	select {
	case p.scores <- s:
	default:
		p.dropped.Add(1)
		now := time.Now().UnixNano()
		if last := p.lastDrop.Load(); now-last >= int64(time.Second) && p.lastDrop.CompareAndSwap(last, now) {
			p.log.Warn("publisher lags: segment score dropped", "camera", s.CameraID, "rule", s.RuleID, "dropped_total", p.dropped.Load())
		}
	}
}

// Run runs the alerts publisher and forwards scores to it until ctx ends.
// The daemon stops the publisher last, after the detector has returned, so
// the scores still queued are handed over before the publisher ends open
// events and flushes.
func (p *Publisher) Run(ctx context.Context) error {
	inner, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.alerts.Run(inner) }()
	for {
		select {
		case s := <-p.scores:
			p.submit(s)
		case err := <-done:
			if err == nil {
				return errors.New("alerts: returned before shutdown")
			}
			return err // the alerts package names itself
		case <-ctx.Done():
			p.drain()
			cancel()
			return <-done
		}
	}
}

// drain hands over the scores still queued.
func (p *Publisher) drain() {
	for {
		select {
		case s := <-p.scores:
			p.submit(s)
		default:
			return
		}
	}
}

func (p *Publisher) submit(s detector.SegmentScore) {
	p.book.record(&s)
	p.alerts.Submit(s)
}

// Reconfigure applies a reloaded configuration. Cameras and rules reach
// the publisher through the camera manager; the nats section is read only
// at start.
func (p *Publisher) Reconfigure(_ context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error {
	// The daemon gives the publisher the second half of the shutdown
	// budget, whatever the latest configuration says it is.
	p.alerts.SetShutdownTimeout(alertsShutdownTimeout(cfg))
	if diff.Changed("nats") {
		return fmt.Errorf("nats settings: %w", daemon.ErrRestartRequired)
	}
	return nil
}

// Ready reports whether NATS is connected.
func (p *Publisher) Ready(context.Context) error {
	if !p.alerts.Connected() {
		return errors.New("NATS not connected")
	}
	return nil
}

// PublisherStats maps the publisher's counters to the daemon's.
func (p *Publisher) PublisherStats() daemon.PublisherStats {
	s := p.alerts.Stats()
	return daemon.PublisherStats{
		Connected: s.Connected,
		Events: map[string]uint64{
			alerts.KindStarted: s.EventsStarted,
			alerts.KindUpdated: s.EventsUpdated,
			alerts.KindEnded:   s.EventsEnded,
		},
		Published:       s.Published,
		PublishFailures: s.PublishFailures,
		SpoolDepth:      s.SpoolRecords,
		SpoolBytes:      s.SpoolBytes,
		SpoolDropped:    s.SpoolFullDrops + s.SpoolErrors + s.SpoolLost,
	}
}

// ServerURL is the NATS server in use once connected, password masked
// (the embedded server's when no URL is configured).
func (p *Publisher) ServerURL() string { return p.alerts.ServerURL() }
