package daemon

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/internal/redact"
)

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
			ds.Endpoints[i].URL = redact.URL(d.redactor.Redact(ds.Endpoints[i].URL))
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
	for _, name := range slices.Sorted(maps.Keys(d.pending)) {
		st.Config.RestartPending = append(st.Config.RestartPending, d.pending[name])
	}
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
