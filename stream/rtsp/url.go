package rtsp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// redactor removes a URL's credentials from arbitrary text (error messages
// from libraries that may echo what they were given).
type redactor struct{ r *strings.Replacer }

func newRedactor(raw string) redactor {
	var pairs []string
	for _, c := range redact.Credentials(raw) {
		// Libraries may print the password decoded or re-encoded.
		forms := []string{c, url.QueryEscape(c)}
		if dec, err := url.PathUnescape(c); err == nil {
			forms = append(forms, dec)
		}
		for _, f := range forms {
			pairs = append(pairs, f, redact.Mask)
		}
	}
	if len(pairs) == 0 {
		return redactor{}
	}
	return redactor{r: strings.NewReplacer(pairs...)}
}

func (r redactor) clean(s string) string {
	s = redact.URLsInText(s)
	if r.r != nil {
		s = r.r.Replace(s)
	}
	return s
}

func (r redactor) wrap(format string, err error) error {
	if err == nil {
		return nil
	}
	return redact.Wrap(err, r.clean(fmt.Sprintf(format, err)))
}

// validateURL checks scheme and host before anything dials.
func validateURL(raw string) (*url.URL, error) {
	u, err := redact.ParseURL(raw)
	if err != nil {
		var ue *redact.URLError
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("camera URL %s: %s", ue.URL, ue.Reason)
		}
		return nil, fmt.Errorf("camera URL %s: %w", redact.URL(raw), err)
	}
	masked := redact.URL(raw)
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return nil, fmt.Errorf("camera URL %s: scheme must be rtsp or rtsps", masked)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("camera URL %s: no host", masked)
	}
	return u, nil
}

// ValidateURL checks that raw is a usable rtsp:// or rtsps:// URL; the
// error never contains the password.
func ValidateURL(raw string) error {
	_, err := validateURL(raw)
	return err
}
