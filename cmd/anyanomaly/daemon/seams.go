package daemon

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anyanomaly/anyanomaly/configs"
)

// This file is the wiring seam: what the product's components (stream/,
// detector/, alerts/) must look like for the daemon to run them. The
// daemon owns the lifecycle (start order, reload, shutdown order and
// deadline), HTTP, metrics, logging and systemd; the components own the
// work and how data flows between them.

// Factory builds the components from the first valid configuration. Like
// every New, it must do no I/O: connections are made in Run. It is called
// once per daemon run; later configurations reach the components through
// Reconcile and Reconfigure.
type Factory func(cfg *configs.Config, deps ComponentDeps) (*Components, error)

// ComponentDeps is what the daemon hands to the Factory.
type ComponentDeps struct {
	// Logger is the daemon's logger: configured level and format, with
	// credentials redacted. Components derive theirs with With.
	Logger *slog.Logger
	// Version is the build version, for events and heartbeats.
	Version string
}

// Components are the product's parts. Any of them may be nil while the
// product is being wired; /readyz then reports it as not wired.
type Components struct {
	// Publisher delivers events (alerts/). Its Run is launched first and
	// stopped last, so that everything upstream can still hand it events
	// while stopping. (Runs are launched in order, not awaited: a
	// component must accept work before its Run is connected, e.g. by
	// queueing or spooling.)
	Publisher Publisher
	// Detector scores segments (detector/). Launched second, stopped
	// second, after the cameras have returned.
	Detector DetectorPool
	// Cameras ingest video (stream/), one isolated pipeline per camera.
	// Launched last, stopped first: ingest stops before anything else.
	Cameras CameraManager
	// Checks are extra readiness checks.
	Checks []Check
	// Collectors are extra metrics, registered on the daemon's private
	// registry.
	Collectors []prometheus.Collector
}

// Publisher is the alerts side: event lifecycle, NATS, spool, snapshots.
type Publisher interface {
	// Run connects (or starts the embedded server) and delivers events
	// until ctx ends; then it ends open events with a reason, flushes to
	// NATS or the spool, and returns. It must return soon after ctx ends
	// (the daemon's shutdown deadline is global.shutdown_timeout).
	Run(ctx context.Context) error
	// Reconfigure applies a reloaded configuration (diff.Changed("nats")
	// tells whether its own section changed; rule thresholds etc. are in
	// cfg.Cameras). Return ErrRestartRequired (wrapped) for changes that
	// only take effect after a restart. Called from the daemon's control
	// goroutine, never concurrently with itself, only after Run was
	// launched, and only when the diff is not empty.
	Reconfigure(ctx context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error
	// Ready returns nil when events can be delivered (NATS connected),
	// else why not.
	Ready(ctx context.Context) error
	// PublisherStats is a snapshot of the counters; cheap, non-blocking.
	PublisherStats() PublisherStats
}

// DetectorPool is the LVLM side: scheduling, context building, VQA,
// fusion.
type DetectorPool interface {
	// Run serves scoring requests until ctx ends; then it cancels or
	// finishes in-flight calls and returns promptly.
	Run(ctx context.Context) error
	// Reconfigure applies a reloaded configuration (diff.Changed("lvlm")
	// for endpoints, prompt variant, batching). Same contract as
	// Publisher.Reconfigure.
	Reconfigure(ctx context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error
	// Ready returns nil when at least one endpoint answers with a vision
	// model, else why not.
	Ready(ctx context.Context) error
	// DetectorStats is a snapshot of the counters; cheap, non-blocking.
	DetectorStats() DetectorStats
}

// CameraManager runs one isolated pipeline per enabled camera.
type CameraManager interface {
	// Run supervises the camera pipelines until ctx ends, then stops
	// them all (ingest stops first at shutdown) and returns.
	Run(ctx context.Context) error
	// Reconcile brings the running cameras to cfg, camera by camera, as
	// diff says: CameraAdded → start, CameraRemoved → stop,
	// CameraRestart → stop and start that camera only, CameraUpdated →
	// apply rules, motion gate and name in place without reconnecting,
	// CameraUnchanged → nothing. It is called once right after Run has
	// been launched (Run may not have begun executing yet), with
	// configs.Diff(nil, cfg) (every camera added), and after every valid
	// reload, from one goroutine at a time. It must not block on camera I/O (start and stop
	// asynchronously); an error names the cameras it could not reconcile.
	Reconcile(ctx context.Context, cfg *configs.Config, diff *configs.ConfigDiff) error
	// Ready returns nil when every enabled camera is streaming or backing
	// off after a failure (a camera that is merely reconnecting does not
	// make the daemon unready; one that failed permanently does).
	Ready(ctx context.Context) error
	// CameraStats is a snapshot per camera, in a fresh slice the daemon
	// may modify (it redacts LastError); cheap, non-blocking.
	CameraStats() []CameraStats
}

// Check is a named readiness check.
type Check struct {
	// Name appears in /readyz.
	Name string
	// Func returns nil when ready; its context has a short deadline.
	Func func(ctx context.Context) error
}

// ErrRestartRequired marks a reloaded setting that is valid but only
// takes effect after a restart; the daemon logs it as a warning, not as a
// failed reload. Only global settings may need a restart: the daemon
// lists the note in its status until a restart, or until a reload brings
// the global settings back to those it started with.
var ErrRestartRequired = errors.New("takes effect after a restart")
