// Package redact keeps credentials out of everything the project prints.
// Camera, NATS and Ollama URLs may carry a password (or, for NATS, a token
// in the user part); every log line, error, metric label, event and CLI
// output shows them through this package, so that all of them mask the
// same way.
package redact

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces every credential this package removes.
const Mask = "***"

// userinfo is a URL cut around its credentials: prefix is "scheme://",
// suffix starts at the '@' that ends the userinfo.
type userinfo struct {
	scheme, prefix, user, pass, suffix string
	hasPass                            bool
}

// split cuts raw around its userinfo. It does not use net/url because
// operators write unescaped '@', '/', '?' and '%' in passwords, which
// net/url rejects or misreads, and such a URL must still be masked. ok is
// false when raw has no "scheme://…@".
func split(raw string) (ui userinfo, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return ui, false
	}
	rest := raw[i+3:]
	// The userinfo ends at the last '@' before the path; the path starts
	// at the first '/', '?' or '#' after the first '@', since characters
	// before that '@' can only be userinfo.
	firstAt := strings.IndexByte(rest, '@')
	if firstAt < 0 {
		return ui, false
	}
	end := len(rest)
	if j := strings.IndexAny(rest[firstAt:], "/?#"); j >= 0 {
		end = firstAt + j
	}
	lastAt := strings.LastIndexByte(rest[:end], '@')
	ui = userinfo{scheme: raw[:i], prefix: raw[:i+3], user: rest[:lastAt], suffix: rest[lastAt:]}
	if c := strings.IndexByte(ui.user, ':'); c >= 0 {
		ui.user, ui.pass, ui.hasPass = ui.user[:c], ui.user[c+1:], true
	}
	return ui, true
}

// tokenSchemes put a token, not a user name, in a userinfo without a
// password (nats://TOKEN@host), so that part is a credential too.
var tokenSchemes = map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}

// secret returns the credential in ui as written: the password, or a
// token in the user part of a NATS URL; "" when there is none.
func (ui userinfo) secret() string {
	switch {
	case ui.hasPass:
		return ui.pass
	case tokenSchemes[strings.ToLower(ui.scheme)]:
		return ui.user
	}
	return ""
}

// masked returns ui with its credentials replaced by Mask, and whether
// anything was replaced.
func (ui userinfo) masked() (string, bool) {
	switch {
	case ui.secret() == "":
		return "", false
	case !ui.hasPass:
		return ui.prefix + Mask + ui.suffix, true
	case strings.Contains(ui.user, ui.pass):
		// A user name containing the password (admin:admin, a common
		// camera default) would give the password away.
		return ui.prefix + Mask + ":" + Mask + ui.suffix, true
	}
	return ui.prefix + ui.user + ":" + Mask + ui.suffix, true
}

// URL returns raw with its credentials replaced by "***": the password,
// the user name as well when it contains the password, and a NATS token.
// It never fails: text that is not a URL comes back unchanged.
func URL(raw string) string {
	ui, ok := split(raw)
	if !ok {
		return raw
	}
	if m, ok := ui.masked(); ok {
		return m
	}
	return raw
}

// Password returns raw's password as written (percent-encoding kept), or
// "" when it has none.
func Password(raw string) string {
	ui, ok := split(raw)
	if !ok {
		return ""
	}
	return ui.pass
}

// Credentials returns what URL masks in raw, as written: the password,
// or the token of a NATS URL; nil when there is nothing to hide.
func Credentials(raw string) []string {
	if ui, ok := split(raw); ok && ui.secret() != "" {
		return []string{ui.secret()}
	}
	return nil
}

// inText finds "scheme://userinfo@" in free text (log messages, error
// strings from libraries), ending the userinfo where split does: at the
// last '@' before a '/', '?' or '#' that follows the first '@'. White
// space ends it too.
var inText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s@]*@(?:[^\s@/?#]*@)*`)

// URLsInText returns s with the credentials of every URL in it masked as
// URL masks them.
func URLsInText(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return inText.ReplaceAllStringFunc(s, URL)
}

// ParseURL parses raw with net/url. Its error names the URL in masked form
// and never echoes the password, not even the fragment of it that net/url
// quotes ("invalid port \":pa\" after host"). When the password is what
// net/url cannot read, the error says which characters to percent-encode.
// (A NATS token in the user part is treated as the password is.) A URL
// that net/url reads without a password where URL sees one is refused
// too, rather than parsed in the way that dials part of the password.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		// rtsp://admin:12/34@cam/live parses, as host "admin:12" and path
		// "/34@cam/live": dialling it would put part of the password in
		// every error. URL masks it as a password, so refuse to guess.
		if ui, ok := split(raw); ok && u.User == nil && ui.secret() != "" {
			m, _ := ui.masked()
			return nil, &URLError{URL: m, Reason: "a '/', '?' or '#' before the '@' makes it ambiguous: percent-encode them in a password (" + encodingHint + "), or an '@' in the path as %40"}
		}
		return u, nil
	}
	if ui, ok := split(raw); ok {
		if m, ok := ui.masked(); ok {
			// Parse the URL with its credentials masked: if that parses,
			// they are the culprit, and their text must not be quoted.
			if _, err = url.Parse(m); err == nil {
				what := "password"
				if !ui.hasPass {
					what = "token"
				}
				return nil, &URLError{URL: m, Reason: "the " + what + " has characters that must be percent-encoded (" + encodingHint + ")"}
			}
			raw = m
		}
	}
	msg := "malformed"
	if ue, ok := err.(*url.Error); ok {
		msg = ue.Err.Error()
	}
	return nil, &URLError{URL: URL(raw), Reason: msg}
}

// URLError is ParseURL's error: the URL, masked, and why it is invalid,
// for callers that word the message their own way.
type URLError struct {
	URL    string // masked
	Reason string // never quotes a credential
}

// Error implements error.
func (e *URLError) Error() string { return fmt.Sprintf("invalid URL %q: %s", e.URL, e.Reason) }

// encodingHint is the same for every password: naming the characters a
// given one holds would tell part of it.
const encodingHint = `"%" as %25, "/" as %2F, "?" as %3F, "#" as %23, a space as %20`
