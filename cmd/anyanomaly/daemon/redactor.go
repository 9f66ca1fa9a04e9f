package daemon

import (
	"net/url"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// minSecretLen: shorter secrets are not replaced verbatim in free text
// (masking every "ab" in every log line would garble it); URL passwords
// are still masked by their position whatever their length.
const minSecretLen = 3

// Redactor removes credentials from text that leaves the process (logs,
// /api/v1/status, /readyz): passwords in URLs by position, and every
// known secret of the configuration verbatim. Safe for concurrent use.
type Redactor struct {
	r atomic.Pointer[strings.Replacer]
}

// NewRedactor returns a Redactor that knows no secrets yet.
func NewRedactor() *Redactor { return &Redactor{} }

// Set replaces the known secrets (typically configs.Config.Secrets of the
// running configuration, plus the previous one's during a reload).
func (r *Redactor) Set(secrets []string) {
	var all []string
	seen := map[string]bool{}
	add := func(s string) {
		if len(s) >= minSecretLen && !seen[s] {
			seen[s] = true
			all = append(all, s)
		}
	}
	for _, s := range secrets {
		add(s)
		// URL passwords are written percent-encoded; libraries may log
		// them decoded.
		if dec, err := url.PathUnescape(s); err == nil {
			add(dec)
		}
		add(url.QueryEscape(s))
	}
	// Longest first, so that a secret containing another is replaced
	// whole.
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, "***")
	}
	r.r.Store(strings.NewReplacer(pairs...))
}

// Redact returns s without credentials.
func (r *Redactor) Redact(s string) string {
	s = redact.URLsInText(s)
	if rep := r.r.Load(); rep != nil {
		s = rep.Replace(s)
	}
	return s
}
