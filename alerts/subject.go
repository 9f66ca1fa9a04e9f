package alerts

import (
	"fmt"
	"strings"
	"unicode"
)

// maxTokenLen bounds ids used as subject tokens; NATS has no hard limit but
// MQTT topic levels and log lines stay readable.
const maxTokenLen = 128

// ValidateToken reports whether id can be used as one subject token
// (a camera, rule or node id). It rejects what NATS treats specially (".",
// "*", ">"), whitespace and control characters, and what the MQTT gateway
// maps or treats as wildcards ("/", "+", "#"), so the same id works for
// both kinds of subscriber. what names the id in the error ("camera").
func ValidateToken(what, id string) error {
	if id == "" {
		return fmt.Errorf("%s id is empty", what)
	}
	if len(id) > maxTokenLen {
		return fmt.Errorf("%s id %.20q…: longer than %d bytes", what, id, maxTokenLen)
	}
	for _, r := range id {
		switch {
		case r == '.' || r == '*' || r == '>' || r == '/' || r == '+' || r == '#':
			return fmt.Errorf("%s id %q: character %q is not allowed in a subject token", what, id, r)
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar:
			return fmt.Errorf("%s id %q: whitespace, control and invalid characters are not allowed", what, id)
		}
	}
	return nil
}

// ValidatePrefix checks a subject prefix: one or more valid tokens joined by
// dots ("anyanomaly", "site1.anyanomaly").
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return fmt.Errorf("subject prefix is empty")
	}
	for _, tok := range strings.Split(prefix, ".") {
		if err := ValidateToken("subject prefix", tok); err != nil {
			return fmt.Errorf("subject prefix %q: %w", prefix, err)
		}
	}
	return nil
}

// Subjects builds the subjects under one prefix.
type Subjects struct {
	// Prefix is the validated prefix, e.g. "anyanomaly".
	Prefix string
}

// Event is the subject of events of (camera, rule).
func (s Subjects) Event(camera, rule string) string {
	return s.Prefix + ".events." + camera + "." + rule
}

// Status is the subject of camera state changes.
func (s Subjects) Status(camera string) string { return s.Prefix + ".status." + camera }

// Heartbeat is the subject of a node's heartbeats.
func (s Subjects) Heartbeat(node string) string { return s.Prefix + ".heartbeat." + node }

// Filter is the subscription subject for events, "*" standing for any
// camera or rule when empty.
func (s Subjects) Filter(camera, rule string) string {
	if camera == "" {
		camera = "*"
	}
	if rule == "" {
		rule = "*"
	}
	return s.Event(camera, rule)
}

// Rebase moves a subject written under any prefix to this one. levels is
// the number of tokens after the prefix (3 for events, 2 for status):
// camera, rule and node ids are single tokens, so those are the last
// levels tokens whatever the old prefix was. A spool written before the
// prefix changed is still delivered, where the stream captures it.
func (s Subjects) Rebase(subject string, levels int) string {
	toks := strings.Split(subject, ".")
	if len(toks) <= levels {
		return subject
	}
	return s.Prefix + "." + strings.Join(toks[len(toks)-levels:], ".")
}

// StreamSubjects are the subjects the JetStream stream captures.
func (s Subjects) StreamSubjects() []string {
	return []string{s.Prefix + ".events.>", s.Prefix + ".status.>", s.Prefix + ".heartbeat.>"}
}
