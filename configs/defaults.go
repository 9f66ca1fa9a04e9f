package configs

import "time"

// Default values; the configuration reference (docs/config.md) lists them.
const (
	DefaultStateDir      = "/var/lib/anyanomaly"
	DefaultHTTPListen    = "127.0.0.1:9464"
	DefaultSubjectPrefix = "anyanomaly"
	DefaultStream        = "ANYANOMALY"
	DefaultObjectBucket  = "anyanomaly-snapshots"
	DefaultLVLMURL       = "http://127.0.0.1:11434"
	DefaultLVLMModel     = "qwen2.5vl:3b"
)

// Default returns the configuration that an empty file would give, before
// any camera is added. Load starts from it.
func Default() *Config {
	return &Config{
		Global: Global{
			StateDir:        DefaultStateDir,
			HTTP:            HTTP{Listen: DefaultHTTPListen},
			Log:             Log{Level: "info", Format: "text"},
			ShutdownTimeout: Duration(10 * time.Second),
		},
		LVLM: LVLM{
			Endpoints:     []Endpoint{defaultEndpoint()},
			PromptVariant: "both",
			QueueSize:     32,
			MaxTokens:     128,
		},
		NATS: NATS{
			SubjectPrefix:   DefaultSubjectPrefix,
			Stream:          DefaultStream,
			MaxAge:          Duration(7 * 24 * time.Hour),
			MaxBytes:        1 << 30,
			DuplicateWindow: Duration(24 * time.Hour),
			ObjectBucket:    DefaultObjectBucket,
			ObjectTTL:       Duration(7 * 24 * time.Hour),
			Embedded:        Embedded{Host: "127.0.0.1", Port: 4222, MQTT: MQTT{Port: 1883}},
			SpoolMaxBytes:   256 << 20,
		},
		Defaults: Defaults{
			CameraSettings: CameraSettings{
				Transport:    "auto",
				HWAccel:      "auto",
				SampleFPS:    4,
				Segment:      Segment{Frames: 24},
				StallTimeout: Duration(10 * time.Second),
				MotionGate:   MotionGate{Enabled: true, Threshold: 6, Refresh: Duration(time.Minute)},
			},
			Rule: RuleSettings{
				Threshold:   0.6,
				Hysteresis:  0.8,
				MinDuration: 0,
				Cooldown:    Duration(time.Minute),
				Smoothing:   1,
				UpdateEvery: Duration(30 * time.Second),
				Weights:     Weights{0.5, 0.3, 0.2},
			},
		},
	}
}

// defaultEndpoint is the local Ollama, also the starting point of every
// endpoint written in the file.
func defaultEndpoint() Endpoint {
	return Endpoint{
		URL:              DefaultLVLMURL,
		Model:            DefaultLVLMModel,
		Concurrency:      1,
		Timeout:          Duration(60 * time.Second),
		KeepAlive:        Duration(10 * time.Minute),
		StructuredOutput: true,
	}
}

// newCamera is the starting point of every camera: the file's defaults.
func (d *Defaults) newCamera() Camera {
	s := d.CameraSettings
	return Camera{Enabled: true, CameraSettings: s}
}

// newRule is the starting point of every rule: the file's rule defaults.
func (d *Defaults) newRule() Rule {
	s := d.Rule
	s.Weights = append(Weights(nil), d.Rule.Weights...)
	return Rule{Enabled: true, RuleSettings: s}
}
