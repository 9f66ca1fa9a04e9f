package pipeline

import (
	"path/filepath"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
	"github.com/anyanomaly/anyanomaly/stream"
)

// The adapters below translate the configuration language (configs) into
// each component's own configuration. They are the only place that knows
// both sides, so a field added to one side is wired here.

// cameraConfig is the ingest configuration of one camera.
func cameraConfig(c *configs.Camera) stream.CameraConfig {
	hw := c.HWAccel
	if hw == "none" {
		hw = ""
	}
	return stream.CameraConfig{
		ID:            c.ID,
		URL:           c.URL.Reveal(),
		Transport:     c.Transport,
		TLSInsecure:   c.TLSInsecure,
		HWAccel:       hw,
		SampleFPS:     c.SampleFPS,
		SegmentFrames: c.Segment.Frames,
		Stride:        c.Segment.Stride,
		StallTimeout:  c.StallTimeout.Std(),
	}
}

// poolConfig is the detector pool's configuration. Its gate-wide motion
// gate is the defaults' one; the camera manager gives every camera its
// own (gateConfig), so that one only serves cameras not (or no longer)
// configured.
func poolConfig(cfg *configs.Config) detector.PoolConfig {
	pc := detector.PoolConfig{QueueSize: cfg.LVLM.QueueSize}
	for _, ep := range cfg.LVLM.Endpoints {
		pc.Endpoints = append(pc.Endpoints, detector.EndpointConfig{
			URL:         ep.URL.Reveal(),
			Model:       ep.Model,
			Concurrency: ep.Concurrency,
			Timeout:     ep.Timeout.Std(),
			Structured:  ep.StructuredOutput,
			NumPredict:  cfg.LVLM.MaxTokens,
			KeepAlive:   ep.KeepAlive.Std(),
		})
	}
	pc.Gate = gateConfig(cfg.Defaults.MotionGate)
	return pc
}

// gateConfig is a camera's motion gate. The configuration's zeros are
// literal where the detector's mean "default": threshold 0 gates nothing
// (no level is under it), refresh 0 never forces a question.
func gateConfig(g configs.MotionGate) detector.GateConfig {
	gc := detector.GateConfig{Enabled: g.Enabled && g.Threshold > 0, Threshold: g.Threshold, Refresh: g.Refresh.Std()}
	if gc.Refresh == 0 {
		gc.Refresh = -1
	}
	return gc
}

// ruleSet is a camera's rules as the pipeline applies them: what the
// detector asks, and when each rule is active.
type ruleSet struct {
	rules []activeRule
	loc   *time.Location
}

type activeRule struct {
	det     detector.Rule
	enabled bool
	hours   []configs.TimeWindow
}

// at returns the detector rules active at t (enabled and inside their
// active hours), in configuration order.
func (rs *ruleSet) at(t time.Time) []detector.Rule {
	out := make([]detector.Rule, 0, len(rs.rules))
	for _, r := range rs.rules {
		if r.enabled && configs.ActiveAt(r.hours, t, rs.loc) {
			out = append(out, r.det)
		}
	}
	return out
}

// ids lists every rule id, active or not.
func (rs *ruleSet) ids() []string {
	out := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.det.ID
	}
	return out
}

// cameraRules builds a camera's rule set; the global prompt variant and
// batching setting apply unless a rule overrides them.
func cameraRules(cfg *configs.Config, c *configs.Camera) *ruleSet {
	rs := &ruleSet{loc: cfg.Location()}
	for _, r := range c.Rules {
		variant := r.PromptVariant
		if variant == "" {
			variant = cfg.LVLM.PromptVariant
		}
		rs.rules = append(rs.rules, activeRule{
			det: detector.Rule{
				ID:        r.ID,
				Texts:     append([]string(nil), r.Texts...),
				Weights:   detector.Weights{Alpha: r.Weights.Alpha(), Beta: r.Weights.Beta(), Gamma: r.Weights.Gamma()},
				Prompt:    vqa.Prompt{Variant: vqa.Variant(variant), Override: r.Prompt},
				Batch:     cfg.LVLM.Batching,
				Threshold: r.Threshold,
			},
			enabled: r.Enabled,
			hours:   r.ActiveHours,
		})
	}
	return rs
}

// alertRules is how the publisher turns a camera's scores into events.
// Disabled rules are left out: they never score, and removing one ends
// its open event.
func alertRules(c *configs.Camera) []alerts.Rule {
	var out []alerts.Rule
	for _, r := range c.Rules {
		if !r.Enabled {
			continue
		}
		out = append(out, alerts.Rule{
			ID:          r.ID,
			Texts:       append([]string(nil), r.Texts...),
			Threshold:   r.Threshold,
			Hysteresis:  r.Hysteresis,
			CloseAfter:  r.CloseAfter.Std(),
			MinDuration: r.MinDuration.Std(),
			Cooldown:    r.Cooldown.Std(),
			UpdateEvery: r.UpdateEvery.Std(),
			Smoothing:   r.Smoothing,
		})
	}
	return out
}

// alertsConfig is the publisher's configuration: the embedded server's
// store and the spool live in the state directory.
func alertsConfig(cfg *configs.Config) alerts.Config {
	n := cfg.NATS
	ac := alerts.Config{
		Node:            cfg.Global.Node,
		User:            n.User,
		Password:        alerts.Secret(n.Password.Reveal()),
		Token:           alerts.Secret(n.Token.Reveal()),
		NKeySeedFile:    n.NKeySeedFile,
		CredsFile:       n.CredsFile,
		TLSCAFile:       n.TLS.CA,
		TLSCertFile:     n.TLS.Cert,
		TLSKeyFile:      n.TLS.Key,
		SubjectPrefix:   n.SubjectPrefix,
		Stream:          n.Stream,
		MaxAge:          unlimitedIfZero(n.MaxAge.Std()),
		MaxBytes:        int64(n.MaxBytes),
		DuplicateWindow: n.DuplicateWindow.Std(),
		SnapshotBucket:  n.ObjectBucket,
		SnapshotTTL:     unlimitedIfZero(n.ObjectTTL.Std()),
		Embedded: alerts.EmbeddedConfig{
			StateDir: cfg.Global.StateDir,
			Host:     n.Embedded.Host,
			Port:     n.Embedded.Port,
			MQTT:     n.Embedded.MQTT.Enabled,
			MQTTPort: n.Embedded.MQTT.Port,
			User:     n.User,
			Password: alerts.Secret(n.Password.Reveal()),
		},
		SpoolDir:      filepath.Join(cfg.Global.StateDir, "spool"),
		SpoolMaxBytes: int64(n.SpoolMaxBytes),
		// The daemon's deadline covers every stage; the publisher's final
		// flush gets half of it, after ingest and the detector stopped.
		ShutdownTimeout: alertsShutdownTimeout(cfg),
	}
	for _, u := range n.URLs {
		ac.URLs = append(ac.URLs, u.Reveal())
	}
	return ac
}

// unlimitedIfZero maps the config's "0 = unlimited" onto the publisher's
// convention, where 0 selects its default and a negative value is
// unlimited.
func unlimitedIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// alertsShutdownTimeout bounds the publisher's final flush: the half of
// global.shutdown_timeout the daemon keeps for it.
func alertsShutdownTimeout(cfg *configs.Config) time.Duration {
	return cfg.Global.ShutdownTimeout.Std() / 2
}
