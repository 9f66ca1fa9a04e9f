package daemon

import "time"

// Camera states, the values of CameraStats.State.
const (
	CameraConnecting = "connecting"
	CameraStreaming  = "streaming"
	CameraBackoff    = "backoff"
	CameraFailed     = "failed"
	CameraStopped    = "stopped"
)

// CameraStates lists the states in the order metrics export them.
var CameraStates = []string{CameraConnecting, CameraStreaming, CameraBackoff, CameraFailed, CameraStopped}

// CameraStats is one camera's snapshot, exported as metrics and in
// /api/v1/status. Counters only grow for the life of the daemon (a
// restarted camera keeps counting).
type CameraStats struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// State is one of the Camera* constants.
	State string `json:"state"`
	// LastError is the latest failure (the daemon redacts credentials
	// before it leaves the process).
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when it happened.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Frames counts decoded frames; FramesDropped frames or access units
	// dropped on overflow; DecodeErrors corrupt data.
	Frames        uint64 `json:"frames"`
	FramesDropped uint64 `json:"frames_dropped"`
	DecodeErrors  uint64 `json:"decode_errors"`
	// Reconnects counts connection attempts after the first.
	Reconnects uint64 `json:"reconnects"`
	// Segments counts segments cut; SegmentsGated those the motion gate
	// kept from the LVLM; SegmentsDropped those dropped on overflow.
	Segments        uint64 `json:"segments"`
	SegmentsGated   uint64 `json:"segments_gated"`
	SegmentsDropped uint64 `json:"segments_dropped"`
	// Rules is the per-rule state.
	Rules []RuleStatus `json:"rules,omitempty"`
}

// RuleStatus is one rule's latest score and open event.
type RuleStatus struct {
	ID string `json:"id"`
	// Active is false when the rule is disabled or outside its hours.
	Active bool `json:"active"`
	// LastScore is the latest fused (smoothed) score, at LastScoreAt.
	LastScore   float64   `json:"last_score"`
	LastScoreAt time.Time `json:"last_score_at,omitzero"`
	// Open is the open event, nil when none.
	Open *OpenEvent `json:"open_event,omitempty"`
}

// OpenEvent is an event that has started and not ended.
type OpenEvent struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
	Peak      float64   `json:"peak"`
}

// DetectorStats is the detector pool's snapshot.
type DetectorStats struct {
	// QueueDepth and QueueCapacity describe the bounded queue of segments
	// waiting for the LVLM; Dropped counts segments dropped from it.
	QueueDepth    int    `json:"queue_depth"`
	QueueCapacity int    `json:"queue_capacity"`
	Dropped       uint64 `json:"dropped"`
	// Endpoints has one entry per LVLM endpoint.
	Endpoints []EndpointStats `json:"endpoints"`
}

// EndpointStats is one LVLM endpoint's snapshot.
type EndpointStats struct {
	// URL of the endpoint (the daemon exports only its host:port).
	URL   string `json:"url"`
	Model string `json:"model"`
	// InFlight calls now; Calls completed; Errors failed calls;
	// ParseFailures answers without a usable score.
	InFlight      int    `json:"in_flight"`
	Calls         uint64 `json:"calls"`
	Errors        uint64 `json:"errors"`
	ParseFailures uint64 `json:"parse_failures"`
	// Latency is the call latency distribution, in seconds.
	Latency Histogram `json:"latency"`
}

// Histogram is a cumulative histogram snapshot, as Prometheus exports it.
type Histogram struct {
	// Count and Sum (seconds) over all observations.
	Count uint64  `json:"count"`
	Sum   float64 `json:"sum"`
	// Buckets maps an upper bound (seconds) to the number of observations
	// ≤ it (cumulative).
	Buckets map[float64]uint64 `json:"-"`
}

// PublisherStats is the alerts side's snapshot.
type PublisherStats struct {
	// Connected is true while NATS is connected.
	Connected bool `json:"connected"`
	// Events counts events by kind (started, updated, ended).
	Events map[string]uint64 `json:"events"`
	// Published counts acknowledged publishes; PublishFailures failed
	// attempts (retried from the spool).
	Published       uint64 `json:"published"`
	PublishFailures uint64 `json:"publish_failures"`
	// SpoolDepth and SpoolBytes describe undelivered events on disk;
	// SpoolDropped counts events lost to a full spool.
	SpoolDepth   int    `json:"spool_depth"`
	SpoolBytes   int64  `json:"spool_bytes"`
	SpoolDropped uint64 `json:"spool_dropped"`
}
