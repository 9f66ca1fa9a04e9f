package configs

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// SecretURL is a URL that may carry credentials (rtsp://user:pass@host/…).
// Printing it in any way shows the URL with its credentials masked as
// redact.URL masks them (the password replaced by "***");
// Reveal returns the full URL for the code that connects.
type SecretURL string

// Reveal returns the URL with its password.
func (u SecretURL) Reveal() string { return string(u) }

// String returns the URL with the password masked.
func (u SecretURL) String() string { return redact.URL(string(u)) }

// GoString masks %#v as well.
func (u SecretURL) GoString() string { return fmt.Sprintf("%q", u.String()) }

// Format masks every fmt verb.
func (u SecretURL) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", u.String())
		return
	}
	fmt.Fprint(f, u.String())
}

// LogValue masks the URL in slog.
func (u SecretURL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalJSON masks the URL in JSON.
func (u SecretURL) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// MarshalYAML masks the URL in YAML.
func (u SecretURL) MarshalYAML() (any, error) { return u.String(), nil }

// Password returns the URL's password as written (percent-encoding kept),
// or "" when there is none.
func (u SecretURL) Password() string { return redact.Password(string(u)) }

// Credentials returns what String masks, as written: the password, or the
// token of a NATS URL.
func (u SecretURL) Credentials() []string { return redact.Credentials(string(u)) }
