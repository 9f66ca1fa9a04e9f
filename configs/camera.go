package configs

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
	// TLSInsecure accepts an rtsps:// camera's certificate without
	// verifying it (cameras ship self-signed ones); no effect on rtsp://.
	TLSInsecure bool `yaml:"tls_insecure" json:"tls_insecure"`
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
	// Threshold is the motion level, in grey levels (0–255), under which
	// a segment is gated (see detector.GateConfig).
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// Refresh forces an LVLM call at least this often even without motion.
	Refresh Duration `yaml:"refresh" json:"refresh"`
}
