package configs

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret is a credential (a password, a token). Printing it in any way —
// fmt verbs, slog, JSON, YAML — shows "***"; only Reveal returns the value.
type Secret string

const masked = "***"

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// String returns "***", or "" for an empty secret so that "not set" stays
// visible.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// GoString masks %#v as well.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format masks every fmt verb, including %x and %q.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue masks the secret in slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the secret in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML masks the secret in YAML.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
