package rtsp

import (
	"fmt"
	"net/url"
	"strings"
)

// MaskURL returns raw with any password replaced by "***", for logs,
// errors and metrics. Unparseable input is reduced to its scheme.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i > 0 {
			return raw[:i] + "://***"
		}
		return "***"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
	}
	// url.String escapes the asterisks; undo it for readability.
	return strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
}

// redactor removes a URL's password from arbitrary text (error messages
// from libraries that may echo what they were given).
type redactor struct{ secret string }

func newRedactor(raw string) redactor {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return redactor{}
	}
	p, _ := u.User.Password()
	return redactor{secret: p}
}

func (r redactor) clean(s string) string {
	if r.secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, r.secret, "***")
	if esc := url.QueryEscape(r.secret); esc != r.secret {
		s = strings.ReplaceAll(s, esc, "***")
	}
	return s
}

// redactedError keeps the wrapped error for errors.Is/As while printing
// a text that has the password removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (r redactor) wrap(format string, err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.clean(fmt.Sprintf(format, err)), err: err}
}

// validateURL checks scheme and host before anything dials.
func validateURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("camera URL %s: %v", MaskURL(raw), newRedactor(raw).clean(err.Error()))
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return nil, fmt.Errorf("camera URL %s: scheme must be rtsp or rtsps", MaskURL(raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("camera URL %s: no host", MaskURL(raw))
	}
	return u, nil
}

// ValidateURL checks that raw is a usable rtsp:// or rtsps:// URL; the
// error never contains the password.
func ValidateURL(raw string) error {
	_, err := validateURL(raw)
	return err
}
