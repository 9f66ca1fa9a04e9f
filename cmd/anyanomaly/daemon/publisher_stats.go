package daemon

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
