package configs

// Global holds process-wide settings.
type Global struct {
	// Node names this daemon in events and heartbeats; default: the host
	// name with dots replaced by dashes.
	Node string `yaml:"node" json:"node"`
	// StateDir holds the spool and the embedded NATS store.
	StateDir string `yaml:"state_dir" json:"state_dir"`
	// Timezone is the IANA zone in which rules' active hours are read;
	// empty means the system's local zone.
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	// HTTP configures the metrics, health and status server.
	HTTP HTTP `yaml:"http" json:"http"`
	// Log configures logging.
	Log Log `yaml:"log" json:"log"`
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout Duration `yaml:"shutdown_timeout" json:"shutdown_timeout"`
}

// HTTP configures the daemon's HTTP server.
type HTTP struct {
	// Listen is host:port; default 127.0.0.1:9464.
	Listen string `yaml:"listen" json:"listen"`
}

// Log configures the daemon's logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" json:"level"`
	// Format is text or json.
	Format string `yaml:"format" json:"format"`
}
