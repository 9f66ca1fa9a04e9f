package configs

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// SecretURL is a URL that may carry credentials (rtsp://user:pass@host/…).
// Printing it in any way shows the URL with the password replaced by "***";
// Reveal returns the full URL for the code that connects.
type SecretURL string

// Reveal returns the URL with its password.
func (u SecretURL) Reveal() string { return string(u) }

// String returns the URL with the password masked.
func (u SecretURL) String() string { return MaskURL(string(u)) }

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
func (u SecretURL) Password() string {
	_, pass, _, _, ok := splitUserinfo(string(u))
	if !ok {
		return ""
	}
	return pass
}

// splitUserinfo cuts raw into prefix ("scheme://user:"), password and
// suffix ("@host/…"). It does not use net/url because operators write
// unescaped '@' and '/' in passwords, which net/url rejects or misreads,
// and such a URL must still be masked.
func splitUserinfo(raw string) (prefix, pass, suffix string, hasPass, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", "", "", false, false
	}
	rest := raw[i+3:]
	firstAt := strings.IndexByte(rest, '@')
	if firstAt < 0 {
		return "", "", "", false, false
	}
	end := len(rest)
	if j := strings.IndexAny(rest[firstAt:], "/?#"); j >= 0 {
		end = firstAt + j
	}
	lastAt := strings.LastIndexByte(rest[:end], '@')
	userinfo := rest[:lastAt]
	c := strings.IndexByte(userinfo, ':')
	if c < 0 {
		return raw, "", "", false, true
	}
	return raw[:i+3+c+1], userinfo[c+1:], rest[lastAt:], true, true
}

// MaskURL returns raw with the password of its userinfo replaced by "***".
// It never fails: text that is not a URL comes back unchanged.
func MaskURL(raw string) string {
	prefix, pass, suffix, hasPass, ok := splitUserinfo(raw)
	if !ok || !hasPass || pass == "" {
		return raw
	}
	return prefix + masked + suffix
}

// urlInText finds "scheme://user:password@" in free text (log messages,
// error strings). The match is greedy up to the last '@' before white
// space, so a password with an unescaped '@' is masked whole; at worst
// part of the host is masked too, which is the safe side.
var urlInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s]*@`)

// MaskURLsInText masks the passwords of every URL with credentials found
// in s.
func MaskURLsInText(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllString(s, "${1}"+masked+"@")
}

// parseURL parses raw with net/url, giving an error that names the URL in
// its masked form and never echoes the password.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	msg := "malformed"
	if ue, ok := err.(*url.Error); ok {
		msg = ue.Err.Error()
	}
	if p := SecretURL(raw).Password(); p != "" {
		msg = strings.ReplaceAll(msg, p, masked)
	}
	return nil, fmt.Errorf("invalid URL %q: %s", MaskURL(raw), msg)
}
