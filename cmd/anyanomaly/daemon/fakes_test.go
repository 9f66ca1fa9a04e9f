package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
)

// The fakes below stand in for stream/, detector/ and alerts/ in the
// framework's own tests only: they record what the daemon asks of them.

// recorder keeps the order in which components start and stop.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// fakeRun blocks until ctx ends, or returns failWith early, or ignores ctx
// until release is closed (a component that will not stop).
type fakeRun struct {
	name     string
	rec      *recorder
	failWith chan error
	stuck    bool
	release  chan struct{}
}

func (f *fakeRun) run(ctx context.Context) error {
	f.rec.add("start " + f.name)
	defer f.rec.add("stop " + f.name)
	if f.stuck {
		<-f.release
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-f.failWith:
		return err
	}
}

type fakeCameras struct {
	fakeRun
	log *slog.Logger

	mu         sync.Mutex
	reconciles []*configs.ConfigDiff
	stats      map[string]*daemon.CameraStats
	cfg        *configs.Config
}

func (f *fakeCameras) Run(ctx context.Context) error { return f.run(ctx) }

func (f *fakeCameras) Reconcile(_ context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reconciles = append(f.reconciles, diff)
	f.cfg = cfg
	for _, cd := range diff.Cameras {
		cam := cfg.Camera(cd.ID)
		switch cd.Change {
		case configs.CameraAdded:
			// A careless component logging the URL it dials: the daemon's
			// logger must still keep the password out.
			f.log.Info("camera starting", "camera", cd.ID, "dial", cam.URL.Reveal())
			f.stats[cd.ID] = &daemon.CameraStats{ID: cd.ID, Name: cam.Name, State: daemon.CameraStreaming,
				LastError: "dial " + cam.URL.Reveal() + ": connection refused", Frames: 100,
				Rules: []daemon.RuleStatus{{ID: cam.Rules[0].ID, Active: true, LastScore: 0.25}}}
		case configs.CameraRemoved:
			delete(f.stats, cd.ID)
		case configs.CameraRestart:
			f.stats[cd.ID].Reconnects++
		}
	}
	return nil
}

func (f *fakeCameras) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.stats {
		if s.State != daemon.CameraStreaming {
			return fmt.Errorf("camera %s: %s", s.ID, s.LastError)
		}
	}
	return nil
}

func (f *fakeCameras) CameraStats() []daemon.CameraStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]daemon.CameraStats, 0, len(f.stats))
	for _, s := range f.stats {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (f *fakeCameras) lastDiff() *configs.ConfigDiff {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reconciles) == 0 {
		return nil
	}
	return f.reconciles[len(f.reconciles)-1]
}

func (f *fakeCameras) numReconciles() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reconciles)
}

func (f *fakeCameras) stat(id string) (daemon.CameraStats, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stats[id]
	if !ok {
		return daemon.CameraStats{}, false
	}
	return *s, true
}

type fakeDetector struct {
	fakeRun
	mu        sync.Mutex
	lvlmDiffs int
}

func (f *fakeDetector) Run(ctx context.Context) error { return f.run(ctx) }

func (f *fakeDetector) Reconfigure(_ context.Context, _ *configs.Config, diff *configs.ConfigDiff) error {
	if diff.Changed("lvlm") {
		f.mu.Lock()
		f.lvlmDiffs++
		f.mu.Unlock()
	}
	return nil
}

func (f *fakeDetector) Ready(context.Context) error { return nil }

func (f *fakeDetector) DetectorStats() daemon.DetectorStats {
	return daemon.DetectorStats{QueueDepth: 2, QueueCapacity: 32, Endpoints: []daemon.EndpointStats{{
		URL: "http://user:lvlm-secret@127.0.0.1:11434", Model: "qwen2.5vl:3b", Calls: 7,
		Latency: daemon.Histogram{Count: 7, Sum: 3.5, Buckets: map[float64]uint64{0.5: 3, 1: 7}},
	}, {
		// The same host:port and model behind another path (a load
		// balancer): one series with the sum.
		URL: "http://127.0.0.1:11434/gpu1", Model: "qwen2.5vl:3b", Calls: 5,
		Latency: daemon.Histogram{Count: 5, Sum: 2, Buckets: map[float64]uint64{0.5: 1, 1: 5}},
	}}}
}

type fakePublisher struct {
	fakeRun
	// statsGate, when set, holds PublisherStats until it is closed: a
	// publisher stuck behind a stalled disk.
	statsGate chan struct{}
	mu        sync.Mutex
}

func (f *fakePublisher) Run(ctx context.Context) error { return f.run(ctx) }

func (f *fakePublisher) Reconfigure(_ context.Context, _ *configs.Config, diff *configs.ConfigDiff) error {
	if diff.Changed("nats") {
		return fmt.Errorf("nats settings: %w", daemon.ErrRestartRequired)
	}
	return nil
}

func (f *fakePublisher) Ready(context.Context) error { return nil }

func (f *fakePublisher) PublisherStats() daemon.PublisherStats {
	f.mu.Lock()
	gate := f.statsGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return daemon.PublisherStats{Connected: true, Events: map[string]uint64{"started": 1, "ended": 1}, Published: 2}
}

// fakes bundles one of each, with a factory.
type fakes struct {
	rec   *recorder
	cams  *fakeCameras
	det   *fakeDetector
	pub   *fakePublisher
	built chan struct{}
}

func newFakes() *fakes {
	rec := &recorder{}
	return &fakes{
		rec:   rec,
		cams:  &fakeCameras{fakeRun: fakeRun{name: "cameras", rec: rec, failWith: make(chan error, 1)}, stats: map[string]*daemon.CameraStats{}},
		det:   &fakeDetector{fakeRun: fakeRun{name: "detector", rec: rec, failWith: make(chan error, 1)}},
		pub:   &fakePublisher{fakeRun: fakeRun{name: "publisher", rec: rec, failWith: make(chan error, 1)}},
		built: make(chan struct{}),
	}
}

func (f *fakes) factory(cfg *configs.Config, deps daemon.ComponentDeps) (*daemon.Components, error) {
	if cfg == nil || deps.Logger == nil {
		return nil, errors.New("factory called without config or logger")
	}
	f.cams.log = deps.Logger
	close(f.built)
	return &daemon.Components{Publisher: f.pub, Detector: f.det, Cameras: f.cams}, nil
}
