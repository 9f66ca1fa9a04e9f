package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/anyanomaly/anyanomaly/configs"
)

// checkTimeout bounds each readiness check.
const checkTimeout = 2 * time.Second

func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", d.serveHealth)
	mux.HandleFunc("GET /readyz", d.serveReady)
	mux.HandleFunc("GET /api/v1/status", d.serveStatus)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "anyanomaly: /metrics /healthz /readyz /api/v1/status")
	})
	return mux
}

// serveHealth is liveness: the process answers and its control loop is
// not wedged. It says nothing about cameras or NATS (that is /readyz).
func (d *Daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
	defer cancel()
	if err := d.alive(ctx); err != nil {
		http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// CheckResult is one readiness check's outcome in /readyz.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Readiness is the body of /readyz.
type Readiness struct {
	Ready  bool          `json:"ready"`
	Checks []CheckResult `json:"checks"`
}

// readiness runs every check concurrently, each with its own deadline.
func (d *Daemon) readiness(ctx context.Context) Readiness {
	checks := []Check{{Name: "daemon", Func: func(context.Context) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.state != stateRunning {
			return errors.New(d.state)
		}
		return nil
	}}}
	c := d.comps
	notWired := func(name string) Check {
		return Check{Name: name, Func: func(context.Context) error { return errors.New("not wired into this build") }}
	}
	if c.Publisher != nil {
		checks = append(checks, Check{Name: "publisher", Func: c.Publisher.Ready})
	} else {
		checks = append(checks, notWired("publisher"))
	}
	if c.Detector != nil {
		checks = append(checks, Check{Name: "detector", Func: c.Detector.Ready})
	} else {
		checks = append(checks, notWired("detector"))
	}
	if c.Cameras != nil {
		checks = append(checks, Check{Name: "cameras", Func: c.Cameras.Ready})
	} else {
		checks = append(checks, notWired("cameras"))
	}
	checks = append(checks, c.Checks...)
	res := Readiness{Ready: true, Checks: make([]CheckResult, len(checks))}
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			r := CheckResult{Name: ch.Name, OK: true}
			if err := ch.Func(cctx); err != nil {
				r.OK, r.Error = false, d.redactor.Redact(err.Error())
			}
			res.Checks[i] = r
		}()
	}
	wg.Wait()
	for _, r := range res.Checks {
		res.Ready = res.Ready && r.OK
	}
	return res
}

func (d *Daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	res := d.readiness(r.Context())
	code := http.StatusOK
	if !res.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, res)
}

// Status is the body of /api/v1/status. Credentials are redacted.
type Status struct {
	Node      string    `json:"node"`
	Version   string    `json:"version"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	// Config describes the running configuration and the last reload.
	Config ConfigStatus `json:"config"`
	// Cameras, Detector and Publisher are the components' snapshots;
	// NotWired names the components missing from this build.
	Cameras   []CameraStats   `json:"cameras"`
	Detector  *DetectorStats  `json:"detector,omitempty"`
	Publisher *PublisherStats `json:"publisher,omitempty"`
	NotWired  []string        `json:"not_wired,omitempty"`
}

// ConfigStatus is the configuration part of Status.
type ConfigStatus struct {
	Path     string    `json:"path"`
	LoadedAt time.Time `json:"loaded_at"`
	Summary  string    `json:"summary"`
	// LastReload is nil until the first reload.
	LastReload *ReloadStatus `json:"last_reload,omitempty"`
	// RestartPending lists changed settings that wait for a restart.
	RestartPending []string `json:"restart_pending,omitempty"`
}

// snapshot collects the components' stats, redacted, for metrics and
// status.
func (d *Daemon) snapshot() snapshot {
	var s snapshot
	c := d.comps
	if c == nil {
		return s
	}
	if c.Cameras != nil {
		s.cameras = c.Cameras.CameraStats()
		for i := range s.cameras {
			s.cameras[i].LastError = d.redactor.Redact(s.cameras[i].LastError)
		}
	}
	if c.Detector != nil {
		ds := c.Detector.DetectorStats()
		for i := range ds.Endpoints {
			ds.Endpoints[i].URL = configs.MaskURL(d.redactor.Redact(ds.Endpoints[i].URL))
		}
		s.detector = &ds
	}
	if c.Publisher != nil {
		ps := c.Publisher.PublisherStats()
		s.publisher = &ps
	}
	return s
}

// Status returns what /api/v1/status serves.
func (d *Daemon) Status() Status {
	cfg := d.cfg.Load()
	snap := d.snapshot()
	d.mu.Lock()
	st := Status{
		Version:   d.opts.Version,
		State:     d.state,
		StartedAt: d.startedAt,
		Config: ConfigStatus{
			Path:       d.opts.ConfigPath,
			LoadedAt:   d.loadedAt,
			LastReload: d.lastReload,
		},
		Cameras:   snap.cameras,
		Detector:  snap.detector,
		Publisher: snap.publisher,
	}
	st.Config.RestartPending = append(st.Config.RestartPending, d.pending...)
	d.mu.Unlock()
	if cfg != nil {
		st.Node = cfg.Global.Node
		st.Config.Summary = cfg.Summary()
		if d.first != nil {
			diff := configs.Diff(d.first, cfg)
			for _, p := range restartOnly {
				if diff.Changed(p) {
					st.Config.RestartPending = append(st.Config.RestartPending, p)
				}
			}
		}
	}
	if st.Cameras == nil {
		st.Cameras = []CameraStats{}
	}
	if c := d.comps; c != nil {
		for name, missing := range map[string]bool{"cameras": c.Cameras == nil, "detector": c.Detector == nil, "publisher": c.Publisher == nil} {
			if missing {
				st.NotWired = append(st.NotWired, name)
			}
		}
		sort.Strings(st.NotWired)
	}
	return st
}

func (d *Daemon) serveStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, d.Status())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}
