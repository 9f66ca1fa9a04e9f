package configs

import (
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// Allowed values of the enumerated settings.
var (
	LogLevels      = []string{"debug", "info", "warn", "error"}
	LogFormats     = []string{"text", "json"}
	PromptVariants = []string{"simple", "reasoning", "consideration", "both"}
	Transports     = []string{"tcp", "udp", "auto"}
	HWAccels       = []string{"none", "cuda", "vaapi", "auto"}
)

// WeightTolerance is how far α+β+γ may be from 1.
const WeightTolerance = 1e-6

// MaxIDLength bounds camera and rule ids (they become subject tokens and
// metric labels).
const MaxIDLength = 64

// Validate checks every value and returns Errors listing every problem,
// each with its path and (for a loaded file) line, or nil.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.global()
	v.lvlm()
	v.nats()
	v.settings("defaults", &c.Defaults.CameraSettings)
	v.ruleSettings("defaults.rule", &c.Defaults.Rule)
	defaultsErrs := map[string]bool{}
	for _, e := range v.errs {
		defaultsErrs[e.Path] = true
	}
	v.inherited = defaultsErrs
	v.cameras()
	return v.errs.errOrNil()
}

type validator struct {
	c    *Config
	errs Errors
	// inherited holds the paths of errors already reported under
	// defaults; a camera inheriting the same bad value is not reported
	// again.
	inherited map[string]bool
}

func (v *validator) add(path, format string, a ...any) {
	v.errs = append(v.errs, FieldError{Path: path, Line: v.c.Line(path), Msg: fmt.Sprintf(format, a...)})
}

// addCamera reports a problem of a camera or rule value at path, whose
// equivalent under defaults is defPath; it is dropped when the value was
// not written in the camera and defaults already has the same problem.
func (v *validator) addCamera(path, defPath, format string, a ...any) {
	if v.c.lines != nil {
		if _, written := v.c.lines[path]; !written && v.inherited[defPath] {
			return
		}
	}
	v.add(path, format, a...)
}

func oneOf(s string, allowed []string) bool { return slices.Contains(allowed, s) }

func (v *validator) enum(path, s string, allowed []string) {
	if !oneOf(s, allowed) {
		v.add(path, "%q is not one of %s", s, strings.Join(allowed, ", "))
	}
}

func (v *validator) global() {
	g := &v.c.Global
	if err := ValidateID(g.Node); err != nil {
		v.add("global.node", "%v", err)
	}
	if g.StateDir == "" || !filepath.IsAbs(g.StateDir) {
		v.add("global.state_dir", "must be an absolute path, got %q", g.StateDir)
	}
	if g.Timezone != "" {
		if _, err := time.LoadLocation(g.Timezone); err != nil {
			v.add("global.timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", g.Timezone)
		}
	}
	if err := validListen(g.HTTP.Listen); err != nil {
		v.add("global.http.listen", "%v", err)
	}
	v.enum("global.log.level", g.Log.Level, LogLevels)
	v.enum("global.log.format", g.Log.Format, LogFormats)
	if g.ShutdownTimeout <= 0 {
		v.add("global.shutdown_timeout", "must be positive, got %s", g.ShutdownTimeout)
	}
}

func validListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9464)", s)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: invalid host", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port must be 0-65535", s)
	}
	return nil
}

func (v *validator) lvlm() {
	l := &v.c.LVLM
	if len(l.Endpoints) == 0 {
		v.add("lvlm.endpoints", "at least one endpoint is required")
	}
	for i, ep := range l.Endpoints {
		p := joinIndex("lvlm.endpoints", i)
		if u, err := redact.ParseURL(ep.URL.Reveal()); err != nil {
			v.add(p+".url", "%v", err)
		} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", "%q: want http://host:port or https://host:port", ep.URL)
		}
		if strings.TrimSpace(ep.Model) == "" {
			v.add(p+".model", "required (a vision model, e.g. %s)", DefaultLVLMModel)
		}
		if ep.Concurrency < 1 || ep.Concurrency > 64 {
			v.add(p+".concurrency", "must be 1-64, got %d", ep.Concurrency)
		}
		if ep.Timeout <= 0 {
			v.add(p+".timeout", "must be positive, got %s", ep.Timeout)
		}
		// Ollama reads 0 as "unload after every answer": each question
		// would load the model again, seconds a call.
		if ep.KeepAlive >= 0 && ep.KeepAlive < Duration(time.Second) {
			// Ollama reads keep_alive in whole seconds: 500ms is 0.
			v.add(p+".keep_alive", "must not be under 1s, got %s (Ollama counts whole seconds and would unload the model after every call); a duration such as 10m, or negative to keep it loaded", time.Duration(ep.KeepAlive))
		}
	}
	v.enum("lvlm.prompt_variant", l.PromptVariant, PromptVariants)
	if l.QueueSize < 1 || l.QueueSize > 100000 {
		v.add("lvlm.queue_size", "must be 1-100000, got %d", l.QueueSize)
	}
	if l.MaxTokens < 1 || l.MaxTokens > 8192 {
		v.add("lvlm.max_tokens", "must be 1-8192, got %d", l.MaxTokens)
	}
}

func (v *validator) nats() {
	n := &v.c.NATS
	for i, raw := range n.URLs {
		p := joinIndex("nats.urls", i)
		if strings.Contains(raw.Reveal(), ",") {
			// nats.go would read a comma-separated list here, but every
			// tool that masks or checks one URL would not.
			v.add(p, "one server per list entry: write urls: [nats://a:4222, nats://b:4222]")
			continue
		}
		u, err := redact.ParseURL(raw.Reveal())
		if err != nil {
			v.add(p, "%v", err)
			continue
		}
		if !oneOf(u.Scheme, []string{"nats", "tls", "ws", "wss"}) || u.Host == "" {
			v.add(p, "%q: want nats://host:4222 (or tls://, ws://, wss://)", raw)
		}
	}
	methods := 0
	for _, set := range []bool{n.User != "" || n.Password != "", n.Token != "", n.NKeySeedFile != "", n.CredsFile != ""} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		v.add("nats", "choose one authentication method: user/password, token, nkey_seed_file or creds_file")
	}
	if (n.User == "") != (n.Password == "") {
		v.add("nats.password", "user and password must be given together")
	}
	if len(n.URLs) == 0 {
		for path, set := range map[string]bool{"nats.token": n.Token != "", "nats.nkey_seed_file": n.NKeySeedFile != "", "nats.creds_file": n.CredsFile != "", "nats.tls": n.TLS != (TLS{})} {
			if set {
				v.add(path, "only used with an external server (nats.urls); the embedded server supports user/password only")
			}
		}
	}
	if (n.TLS.Cert == "") != (n.TLS.Key == "") {
		v.add("nats.tls", "cert and key must be given together")
	}
	if err := ValidateSubjectPrefix(n.SubjectPrefix); err != nil {
		v.add("nats.subject_prefix", "%v", err)
	}
	if err := ValidateID(n.Stream); err != nil {
		v.add("nats.stream", "%v", err)
	}
	if err := ValidateID(n.ObjectBucket); err != nil {
		v.add("nats.object_bucket", "%v", err)
	}
	if n.MaxAge < 0 {
		v.add("nats.max_age", "must not be negative (0 = unlimited)")
	}
	if n.ObjectTTL < 0 {
		v.add("nats.object_ttl", "must not be negative (0 = unlimited)")
	}
	if n.DuplicateWindow <= 0 {
		v.add("nats.duplicate_window", "must be positive, got %s", n.DuplicateWindow)
	} else if n.MaxAge > 0 && n.DuplicateWindow > n.MaxAge {
		v.add("nats.duplicate_window", "%s is longer than nats.max_age %s", n.DuplicateWindow, n.MaxAge)
	}
	if n.Embedded.Host == "" {
		v.add("nats.embedded.host", "required (e.g. 127.0.0.1)")
	}
	validPort := func(p int) bool { return p == -1 || (p >= 1 && p <= 65535) }
	if !validPort(n.Embedded.Port) {
		v.add("nats.embedded.port", "must be 1-65535 (or -1 for any free port), got %d", n.Embedded.Port)
	}
	if !validPort(n.Embedded.MQTT.Port) {
		v.add("nats.embedded.mqtt.port", "must be 1-65535 (or -1 for any free port), got %d", n.Embedded.MQTT.Port)
	} else if n.Embedded.MQTT.Enabled && n.Embedded.MQTT.Port == n.Embedded.Port && n.Embedded.Port != -1 {
		v.add("nats.embedded.mqtt.port", "must differ from nats.embedded.port (%d)", n.Embedded.Port)
	}
	if len(n.URLs) == 0 {
		v.portClash("nats.embedded.port", n.Embedded.Host, n.Embedded.Port)
		if n.Embedded.MQTT.Enabled {
			v.portClash("nats.embedded.mqtt.port", n.Embedded.Host, n.Embedded.MQTT.Port)
		}
	}
	if n.SpoolMaxBytes < 1<<20 {
		v.add("nats.spool_max_bytes", "must be at least 1MiB, got %s", n.SpoolMaxBytes)
	}
}

// portClash reports an embedded server port that global.http.listen binds
// too: config check would pass, and the daemon would report ready and then
// fail when the server cannot listen.
func (v *validator) portClash(path, host string, port int) {
	h, p, err := net.SplitHostPort(v.c.Global.HTTP.Listen)
	if err != nil || port <= 0 || p != strconv.Itoa(port) {
		return
	}
	a, b := listenHost(h), listenHost(host)
	// "localhost" binds one loopback address; two different literal
	// addresses (127.0.0.1 and ::1, or 127.0.0.2) never collide.
	loop := func(x, y string) bool { return x == "localhost" && (y == "127.0.0.1" || y == "::1") }
	if a == b || a == "*" || b == "*" || loop(a, b) || loop(b, a) {
		v.add(path, "port %d is also the port of global.http.listen (%s)", port, v.c.Global.HTTP.Listen)
	}
}

// listenHost reduces a listen host to what decides whether two listeners
// on one port collide: "*" for every address, "loopback" for localhost.
func listenHost(h string) string {
	if h == "" {
		return "*"
	}
	if ip := net.ParseIP(h); ip != nil {
		if ip.IsUnspecified() {
			return "*"
		}
		return ip.String()
	}
	return strings.ToLower(h)
}

// settings checks camera settings written under prefix (a camera or
// "defaults"); def is the matching defaults prefix for addCamera.
func (v *validator) settings(prefix string, s *CameraSettings) {
	add := func(rel, format string, a ...any) {
		v.addCamera(joinKey(prefix, rel), joinKey("defaults", rel), format, a...)
	}
	if !oneOf(s.Transport, Transports) {
		add("transport", "%q is not one of %s", s.Transport, strings.Join(Transports, ", "))
	}
	if !oneOf(s.HWAccel, HWAccels) {
		add("hwaccel", "%q is not one of %s", s.HWAccel, strings.Join(HWAccels, ", "))
	}
	if !(s.SampleFPS > 0 && s.SampleFPS <= 120) {
		add("sample_fps", "must be in (0,120], got %g", s.SampleFPS)
	}
	if s.Segment.Frames < 4 || s.Segment.Frames > 1024 {
		add("segment.frames", "must be 4-1024 (key frames are chosen from 4 groups), got %d", s.Segment.Frames)
	}
	if s.Segment.Stride < 1 {
		add("segment.stride", "must be at least 1, got %d", s.Segment.Stride)
	} else if s.Segment.Stride > s.Segment.Frames {
		add("segment.stride", "must be ≤ segment.frames (%d), got %d", s.Segment.Frames, s.Segment.Stride)
	}
	if s.StallTimeout <= 0 {
		add("stall_timeout", "must be positive, got %s", s.StallTimeout)
	}
	if s.MotionGate.Threshold < 0 || math.IsNaN(s.MotionGate.Threshold) {
		add("motion_gate.threshold", "must not be negative, got %g", s.MotionGate.Threshold)
	}
	if s.MotionGate.Refresh < 0 {
		add("motion_gate.refresh", "must not be negative (0 = never forced), got %s", s.MotionGate.Refresh)
	}
}

func (v *validator) ruleSettings(prefix string, r *RuleSettings) {
	add := func(rel, format string, a ...any) {
		v.addCamera(joinKey(prefix, rel), joinKey("defaults.rule", rel), format, a...)
	}
	if !(r.Threshold > 0 && r.Threshold <= 1) {
		add("threshold", "must be in (0,1], got %g", r.Threshold)
	}
	if !(r.Hysteresis > 0 && r.Hysteresis <= 1) {
		add("hysteresis", "must be in (0,1], got %g", r.Hysteresis)
	}
	if r.MinDuration < 0 {
		add("min_duration", "must not be negative, got %s", r.MinDuration)
	}
	if r.Cooldown < 0 {
		add("cooldown", "must not be negative, got %s", r.Cooldown)
	}
	if r.CloseAfter < 0 {
		add("close_after", "must not be negative, got %s", r.CloseAfter)
	}
	if r.Smoothing < 1 || r.Smoothing > 100 {
		add("smoothing", "must be 1-100 segments, got %d", r.Smoothing)
	}
	if r.UpdateEvery == 0 {
		add("update_every", "must not be 0 (negative: only when the peak rises)")
	}
	if err := r.Weights.Validate(); err != nil {
		add("weights", "%v", err)
	}
	if r.PromptVariant != "" && !oneOf(r.PromptVariant, PromptVariants) {
		add("prompt_variant", "%q is not one of %s", r.PromptVariant, strings.Join(PromptVariants, ", "))
	}
	if len(r.Prompt) > 4000 {
		add("prompt", "longer than 4000 bytes")
	}
}

// Validate checks that there are three weights in [0,1] summing to 1.
func (w Weights) Validate() error {
	if len(w) != 3 {
		return fmt.Errorf("want three weights [α, β, γ] (frame, position, temporal), got %d", len(w))
	}
	sum := 0.0
	for _, x := range w {
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("each weight must be in [0,1], got %v", []float64(w))
		}
		sum += x
	}
	if math.Abs(sum-1) > WeightTolerance {
		return fmt.Errorf("must sum to 1 (±%g), got %v summing to %.6g", WeightTolerance, []float64(w), sum)
	}
	return nil
}

func (v *validator) cameras() {
	if len(v.c.Cameras) == 0 {
		v.add("cameras", "at least one camera is required")
	}
	seen := map[string]string{}
	for i := range v.c.Cameras {
		cam := &v.c.Cameras[i]
		p := joinIndex("cameras", i)
		if err := ValidateID(cam.ID); err != nil {
			v.add(p+".id", "%v", err)
		} else if first, dup := seen[cam.ID]; dup {
			v.add(p+".id", "duplicate camera id %q (also %s, line %d)", cam.ID, first, v.c.Line(first+".id"))
		} else {
			seen[cam.ID] = p
		}
		v.cameraURL(p+".url", cam.URL)
		v.settings(p, &cam.CameraSettings)
		if len(cam.Rules) == 0 {
			v.add(p+".rules", "at least one rule is required")
		}
		ruleSeen := map[string]string{}
		for j := range cam.Rules {
			r := &cam.Rules[j]
			rp := joinIndex(p+".rules", j)
			if err := ValidateID(r.ID); err != nil {
				v.add(rp+".id", "%v", err)
			} else if first, dup := ruleSeen[r.ID]; dup {
				v.add(rp+".id", "duplicate rule id %q in camera %q (also %s, line %d)", r.ID, cam.ID, first, v.c.Line(first+".id"))
			} else {
				ruleSeen[r.ID] = rp
			}
			if len(r.Texts) == 0 {
				v.add(rp+".texts", "at least one text is required (e.g. [\"person falling\"])")
			}
			for k, t := range r.Texts {
				if strings.TrimSpace(t) == "" {
					v.add(joinIndex(rp+".texts", k), "must not be empty")
				} else if len(t) > 200 {
					v.add(joinIndex(rp+".texts", k), "longer than 200 bytes")
				}
			}
			v.ruleSettings(rp, &r.RuleSettings)
			// A prompt without {text} asks the same question for every
			// text, and a batched answer's keys would be items the
			// prompt never lists: only a one-text rule, unbatched, may
			// spell its question out in full.
			if r.Prompt != "" && !strings.Contains(r.Prompt, "{text}") {
				// An inherited prompt is written in defaults.rule.
				from := ""
				if _, written := v.c.lines[rp+".prompt"]; v.c.lines != nil && !written {
					from = fmt.Sprintf(" (the prompt comes from defaults.rule.prompt, line %d)", v.c.Line("defaults.rule.prompt"))
				}
				switch {
				case len(r.Texts) > 1:
					v.add(rp+".prompt", "must contain {text}: the rule has %d texts and each is asked about separately%s", len(r.Texts), from)
				case v.c.LVLM.Batching:
					v.add(rp+".prompt", "must contain {text} with lvlm.batching on: a batched question lists its texts there%s", from)
				}
			}
		}
	}
}

func (v *validator) cameraURL(path string, raw SecretURL) {
	if raw == "" {
		v.add(path, "required (rtsp://host/path, rtsps://… or file:///path)")
		return
	}
	u, err := redact.ParseURL(raw.Reveal())
	if err != nil {
		v.add(path, "%v", err)
		return
	}
	switch u.Scheme {
	case "rtsp", "rtsps":
		if u.Host == "" {
			v.add(path, "%q: missing host", raw)
		}
	case "file":
		if u.Path == "" && u.Opaque == "" {
			v.add(path, "%q: missing path (file:///path/to/clip.mp4)", raw)
		}
	default:
		v.add(path, "%q: scheme must be rtsp, rtsps or file", raw)
	}
}

func isIDRune(r rune) bool {
	return r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// ValidateID checks a camera id, rule id, node name, stream or bucket
// name: 1-64 characters from [A-Za-z0-9_-], so it is safe as a NATS
// subject token, a metric label and a file name.
func ValidateID(s string) error {
	if s == "" {
		return fmt.Errorf("required ([A-Za-z0-9_-], up to %d characters)", MaxIDLength)
	}
	if len(s) > MaxIDLength {
		return fmt.Errorf("%q is longer than %d characters", s, MaxIDLength)
	}
	for _, r := range s {
		if !isIDRune(r) {
			return fmt.Errorf("%q contains %q; use only letters, digits, '_' and '-'", s, r)
		}
	}
	return nil
}

// ValidateSubjectPrefix checks a NATS subject prefix: dot-separated
// non-empty tokens without white space or wildcards.
func ValidateSubjectPrefix(s string) error {
	if s == "" {
		return fmt.Errorf("required (e.g. %s)", DefaultSubjectPrefix)
	}
	for _, tok := range strings.Split(s, ".") {
		// "/", "+" and "#" would break the MQTT topics the subjects map to.
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n/+#") {
			return fmt.Errorf("%q: want dot-separated tokens without spaces, wildcards or / + #", s)
		}
	}
	return nil
}
