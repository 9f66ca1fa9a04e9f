package configs

// NATS configures event delivery.
type NATS struct {
	// URLs of an external NATS cluster; empty starts the embedded server.
	URLs []SecretURL `yaml:"urls" json:"urls"`
	// User and Password authenticate with user/password.
	User     string `yaml:"user" json:"user,omitempty"`
	Password Secret `yaml:"password" json:"password,omitempty"`
	// Token authenticates with a token.
	Token Secret `yaml:"token" json:"token,omitempty"`
	// NKeySeedFile is a file holding an NKey seed.
	NKeySeedFile string `yaml:"nkey_seed_file" json:"nkey_seed_file,omitempty"`
	// CredsFile is a .creds file (JWT and seed).
	CredsFile string `yaml:"creds_file" json:"creds_file,omitempty"`
	// TLS configures TLS to the server.
	TLS TLS `yaml:"tls" json:"tls"`
	// SubjectPrefix starts every subject; default anyanomaly.
	SubjectPrefix string `yaml:"subject_prefix" json:"subject_prefix"`
	// Stream is the JetStream stream name; default ANYANOMALY.
	Stream string `yaml:"stream" json:"stream"`
	// MaxAge and MaxBytes bound the stream's retention (0 = unlimited).
	MaxAge   Duration `yaml:"max_age" json:"max_age"`
	MaxBytes ByteSize `yaml:"max_bytes" json:"max_bytes"`
	// DuplicateWindow is JetStream's de-duplication window; it must cover
	// the age of the oldest spooled event.
	DuplicateWindow Duration `yaml:"duplicate_window" json:"duplicate_window"`
	// ObjectBucket stores snapshots; ObjectTTL expires them.
	ObjectBucket string   `yaml:"object_bucket" json:"object_bucket"`
	ObjectTTL    Duration `yaml:"object_ttl" json:"object_ttl"`
	// Embedded configures the in-process server used when URLs is empty.
	Embedded Embedded `yaml:"embedded" json:"embedded"`
	// SpoolMaxBytes bounds the on-disk spool of undelivered events.
	SpoolMaxBytes ByteSize `yaml:"spool_max_bytes" json:"spool_max_bytes"`
}

// TLS holds file names for a TLS client configuration.
type TLS struct {
	// CA verifies the server; Cert and Key authenticate the client.
	CA   string `yaml:"ca" json:"ca,omitempty"`
	Cert string `yaml:"cert" json:"cert,omitempty"`
	Key  string `yaml:"key" json:"key,omitempty"`
}

// Embedded configures the embedded NATS server.
type Embedded struct {
	// Host and Port are where it listens; Port -1 picks a free port.
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port" json:"port"`
	// MQTT enables NATS's MQTT gateway.
	MQTT MQTT `yaml:"mqtt" json:"mqtt"`
}

// MQTT configures the embedded server's MQTT listener.
type MQTT struct {
	// Enabled turns the listener on.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Port of the listener (-1 picks a free port).
	Port int `yaml:"port" json:"port"`
}
