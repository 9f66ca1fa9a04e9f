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
