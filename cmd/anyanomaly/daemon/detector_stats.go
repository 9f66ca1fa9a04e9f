package daemon

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
