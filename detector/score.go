package detector

import "time"

// ContextScores are the three per-context scores of method §7, each in [0,1].
type ContextScores struct {
	// Frame is the score of the key frame as it is (s_frame).
	Frame float64 `json:"frame"`
	// Position is the score of the position-context image (s_pc).
	Position float64 `json:"position"`
	// Temporal is the score of the temporal-context grid (s_tc).
	Temporal float64 `json:"temporal"`
}

// ContextReasons are the LVLM's one-sentence reasons, per context.
type ContextReasons struct {
	Frame    string `json:"frame,omitempty"`
	Position string `json:"position,omitempty"`
	Temporal string `json:"temporal,omitempty"`
}

// ContextLatencies are the LVLM call latencies, per context (summed over
// texts when a rule has several and batching is off).
type ContextLatencies struct {
	Frame    time.Duration `json:"frame"`
	Position time.Duration `json:"position"`
	Temporal time.Duration `json:"temporal"`
}

// QueryImages are the three JPEG-encoded query images of a segment, kept for
// snapshots.
type QueryImages struct {
	KeyFrame []byte `json:"-"`
	Position []byte `json:"-"`
	Temporal []byte `json:"-"`
}

// SegmentScore is the detector's verdict on one segment for one rule: the
// value that crosses from detector/ to alerts/.
type SegmentScore struct {
	// CameraID and RuleID identify the (camera, rule) pair.
	CameraID string `json:"camera"`
	RuleID   string `json:"rule"`
	// Texts are the rule's texts that were asked about.
	Texts []string `json:"texts"`
	// Seq is the segment's sequence number within its camera.
	Seq uint64 `json:"segment"`
	// Start and End are the wall-clock times of the segment's first and last
	// frame.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// FirstFrame and LastFrame are source frame indices (inclusive), for
	// offline scoring.
	FirstFrame int64 `json:"first_frame"`
	LastFrame  int64 `json:"last_frame"`
	// Score is the fused score α·frame + β·position + γ·temporal.
	Score float64 `json:"score"`
	// Contexts are the per-context scores (max over the rule's texts).
	Contexts ContextScores `json:"contexts"`
	// Reasons are the reasons that came with the winning texts' answers.
	Reasons ContextReasons `json:"reasons"`
	// Gated is true when the motion gate skipped the LVLM for this segment;
	// the scores are then zero.
	Gated bool `json:"gated"`
	// Model is the LVLM that answered.
	Model string `json:"model,omitempty"`
	// Latencies are the LVLM call latencies.
	Latencies ContextLatencies `json:"latencies"`
	// Images are the query images; nil when gated.
	Images QueryImages `json:"-"`
}
