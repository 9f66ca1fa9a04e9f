package alerts

import (
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
)

// SchemaVersion is the version of the event payload; it changes only when
// a field changes meaning or disappears (new optional fields keep it).
const SchemaVersion = 1

// Event kinds.
const (
	KindStarted = "started"
	KindUpdated = "updated"
	KindEnded   = "ended"
)

// Header names set on every event message (besides Nats-Msg-Id).
const (
	HeaderKind    = "Anyanomaly-Kind"
	HeaderEventID = "Anyanomaly-Event-Id"
)

// Event is the JSON payload on <prefix>.events.<camera>.<rule>. One
// anomaly is one event id with a `started` message, zero or more `updated`
// and one `ended`; Seq numbers the messages of one event from 0.
// schema/event.schema.json describes it.
type Event struct {
	SchemaVersion int `json:"schema_version"`
	// ID is the event id: 26 characters, unique, sortable by start time.
	ID string `json:"id"`
	// Seq numbers this event's messages (0 = started).
	Seq  int    `json:"seq"`
	Kind string `json:"kind"`
	// Camera and CameraName identify the camera.
	Camera     string `json:"camera"`
	CameraName string `json:"camera_name,omitempty"`
	// Rule and Texts identify the rule.
	Rule  string   `json:"rule"`
	Texts []string `json:"texts"`
	// Score is the smoothed score at this message; Peak the highest
	// smoothed score of the event so far.
	Score float64 `json:"score"`
	Peak  float64 `json:"peak"`
	// Contexts are the latest segment's per-context scores.
	Contexts detector.ContextScores `json:"contexts"`
	// Reason is the LVLM's reason from the highest-scoring context; Reasons
	// has all three.
	Reason  string                  `json:"reason,omitempty"`
	Reasons detector.ContextReasons `json:"reasons"`
	// EndReason says why an event ended ("score below threshold",
	// "rule removed", "camera removed", "no scores", "clock changed",
	// "shutdown", "daemon restarted").
	EndReason string `json:"end_reason,omitempty"`
	// Time is the wall-clock time this message describes (the end of the
	// latest segment).
	Time time.Time `json:"time"`
	// StartedAt is the first frame's time of the first segment at or above
	// the threshold; EndedAt (ended only) is the last frame's time of the
	// last segment above the closing level.
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// Segments is the span of segment sequence numbers seen so far.
	Segments SegmentSpan `json:"segments"`
	Model    string      `json:"model,omitempty"`
	Node     string      `json:"node"`
	// Snapshots names the Object Store objects of this message (started,
	// and updated on a peak rise), or is absent.
	Snapshots *Snapshots `json:"snapshots,omitempty"`
}

// SegmentSpan is a range of segment sequence numbers.
type SegmentSpan struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// Snapshots are the object names of a message's JPEG images in Bucket.
type Snapshots struct {
	Bucket   string `json:"bucket"`
	KeyFrame string `json:"key_frame,omitempty"`
	Position string `json:"position,omitempty"`
	Temporal string `json:"temporal,omitempty"`
}

// Status is the JSON payload on <prefix>.status.<camera>.
type Status struct {
	SchemaVersion int       `json:"schema_version"`
	Camera        string    `json:"camera"`
	CameraName    string    `json:"camera_name,omitempty"`
	State         string    `json:"state"`
	Reason        string    `json:"reason,omitempty"`
	Time          time.Time `json:"time"`
	Node          string    `json:"node"`
}

// Heartbeat is the JSON payload on <prefix>.heartbeat.<node>.
type Heartbeat struct {
	SchemaVersion int       `json:"schema_version"`
	Node          string    `json:"node"`
	Time          time.Time `json:"time"`
	UptimeSeconds float64   `json:"uptime_s"`
	OpenEvents    int       `json:"open_events"`
	SpoolRecords  int       `json:"spool_records"`
}

// topReason picks the reason of the highest-scoring context.
func topReason(c detector.ContextScores, r detector.ContextReasons) string {
	best, reason := -1.0, ""
	for _, p := range []struct {
		s float64
		r string
	}{{c.Frame, r.Frame}, {c.Position, r.Position}, {c.Temporal, r.Temporal}} {
		if p.r != "" && p.s > best {
			best, reason = p.s, p.r
		}
	}
	return reason
}
