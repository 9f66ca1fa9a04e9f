// Package daemon is the frame of `anyanomaly run`: it loads the
// configuration, builds the product's components through a Factory,
// starts and stops them in order, reloads the configuration on SIGHUP and
// on file change, serves /metrics, /healthz, /readyz and /api/v1/status,
// logs with credentials redacted, and speaks systemd's notify protocol
// (READY, RELOADING, STOPPING, WATCHDOG).
//
// The components themselves (stream/, detector/, alerts/) are wired in
// through the interfaces of seams.go.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// Options configure a Daemon.
type Options struct {
	// ConfigPath is the configuration file; it is watched for changes.
	ConfigPath string
	// Version is the build version (metrics, status).
	Version string
	// Listen overrides global.http.listen when set (tests use
	// "127.0.0.1:0").
	Listen string
	// LogOutput receives the log; default os.Stderr (journald under
	// systemd).
	LogOutput io.Writer
	// ReloadDebounce is how long the file must stay quiet after a change
	// before it is reloaded; default 500ms. Editors write a file in
	// several steps, and reloading a half-written file would fail.
	ReloadDebounce time.Duration
	// Env resolves ${…} in the configuration; zero means the process
	// environment.
	Env configs.Env
}

// Deps are the daemon's collaborators.
type Deps struct {
	// Factory builds the components; nil runs the frame alone
	// (configuration, reload, HTTP, systemd), with /readyz reporting the
	// pipeline as not wired.
	Factory Factory
}

// Daemon states, as reported in /api/v1/status and /readyz.
const (
	stateStarting = "starting"
	stateRunning  = "running"
	stateStopping = "stopping"
)

// Daemon runs AnyAnomaly. Create it with New, run it once with Run.
type Daemon struct {
	opts Options
	deps Deps

	redactor *Redactor
	level    slog.LevelVar
	log      *slog.Logger
	notify   *notifier
	metrics  *metrics

	cfg   atomic.Pointer[configs.Config]
	first *configs.Config // the configuration the daemon started with
	comps *Components     // set before the HTTP server starts, read-only after

	started   chan struct{} // closed once READY=1 is sent
	reloadReq chan string   // manual reload requests (Reload)
	ping      chan chan struct{}
	ctlDone   chan struct{} // closed when the control loop has exited

	// watched are the directories the watcher holds and real the file the
	// configuration path resolves to; only the control loop uses them
	// after watch.
	watched []string
	real    string
	// resolved maps each watched directory to what it resolves to:
	// inotify keeps one watch per inode and names its events after the
	// first path that added it, so an event may come under an alias.
	resolved map[string]string

	mu         sync.Mutex // guards the fields below
	state      string
	addr       string
	startedAt  time.Time
	loadedAt   time.Time
	lastReload *ReloadStatus
	// pending holds each component's ErrRestartRequired since start, by
	// component: a later reload's diff is against the running
	// configuration, which already holds the change, so the component
	// does not report it again.
	pending map[string]string
}

// New returns a daemon; it does no I/O.
func New(opts Options, deps Deps) *Daemon {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	if opts.ReloadDebounce <= 0 {
		opts.ReloadDebounce = 500 * time.Millisecond
	}
	return &Daemon{
		opts:      opts,
		deps:      deps,
		redactor:  NewRedactor(),
		started:   make(chan struct{}),
		reloadReq: make(chan string, 1),
		ping:      make(chan chan struct{}),
		ctlDone:   make(chan struct{}),
		state:     stateStarting,
	}
}

// Started is closed once the daemon is running (READY=1 sent).
func (d *Daemon) Started() <-chan struct{} { return d.started }

// Addr is the HTTP server's address once it listens ("" before).
func (d *Daemon) Addr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addr
}

// Config returns the running configuration (nil before Run loaded it).
func (d *Daemon) Config() *configs.Config { return d.cfg.Load() }

// Reload asks the running daemon to reload its configuration, as SIGHUP
// does. It does not wait; a request while one is pending is merged.
func (d *Daemon) Reload() {
	select {
	case d.reloadReq <- "request":
	default:
	}
}

func (d *Daemon) setState(s string) {
	d.mu.Lock()
	d.state = s
	d.mu.Unlock()
}

// stage is one component's Run, with its own context so that shutdown
// can stop the components one after the other.
type stage struct {
	name   string
	run    func(context.Context) error
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	err    error // written before done is closed
}

// Run loads the configuration, starts everything and blocks until ctx
// ends (SIGTERM/SIGINT in the CLI) or a component fails; then it shuts
// down within global.shutdown_timeout. An invalid configuration at start
// is an error (configs.Errors, every problem listed).
func (d *Daemon) Run(ctx context.Context) error {
	cfg, err := configs.LoadEnv(d.opts.ConfigPath, d.opts.Env)
	if err != nil {
		var list configs.Errors
		if errors.As(err, &list) {
			// One problem per line, each with its path and line.
			return fmt.Errorf("load configuration:\n%w", err)
		}
		return fmt.Errorf("load configuration: %w", err)
	}
	now := time.Now()
	d.redactor.Set(cfg.Secrets())
	d.level.Set(parseLevel(cfg.Global.Log.Level))
	d.log = NewLogger(d.opts.LogOutput, cfg.Global.Log.Format, &d.level, d.redactor)
	d.notify = &notifier{log: d.log}
	d.metrics = newMetrics(d.opts.Version, d.snapshot)
	d.metrics.loaded(now)
	d.cfg.Store(cfg)
	d.first = cfg
	d.mu.Lock()
	d.startedAt, d.loadedAt = now, now
	d.mu.Unlock()

	comps := &Components{}
	if d.deps.Factory != nil {
		c, err := d.deps.Factory(cfg, ComponentDeps{Logger: d.log, Version: d.opts.Version})
		if err != nil {
			return fmt.Errorf("build components: %w", err)
		}
		if c != nil {
			comps = c
		}
	} else {
		d.log.Warn("no pipeline is wired into this build: serving configuration, reload, health and metrics only")
	}
	d.comps = comps
	for _, c := range comps.Collectors {
		if err := d.metrics.reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}

	listen := cfg.Global.HTTP.Listen
	if d.opts.Listen != "" {
		listen = d.opts.Listen
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	d.mu.Lock()
	d.addr = ln.Addr().String()
	d.mu.Unlock()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watcher := d.watch()

	var g errgroup.Group
	fatal := make(chan error, 4)
	// Scrapers and load balancers keep connections open; a stalled one
	// must not hold a goroutine for ever.
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fatal <- fmt.Errorf("http: %w", err)
		}
		return nil
	})

	stages := d.startStages(&g, comps, fatal)
	ctlCtx, stopCtl := context.WithCancel(context.Background())
	defer stopCtl()
	if comps.Cameras != nil {
		if err := comps.Cameras.Reconcile(ctlCtx, cfg, configs.Diff(nil, cfg)); err != nil {
			d.log.Error("cameras: start", "err", err)
		}
	}
	g.Go(func() error {
		defer close(d.ctlDone)
		d.control(ctlCtx, hup, watcher)
		return nil
	})
	wdCtx, stopWD := context.WithCancel(context.Background())
	defer stopWD()
	if iv := watchdogInterval(); iv > 0 {
		g.Go(func() error { d.watchdog(wdCtx, iv); return nil })
	}

	var runErr error
	select {
	case runErr = <-fatal:
		// A component failed while starting: never report READY=1.
		d.log.Error("start failed; shutting down", "err", runErr)
	default:
		d.setState(stateRunning)
		d.notify.ready("running: " + cfg.Summary())
		close(d.started)
		d.log.Info("anyanomaly started", "version", d.opts.Version, "config", d.opts.ConfigPath, "http", d.Addr(), "summary", cfg.Summary())
		select {
		case <-ctx.Done():
			d.log.Info("shutting down", "cause", context.Cause(ctx))
		case runErr = <-fatal:
			d.log.Error("shutting down after a failure", "err", runErr)
		}
	}
	d.setState(stateStopping)
	d.notify.stopping()
	timeout := d.cfg.Load().Global.ShutdownTimeout.Std()
	upstream, rest, deadline, stopDeadlines := shutdownDeadlines(timeout)
	defer stopDeadlines()

	// No reload may race the shutdown: stop the control loop first.
	stopCtl()
	var ctlErr error
	select {
	case <-d.ctlDone:
	case <-deadline:
		// Stopping the stages below may unblock the reload; the deadline
		// has passed, so they are all cancelled at once.
		ctlErr = fmt.Errorf("shutdown: a configuration reload did not finish within %s", timeout)
		upstream, rest = deadline, deadline // closed: every stage is given up at once
	}
	stopErr, stuck := d.stopStages(stages, upstream, rest, deadline, timeout)
	stopErr = errors.Join(ctlErr, stopErr)
	stuck = stuck || ctlErr != nil

	httpCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(httpCtx); err != nil {
		srv.Close()
	}
	stopWD()
	if watcher != nil {
		watcher.Close()
	}
	if stuck {
		// A component ignored its context past the deadline. Waiting for
		// it would break the shutdown promise; the process is about to
		// exit, which ends it.
		return d.redactErr(errors.Join(runErr, stopErr))
	}
	g.Wait()
	if runErr == nil && stopErr == nil {
		d.log.Info("stopped")
	}
	return d.redactErr(errors.Join(runErr, stopErr))
}

// redactErr passes err's text through the redactor, as the logs are: the
// CLI prints what Run returns. errors.Is and errors.As still see err.
func (d *Daemon) redactErr(err error) error {
	if err == nil {
		return nil
	}
	return redact.Wrap(err, d.redactor.Redact(err.Error()))
}

// startStages starts publisher, detector and cameras in that order (so
// every component starts after what it feeds).
func (d *Daemon) startStages(g *errgroup.Group, c *Components, fatal chan<- error) []*stage {
	var stages []*stage
	add := func(name string, run func(context.Context) error) {
		ctx, cancel := context.WithCancel(context.Background())
		s := &stage{name: name, run: run, ctx: ctx, cancel: cancel, done: make(chan struct{})}
		stages = append(stages, s)
		g.Go(func() error {
			err := s.run(s.ctx)
			s.err = err
			if s.ctx.Err() == nil {
				if err == nil {
					err = errors.New("returned before shutdown")
				}
				select {
				case fatal <- fmt.Errorf("%s: %w", s.name, err):
					s.err = nil // Run returns it as the cause, not again as a stop error
				default:
				}
			}
			close(s.done)
			return nil
		})
	}
	if c.Publisher != nil {
		add("publisher", c.Publisher.Run)
	}
	if c.Detector != nil {
		add("detector", c.Detector.Run)
	}
	if c.Cameras != nil {
		add("cameras", c.Cameras.Run)
	}
	return stages
}

// stopStages stops the stages in reverse start order, each after the one
// before has returned: ingest stops, then the detector, then the
// publisher ends open events and flushes. The stages before the last share
// the first half of the budget (upstream fires then): one that is stuck
// there must not cost the publisher its chance to end the open events.
// After a stuck one, the stages between it and the last are cancelled and
// waited for until rest (three quarters of the budget), so that nothing
// upstream runs when the last stage ends the open events, which keeps at
// least the last quarter. stuck reports a stage still running at its
// deadline.
func (d *Daemon) stopStages(stages []*stage, upstream, rest, deadline <-chan struct{}, timeout time.Duration) (err error, stuck bool) {
	var errs []error
	wait := func(s *stage, limit <-chan struct{}, budget time.Duration) {
		select {
		case <-s.done:
			if s.err != nil && !errors.Is(s.err, context.Canceled) {
				errs = append(errs, fmt.Errorf("%s: %w", s.name, s.err))
			}
		case <-limit:
			errs = append(errs, fmt.Errorf("shutdown: %s did not stop within %s", s.name, budget))
			stuck = true
		}
	}
	for i := len(stages) - 1; i >= 1; i-- {
		stages[i].cancel()
		wait(stages[i], upstream, timeout/2)
		if stuck {
			// Give up on it: the stages between it and the last are
			// stopped all at once.
			for _, s := range stages[1:i] {
				s.cancel()
			}
			for j := i - 1; j >= 1; j-- {
				wait(stages[j], rest, 3*timeout/4)
			}
			break
		}
	}
	if len(stages) > 0 {
		stages[0].cancel()
		wait(stages[0], deadline, timeout)
	}
	return errors.Join(errs...), stuck
}

// closeAfter returns a channel closed after d, and a function that stops
// the timer.
// shutdownDeadlines are the shutdown's stage deadlines: the cameras and
// detector get the first half of timeout, the middle stages up to three
// quarters, the publisher the rest. They are closed when they pass, so
// that every wait on them sees it (a timer's channel delivers once).
func shutdownDeadlines(timeout time.Duration) (upstream, rest, deadline <-chan struct{}, stop func()) {
	upstream, stop1 := closeAfter(timeout / 2)
	rest, stop2 := closeAfter(3 * timeout / 4)
	deadline, stop3 := closeAfter(timeout)
	return upstream, rest, deadline, func() { stop1(); stop2(); stop3() }
}

func closeAfter(d time.Duration) (<-chan struct{}, func()) {
	c := make(chan struct{})
	t := time.AfterFunc(d, func() { close(c) })
	return c, func() { t.Stop() }
}

// watch starts watching the configuration file's directory (editors and
// configuration managers replace files by renaming, which a watch on the
// file itself would miss), the directory above it (the directory itself
// replaced or, as a symlink, switched) and, for a symlinked file, its
// target's directory. nil when watching is not possible: SIGHUP still
// works.
func (d *Daemon) watch() *fsnotify.Watcher {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		d.log.Warn("reload on file change disabled; use SIGHUP", "err", err)
		return nil
	}
	dir := filepath.Dir(d.opts.ConfigPath)
	if err := w.Add(dir); err != nil {
		w.Close()
		d.log.Warn("reload on file change disabled; use SIGHUP", "dir", dir, "err", err)
		return nil
	}
	d.watched = []string{dir}
	d.rewatch(w)
	return w
}

// rewatch points the watcher at the directories the configuration path
// resolves to now: a replaced directory or a switched symlink leaves a
// watch on an inode that no longer holds the file.
func (d *Daemon) rewatch(w *fsnotify.Watcher) {
	if w == nil {
		return
	}
	dir := filepath.Clean(filepath.Dir(d.opts.ConfigPath))
	want := []string{dir}
	if up := filepath.Dir(dir); up != dir {
		want = append(want, up)
	}
	d.real = ""
	if real, err := filepath.EvalSymlinks(d.opts.ConfigPath); err == nil {
		d.real = filepath.Clean(real)
		if rd := filepath.Dir(d.real); !slices.Contains(want, rd) {
			want = append(want, rd)
		}
	}
	for _, p := range d.watched {
		_ = w.Remove(p) // gone with its directory, or re-added below
	}
	d.watched = d.watched[:0]
	d.resolved = map[string]string{}
	for _, p := range want {
		if err := w.Add(p); err == nil {
			d.watched = append(d.watched, p)
			if r, err := filepath.EvalSymlinks(p); err == nil {
				d.resolved[p] = filepath.Clean(r)
			}
		} else if p == dir {
			d.log.Warn("watching the configuration directory", "dir", dir, "err", err)
		}
	}
}

// isConfigEvent reports whether a file event concerns the configuration:
// the file itself, the file a symlink points to, its directory (replaced
// or switched), or the "..data" link that Kubernetes-style configuration
// mounts swap atomically.
func (d *Daemon) isConfigEvent(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	name := filepath.Clean(ev.Name)
	path := filepath.Clean(d.opts.ConfigPath)
	if name == path || name == filepath.Dir(path) || (d.real != "" && name == d.real) || filepath.Base(name) == "..data" {
		return true
	}
	// The same directory watched under two names reports under one.
	if r, ok := d.resolved[filepath.Dir(name)]; ok && d.real != "" {
		return filepath.Join(r, filepath.Base(name)) == d.real
	}
	return false
}

// control is the one goroutine that reloads: SIGHUP, Reload and file
// changes (debounced) all end up here, so reloads never overlap. It also
// answers liveness pings, which makes a wedged reload visible to
// /healthz and the systemd watchdog.
func (d *Daemon) control(ctx context.Context, hup <-chan os.Signal, w *fsnotify.Watcher) {
	var events <-chan fsnotify.Event
	var werrs <-chan error
	if w != nil {
		events, werrs = w.Events, w.Errors
	}
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case reply := <-d.ping:
			close(reply)
		case <-hup:
			d.rewatch(w)
			d.reload(ctx, "SIGHUP")
		case trigger := <-d.reloadReq:
			d.reload(ctx, trigger)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if d.isConfigEvent(ev) {
				debounce.Reset(d.opts.ReloadDebounce)
			}
		case err, ok := <-werrs:
			if !ok {
				werrs = nil
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// The kernel dropped events, perhaps the
				// configuration's: read it again to be sure.
				d.log.Warn("watching the configuration file: events lost; reloading to be sure", "err", err)
				debounce.Reset(d.opts.ReloadDebounce)
				continue
			}
			d.log.Warn("watching the configuration file", "err", err)
		case <-debounce.C:
			d.rewatch(w)
			d.reload(ctx, "file change")
		}
	}
}

// alive reports whether the control loop answers within the context.
func (d *Daemon) alive(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case d.ping <- reply:
	case <-d.ctlDone:
		return nil // stopping: nothing left to wedge
	case <-ctx.Done():
		return errors.New("control loop unresponsive (a configuration reload is stuck?)")
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return errors.New("control loop unresponsive")
	}
}

// watchdog pings systemd while the control loop is alive; when it is
// not, the pings stop and systemd restarts the service after WatchdogSec.
// Each check may wait for the loop until the next one is due (every is a
// quarter of WatchdogSec), so a loop busy for less than half of WatchdogSec
// (a slow reload) misses no deadline, and one stuck for longer is
// restarted.
func (d *Daemon) watchdog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			actx, cancel := context.WithTimeout(ctx, every)
			err := d.alive(actx)
			cancel()
			if err == nil {
				d.notify.watchdog()
			} else if ctx.Err() == nil {
				d.log.Error("not pinging the systemd watchdog", "err", err)
			}
		}
	}
}
