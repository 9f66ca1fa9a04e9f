package alerts

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// Config configures the publisher. The zero value plus a node name and a
// state directory is a working embedded setup; WithDefaults fills the rest.
// The configs package mirrors it field for field in YAML.
type Config struct {
	// Node names this daemon in heartbeats and events; a subject token.
	Node string

	// URLs of external NATS servers ("nats://host:4222", "tls://..."). Empty
	// starts the embedded server instead.
	URLs []string
	// User and Password authenticate with user/password.
	User     string
	Password Secret
	// Token authenticates with a token.
	Token Secret
	// NKeySeedFile is a file holding an NKey user seed ("SU...").
	NKeySeedFile string
	// CredsFile is a JWT .creds file (decentralised auth).
	CredsFile string
	// TLSCAFile verifies the server; TLSCertFile and TLSKeyFile present a
	// client certificate. Any of them turns TLS on.
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
	// ReconnectWait is the first reconnect delay; it doubles up to
	// ReconnectMaxWait (with jitter). Reconnection never gives up.
	ReconnectWait    time.Duration
	ReconnectMaxWait time.Duration

	// SubjectPrefix starts every subject (default "anyanomaly").
	SubjectPrefix string
	// Stream is the JetStream stream name (default "ANYANOMALY").
	Stream string
	// MaxAge and MaxBytes bound the stream. MaxAge 0 means the default
	// (7 days) and a negative value unlimited; MaxBytes 0 means unlimited.
	MaxAge   time.Duration
	MaxBytes int64
	// DuplicateWindow is how long the stream remembers Nats-Msg-Id values.
	// Replayed spool records are deduplicated within it, so it must cover
	// the longest outage for which exactly-once is promised (default 24h).
	DuplicateWindow time.Duration

	// SnapshotBucket is the Object Store bucket for snapshots (default
	// "anyanomaly-snapshots"); SnapshotTTL expires them (0: default 7
	// days; negative: never).
	// Snapshots are off when DisableSnapshots is set.
	SnapshotBucket   string
	SnapshotTTL      time.Duration
	DisableSnapshots bool

	// Embedded configures the server started when URLs is empty.
	Embedded EmbeddedConfig

	// SpoolDir holds the on-disk spool (required). SpoolMaxBytes and
	// SpoolMaxRecords bound it (defaults 256 MiB, 100000).
	SpoolDir        string
	SpoolMaxBytes   int64
	SpoolMaxRecords int

	// MaxInFlight bounds unacknowledged JetStream publishes (default 1024).
	MaxInFlight int
	// AckTimeout fails a publish that gets no ack in time (default 5s).
	AckTimeout time.Duration
	// HeartbeatInterval is the heartbeat period (default 10s; negative: off).
	HeartbeatInterval time.Duration
	// StaleAfter ends an open event whose camera sent no score for this long
	// (wall clock; default 2m).
	StaleAfter time.Duration
	// ShutdownTimeout bounds the final flush (default 5s).
	ShutdownTimeout time.Duration
}

// EmbeddedConfig configures the embedded nats-server.
type EmbeddedConfig struct {
	// StateDir holds JetStream's store (<StateDir>/jetstream). Required when
	// the embedded server runs.
	StateDir string
	// Host and Port to listen on (defaults 127.0.0.1 and 4222; Port -1
	// picks a free port, for tests).
	Host string
	Port int
	// MQTT turns on the MQTT listener on MQTTPort (default 1883; -1 picks a
	// free port). It listens on Host too.
	MQTT     bool
	MQTTPort int
	// User and Password, when set, are required from clients (NATS and
	// MQTT) and used by the publisher itself.
	User     string
	Password Secret
}

// Defaults.
const (
	DefaultSubjectPrefix  = "anyanomaly"
	DefaultStream         = "ANYANOMALY"
	DefaultSnapshotBucket = "anyanomaly-snapshots"
)

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	set(&c.MaxAge, 7*24*time.Hour)
	set(&c.DuplicateWindow, 24*time.Hour)
	if c.SnapshotBucket == "" {
		c.SnapshotBucket = DefaultSnapshotBucket
	}
	set(&c.SnapshotTTL, 7*24*time.Hour)
	set(&c.ReconnectWait, 250*time.Millisecond)
	set(&c.ReconnectMaxWait, 10*time.Second)
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = 256 << 20
	}
	if c.SpoolMaxRecords == 0 {
		c.SpoolMaxRecords = 100000
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	set(&c.AckTimeout, 5*time.Second)
	set(&c.HeartbeatInterval, 10*time.Second)
	set(&c.StaleAfter, 2*time.Minute)
	set(&c.ShutdownTimeout, 5*time.Second)
	if c.Embedded.Host == "" {
		c.Embedded.Host = "127.0.0.1"
	}
	if c.Embedded.Port == 0 {
		c.Embedded.Port = 4222
	}
	if c.Embedded.MQTTPort == 0 {
		c.Embedded.MQTTPort = 1883
	}
	return c
}

// Validate reports every problem in c (after WithDefaults) at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := ValidateToken("node", c.Node); err != nil {
		add("alerts: %w", err)
	}
	if err := ValidatePrefix(c.SubjectPrefix); err != nil {
		add("alerts: %w", err)
	}
	if c.Stream == "" || strings.ContainsAny(c.Stream, ".*> \t/\\") {
		add("alerts: stream name %q: must be non-empty without dots, spaces, wildcards or slashes", c.Stream)
	}
	if c.SnapshotBucket == "" || strings.ContainsAny(c.SnapshotBucket, ".*> \t/\\") {
		add("alerts: snapshot bucket %q: must be non-empty without dots, spaces, wildcards or slashes", c.SnapshotBucket)
	}
	for _, u := range c.URLs {
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			add("alerts: NATS URL %q: not a URL like nats://host:4222", redact.URL(u))
		}
	}
	if c.MaxBytes < 0 || c.DuplicateWindow < 0 {
		add("alerts: max bytes and duplicate window must not be negative")
	}
	if c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge {
		add("alerts: duplicate window %s is longer than the stream's max age %s", c.DuplicateWindow, c.MaxAge)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		add("alerts: TLS client certificate and key must be given together")
	}
	if c.SpoolDir == "" {
		add("alerts: spool directory is required")
	}
	if c.SpoolMaxBytes < 1<<10 || c.SpoolMaxRecords < 1 {
		add("alerts: spool limits too small (max bytes %d, max records %d)", c.SpoolMaxBytes, c.SpoolMaxRecords)
	}
	if c.MaxInFlight < 1 || c.AckTimeout <= 0 || c.ShutdownTimeout <= 0 || c.StaleAfter <= 0 {
		add("alerts: max in flight, ack timeout, stale-after and shutdown timeout must be positive")
	}
	if c.ReconnectWait <= 0 || c.ReconnectMaxWait < c.ReconnectWait {
		add("alerts: reconnect wait %s / max %s: need 0 < wait <= max", c.ReconnectWait, c.ReconnectMaxWait)
	}
	if len(c.URLs) == 0 {
		e := c.Embedded
		if e.StateDir == "" {
			add("alerts: embedded server (no NATS URL configured) needs a state directory")
		}
		if e.Port < -1 || e.Port > 65535 || (e.MQTT && (e.MQTTPort < -1 || e.MQTTPort > 65535)) {
			add("alerts: embedded server port %d / MQTT port %d out of range", e.Port, e.MQTTPort)
		}
	}
	return errors.Join(errs...)
}
