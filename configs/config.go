// Package configs is AnyAnomaly's configuration language: the YAML file an
// operator edits, loaded strictly (unknown fields are errors), with
// ${ENV} and systemd-credential substitution, validated so that every
// problem is reported at once with its path and line, and compared with
// the running configuration by Diff for hot reload.
package configs

import "time"

// Config is a whole, loaded configuration file. Build one with Load or
// Parse; a zero Config is not valid.
type Config struct {
	// Global holds process-wide settings.
	Global Global `yaml:"global" json:"global"`
	// LVLM configures the vision-language model endpoints.
	LVLM LVLM `yaml:"lvlm" json:"lvlm"`
	// NATS configures event delivery.
	NATS NATS `yaml:"nats" json:"nats"`
	// Defaults are merged under every camera and rule before validation.
	Defaults Defaults `yaml:"defaults" json:"defaults"`
	// Cameras are the video sources and their rules.
	Cameras []Camera `yaml:"cameras" json:"cameras"`

	// path is the file the config came from ("" when parsed from memory).
	path string
	// lines maps a value's path (as in error messages) to its line.
	lines map[string]int
}

// Path returns the file the configuration was loaded from, or the name
// given to Parse.
func (c *Config) Path() string { return c.path }

// Line returns the line of the value at path (e.g.
// "cameras[0].rules[1].threshold"), falling back to the nearest enclosing
// value present in the file; 0 when unknown.
func (c *Config) Line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := c.lines[p]; ok {
			return l
		}
	}
	return 0
}

// Camera returns the camera with the given id, or nil.
func (c *Config) Camera(id string) *Camera {
	for i := range c.Cameras {
		if c.Cameras[i].ID == id {
			return &c.Cameras[i]
		}
	}
	return nil
}

// EnabledCameras returns the cameras that should run.
func (c *Config) EnabledCameras() []*Camera {
	var out []*Camera
	for i := range c.Cameras {
		if c.Cameras[i].Enabled {
			out = append(out, &c.Cameras[i])
		}
	}
	return out
}

// Secrets returns every credential the configuration holds (camera URL
// passwords, NATS password and token, LVLM URL passwords), so that loggers
// can redact them wherever they appear.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, cam := range c.Cameras {
		add(cam.URL.Password())
	}
	for _, ep := range c.LVLM.Endpoints {
		add(ep.URL.Password())
	}
	for _, u := range c.NATS.URLs {
		add(u.Password())
	}
	add(c.NATS.Password.Reveal())
	add(c.NATS.Token.Reveal())
	return out
}

// Global holds process-wide settings.
type Global struct {
	// Node names this daemon in events and heartbeats; default: the host
	// name with dots replaced by dashes.
	Node string `yaml:"node" json:"node"`
	// StateDir holds the spool and the embedded NATS store.
	StateDir string `yaml:"state_dir" json:"state_dir"`
	// Timezone is the IANA zone in which rules' active hours are read;
	// empty means the system's local zone.
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	// HTTP configures the metrics, health and status server.
	HTTP HTTP `yaml:"http" json:"http"`
	// Log configures logging.
	Log Log `yaml:"log" json:"log"`
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout Duration `yaml:"shutdown_timeout" json:"shutdown_timeout"`
}

// HTTP configures the daemon's HTTP server.
type HTTP struct {
	// Listen is host:port; default 127.0.0.1:9464.
	Listen string `yaml:"listen" json:"listen"`
}

// Log configures the daemon's logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" json:"level"`
	// Format is text or json.
	Format string `yaml:"format" json:"format"`
}

// LVLM configures the vision-language model side.
type LVLM struct {
	// Endpoints are the Ollama servers the detector pool dispatches to.
	Endpoints []Endpoint `yaml:"endpoints" json:"endpoints"`
	// PromptVariant is simple, reasoning, consideration or both.
	PromptVariant string `yaml:"prompt_variant" json:"prompt_variant"`
	// Batching asks about all texts of a camera in one call per context.
	Batching bool `yaml:"batching" json:"batching"`
	// QueueSize bounds the segments waiting for an LVLM call; the oldest
	// is dropped when it is full.
	QueueSize int `yaml:"queue_size" json:"queue_size"`
	// MaxTokens caps the tokens generated per answer (num_predict).
	MaxTokens int `yaml:"max_tokens" json:"max_tokens"`
}

// Endpoint is one Ollama server.
type Endpoint struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:11434.
	URL SecretURL `yaml:"url" json:"url"`
	// Model is a vision model available there, e.g. qwen2.5vl:3b.
	Model string `yaml:"model" json:"model"`
	// Concurrency is how many calls run at once on this endpoint.
	Concurrency int `yaml:"concurrency" json:"concurrency"`
	// Timeout bounds one call, retries included.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// KeepAlive is passed to Ollama (how long the model stays loaded);
	// negative keeps it loaded forever.
	KeepAlive Duration `yaml:"keep_alive" json:"keep_alive"`
	// StructuredOutput requests a JSON {score, reason} answer.
	StructuredOutput bool `yaml:"structured_output" json:"structured_output"`
}

// NATS configures event delivery.
type NATS struct {
	// URLs of an external NATS cluster; empty starts the embedded server.
	URLs []SecretURL `yaml:"urls" json:"urls"`
	// User and Password authenticate with user/password.
	User     string `yaml:"user" json:"user,omitempty"`
	Password Secret `yaml:"password" json:"password,omitempty"`
	// Token authenticates with a token.
	Token Secret `yaml:"token" json:"token,omitempty"`
	// NKeySeedFile is a file holding an NKey seed.
	NKeySeedFile string `yaml:"nkey_seed_file" json:"nkey_seed_file,omitempty"`
	// CredsFile is a .creds file (JWT and seed).
	CredsFile string `yaml:"creds_file" json:"creds_file,omitempty"`
	// TLS configures TLS to the server.
	TLS TLS `yaml:"tls" json:"tls"`
	// SubjectPrefix starts every subject; default anyanomaly.
	SubjectPrefix string `yaml:"subject_prefix" json:"subject_prefix"`
	// Stream is the JetStream stream name; default ANYANOMALY.
	Stream string `yaml:"stream" json:"stream"`
	// MaxAge and MaxBytes bound the stream's retention (0 = unlimited).
	MaxAge   Duration `yaml:"max_age" json:"max_age"`
	MaxBytes ByteSize `yaml:"max_bytes" json:"max_bytes"`
	// DuplicateWindow is JetStream's de-duplication window; it must cover
	// the age of the oldest spooled event.
	DuplicateWindow Duration `yaml:"duplicate_window" json:"duplicate_window"`
	// ObjectBucket stores snapshots; ObjectTTL expires them.
	ObjectBucket string   `yaml:"object_bucket" json:"object_bucket"`
	ObjectTTL    Duration `yaml:"object_ttl" json:"object_ttl"`
	// Embedded configures the in-process server used when URLs is empty.
	Embedded Embedded `yaml:"embedded" json:"embedded"`
	// SpoolMaxBytes bounds the on-disk spool of undelivered events.
	SpoolMaxBytes ByteSize `yaml:"spool_max_bytes" json:"spool_max_bytes"`
}

// TLS holds file names for a TLS client configuration.
type TLS struct {
	// CA verifies the server; Cert and Key authenticate the client.
	CA   string `yaml:"ca" json:"ca,omitempty"`
	Cert string `yaml:"cert" json:"cert,omitempty"`
	Key  string `yaml:"key" json:"key,omitempty"`
}

// Embedded configures the embedded NATS server.
type Embedded struct {
	// Host and Port are where it listens; Port -1 picks a free port.
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port" json:"port"`
	// MQTT enables NATS's MQTT gateway.
	MQTT MQTT `yaml:"mqtt" json:"mqtt"`
}

// MQTT configures the embedded server's MQTT listener.
type MQTT struct {
	// Enabled turns the listener on.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Port of the listener (-1 picks a free port).
	Port int `yaml:"port" json:"port"`
}

// Defaults are merged under every camera (CameraSettings) and rule
// (RuleSettings) before the camera's own values.
type Defaults struct {
	CameraSettings `yaml:",inline"`
	// Rule holds defaults for every rule.
	Rule RuleSettings `yaml:"rule" json:"rule"`
}

// Camera is one video source with its rules.
type Camera struct {
	// ID identifies the camera in subjects, metrics and events
	// ([A-Za-z0-9_-], unique).
	ID string `yaml:"id" json:"id"`
	// Name is a human-readable label.
	Name string `yaml:"name" json:"name,omitempty"`
	// URL is rtsp://, rtsps:// or file://; it prints with the password
	// masked.
	URL SecretURL `yaml:"url" json:"url"`
	// Enabled cameras run; a disabled camera is kept in the file only.
	Enabled        bool `yaml:"enabled" json:"enabled"`
	CameraSettings `yaml:",inline"`
	// Rules are what the camera watches for.
	Rules []Rule `yaml:"rules" json:"rules"`
}

// CameraSettings are the camera options that `defaults` may set.
type CameraSettings struct {
	// Transport is tcp, udp or auto.
	Transport string `yaml:"transport" json:"transport"`
	// HWAccel is none, cuda, vaapi or auto.
	HWAccel string `yaml:"hwaccel" json:"hwaccel"`
	// SampleFPS is the analysis frame rate.
	SampleFPS float64 `yaml:"sample_fps" json:"sample_fps"`
	// Segment shapes the segments.
	Segment Segment `yaml:"segment" json:"segment"`
	// StallTimeout: no decodable frame for this long → reconnect.
	StallTimeout Duration `yaml:"stall_timeout" json:"stall_timeout"`
	// MotionGate skips the LVLM on still scenes.
	MotionGate MotionGate `yaml:"motion_gate" json:"motion_gate"`
}

// Segment is N frames taken every Stride frames.
type Segment struct {
	// Frames is N, the analysed frames per segment.
	Frames int `yaml:"frames" json:"frames"`
	// Stride is how many frames the next segment starts after the
	// previous one (≤ Frames; < Frames overlaps). 0 or unset means
	// Frames: non-overlapping segments.
	Stride int `yaml:"stride" json:"stride"`
}

// MotionGate configures skipping the LVLM for segments without motion.
type MotionGate struct {
	// Enabled turns the gate on.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Threshold is the motion relevance under which a segment is gated.
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// Refresh forces an LVLM call at least this often even without motion.
	Refresh Duration `yaml:"refresh" json:"refresh"`
}

// Rule is one set of texts a camera watches for.
type Rule struct {
	// ID identifies the rule within its camera ([A-Za-z0-9_-], unique).
	ID string `yaml:"id" json:"id"`
	// Texts name the event, e.g. ["person falling"].
	Texts []string `yaml:"texts" json:"texts"`
	// Enabled rules are scored.
	Enabled      bool `yaml:"enabled" json:"enabled"`
	RuleSettings `yaml:",inline"`
	// ActiveHours restrict when the rule is scored; empty means always.
	ActiveHours []TimeWindow `yaml:"active_hours" json:"active_hours,omitempty"`
}

// RuleSettings are the rule options that `defaults.rule` may set.
type RuleSettings struct {
	// Threshold opens an event, in (0,1].
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// Hysteresis: the event closes when the score stays below
	// Threshold×Hysteresis; in (0,1].
	Hysteresis float64 `yaml:"hysteresis" json:"hysteresis"`
	// MinDuration is the shortest event reported.
	MinDuration Duration `yaml:"min_duration" json:"min_duration"`
	// Cooldown must pass after an event ends before the rule opens again.
	Cooldown Duration `yaml:"cooldown" json:"cooldown"`
	// Weights are α, β, γ for frame, position and temporal context; they
	// sum to 1.
	Weights Weights `yaml:"weights" json:"weights"`
	// PromptVariant overrides lvlm.prompt_variant for this rule.
	PromptVariant string `yaml:"prompt_variant" json:"prompt_variant,omitempty"`
	// Prompt replaces the built-in task wording for this rule; empty uses
	// the built-in prompt.
	Prompt string `yaml:"prompt" json:"prompt,omitempty"`
}

// Weights are the fusion weights α (frame), β (position), γ (temporal).
type Weights []float64

// Alpha, Beta and Gamma return the weights (0 when absent).
func (w Weights) Alpha() float64 { return w.at(0) }

// Beta is the position-context weight.
func (w Weights) Beta() float64 { return w.at(1) }

// Gamma is the temporal-context weight.
func (w Weights) Gamma() float64 { return w.at(2) }

func (w Weights) at(i int) float64 {
	if i < len(w) {
		return w[i]
	}
	return 0
}

// Location returns the zone of Global.Timezone (the local zone when
// empty or invalid; Validate reports invalid names).
func (c *Config) Location() *time.Location {
	if c.Global.Timezone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(c.Global.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

// ActiveAt reports whether the rule is enabled and inside its active
// hours at t, read in loc.
func (r *Rule) ActiveAt(t time.Time, loc *time.Location) bool {
	return r.Enabled && ActiveAt(r.ActiveHours, t, loc)
}
