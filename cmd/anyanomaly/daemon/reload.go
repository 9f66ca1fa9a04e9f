package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
)

// ReloadStatus is the outcome of the latest reload attempt.
type ReloadStatus struct {
	// At is when it was attempted; Trigger what caused it (SIGHUP,
	// "file change", "request").
	At      time.Time `json:"at"`
	Trigger string    `json:"trigger"`
	// Success is false when the file was invalid (the previous
	// configuration kept running) or a component could not apply it.
	Success bool `json:"success"`
	// Errors lists every problem, credentials redacted.
	Errors []string `json:"errors,omitempty"`
	// Changes summarises the applied diff.
	Changes string `json:"changes,omitempty"`
}

// restartOnly are the settings the daemon reads only at start.
// /api/v1/status lists those that differ from the configuration the
// daemon started with.
var restartOnly = []string{"global.http.listen", "global.log.format", "global.state_dir", "global.node"}

// reload loads the configuration file again and applies it. An invalid
// file changes nothing; a valid one is diffed against the running
// configuration and handed to the components, downstream first
// (publisher, detector, cameras), so that a new camera's first segment
// finds its rules everywhere.
func (d *Daemon) reload(ctx context.Context, trigger string) {
	d.notify.reloading()
	now := time.Now()
	old := d.cfg.Load()
	cfg, err := configs.LoadEnv(d.opts.ConfigPath, d.opts.Env)
	if err != nil {
		msgs := problemLines(err)
		for _, m := range msgs {
			d.log.Error("configuration reload rejected; the running configuration is kept", "config", d.opts.ConfigPath, "trigger", trigger, "problem", m)
		}
		d.finishReload(&ReloadStatus{At: now, Trigger: trigger, Errors: d.redactAll(msgs)}, nil, nil)
		d.notify.ready("running; last reload rejected: invalid configuration")
		return
	}
	diff := configs.Diff(old, cfg)
	// Both generations' secrets, since components may still log about
	// what they are tearing down; and the first configuration's, since
	// settings that need a restart (NATS credentials, LVLM endpoints) still
	// run with them however many reloads later.
	d.redactor.Set(slices.Concat(d.first.Secrets(), old.Secrets(), cfg.Secrets()))
	d.level.Set(parseLevel(cfg.Global.Log.Level))
	pending := map[string]string{}
	for _, p := range restartOnly {
		if diff.Changed(p) {
			d.log.Warn("setting changed; it takes effect after a restart", "setting", p)
		}
	}
	var problems []string
	apply := func(name string, f func() error) {
		err := f()
		switch {
		case err == nil:
		case errors.Is(err, ErrRestartRequired):
			pending[name] = name + ": " + err.Error()
			d.log.Warn("change takes effect after a restart", "component", name, "detail", err)
		default:
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	c := d.comps
	if !diff.Empty() {
		if c.Publisher != nil {
			apply("publisher", func() error { return c.Publisher.Reconfigure(ctx, cfg, diff) })
		}
		if c.Detector != nil {
			apply("detector", func() error { return c.Detector.Reconfigure(ctx, cfg, diff) })
		}
		if c.Cameras != nil {
			apply("cameras", func() error { return c.Cameras.Reconcile(ctx, cfg, diff) })
		}
	}
	d.cfg.Store(cfg)
	st := &ReloadStatus{At: now, Trigger: trigger, Success: len(problems) == 0, Errors: d.redactAll(problems), Changes: diff.Summary()}
	d.finishReload(st, cfg, pending)
	if st.Success {
		d.log.Info("configuration reloaded", "trigger", trigger, "changes", diff.Summary())
		d.notify.ready("running: " + cfg.Summary())
		return
	}
	for _, p := range problems {
		d.log.Error("configuration reload partly applied", "trigger", trigger, "problem", p)
	}
	d.notify.ready("running; last reload partly failed")
}

// finishReload records a reload's outcome; cfg is nil when the file was
// rejected. The status is updated before the metrics, so whoever sees the
// reload counted also finds it in the status.
func (d *Daemon) finishReload(st *ReloadStatus, cfg *configs.Config, pending map[string]string) {
	d.mu.Lock()
	d.lastReload = st
	if cfg != nil { // a valid file: it is now the running configuration
		d.loadedAt = st.At
		// Components only refuse global settings live, so the process
		// still runs the global settings it started with: once the file
		// has those again, nothing waits for a restart (although the
		// components report going back as one more change).
		if d.pending == nil {
			d.pending = map[string]string{}
		}
		maps.Copy(d.pending, pending)
		if d.first != nil {
			// A component whose own settings are back to the start's has
			// nothing waiting, whatever else still differs.
			global := configs.Diff(d.first, cfg).Global
			for name := range d.pending {
				if !restartBound(ownedBy(name, global)) {
					delete(d.pending, name)
				}
			}
		}
	}
	d.mu.Unlock()
	d.metrics.reloaded(st.Success, st.At)
}

// liveGlobal are the global settings applied in place at reload (the
// components' Reconfigure decides; these must agree with it): a difference
// from the start in these alone leaves nothing waiting for a restart.
var liveGlobal = map[string]bool{
	"global.log.level": true, "global.timezone": true, "global.shutdown_timeout": true,
	"lvlm.prompt_variant": true, "lvlm.batching": true,
}

// componentSection is the configuration section a component refuses live.
var componentSection = map[string]string{"publisher": "nats", "detector": "lvlm"}

// ownedBy keeps the paths of the section component reads (all of them for
// a component not listed).
func ownedBy(component string, paths []string) []string {
	sec, ok := componentSection[component]
	if !ok {
		return paths
	}
	var out []string
	for _, p := range paths {
		if p == sec || strings.HasPrefix(p, sec+".") {
			out = append(out, p)
		}
	}
	return out
}

// restartBound reports whether any of the changed global paths is one the
// process only reads at start.
func restartBound(paths []string) bool {
	for _, p := range paths {
		if !liveGlobal[p] {
			return true
		}
	}
	return false
}

// problemLines lists the problems of a failed load, one per entry.
func problemLines(err error) []string {
	var errs configs.Errors
	if errors.As(err, &errs) {
		out := make([]string, len(errs))
		for i, e := range errs {
			out[i] = e.Error()
		}
		return out
	}
	return []string{err.Error()}
}

func (d *Daemon) redactAll(msgs []string) []string {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = d.redactor.Redact(m)
	}
	return out
}
