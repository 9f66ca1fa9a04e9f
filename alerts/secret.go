package alerts

import "log/slog"

// Secret is a credential (password, token). It prints, logs and marshals as
// "***" so configs and errors can be dumped safely; Value returns the real
// string for the one place that needs it.
type Secret string

const masked = "***"

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String masks the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// GoString masks the secret under %#v too.
func (s Secret) GoString() string { return s.String() }

// LogValue masks the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the secret in JSON dumps.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
