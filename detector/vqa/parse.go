package vqa

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Answer is one parsed reply.
type Answer struct {
	// Score is in [0,1].
	Score float64 `json:"score"`
	// Reason is the model's explanation (the reply without its score when
	// the reply was plain text).
	Reason string `json:"reason,omitempty"`
	// ParseFailed is true when the reply held no usable number; Score is
	// then 0.
	ParseFailed bool `json:"parse_failed,omitempty"`
}

// numberRE matches a decimal number: optional sign, digits with an optional
// fraction, or a bare fraction (".7"). A comma between digits is a decimal
// comma ("0,8"): models answering in a language that writes one do so, and
// reading the "0" alone would score a likely anomaly as certainly normal.
var numberRE = regexp.MustCompile(`[-+]?(?:\d+(?:,\d+|\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`)

// parseNumber reads a numberRE match. On overflow it returns ±Inf with the
// number's sign, which clamp maps to 1 or 0.
func parseNumber(m string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.Replace(m, ",", ".", 1), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, true
}

const maxReason = 500

// Parse turns a reply into an Answer. A JSON object with a "score" field
// (the structured-output form, possibly inside a code fence or surrounded by
// prose) wins; otherwise the first decimal number of the text is the score.
// Scores are clamped to [0,1]; a reply without a number scores 0 with
// ParseFailed set.
func Parse(reply string) Answer {
	if a, ok := parseJSON(reply); ok {
		return a
	}
	loc := numberRE.FindStringIndex(reply)
	if loc == nil {
		return Answer{Reason: trimReason(reply), ParseFailed: true}
	}
	v, _ := parseNumber(reply[loc[0]:loc[1]])
	reason := reply[loc[1]:]
	if !strings.ContainsFunc(reason, unicode.IsLetter) {
		reason = reply[:loc[0]]
	}
	return Answer{Score: clamp(v), Reason: trimReason(reason)}
}

func parseJSON(reply string) (Answer, bool) {
	start := strings.IndexByte(reply, '{')
	end := strings.LastIndexByte(reply, '}')
	if start < 0 || end < start {
		return Answer{}, false
	}
	var obj struct {
		Score  json.RawMessage `json:"score"`
		Reason any             `json:"reason"`
	}
	if err := json.Unmarshal([]byte(reply[start:end+1]), &obj); err != nil || obj.Score == nil {
		return Answer{}, false
	}
	reason := ""
	if s, isStr := obj.Reason.(string); isStr {
		reason = s
	}
	v, ok := jsonNumber(obj.Score)
	if !ok {
		// The model answered in the structured form but gave no number
		// (null, "N/A"): a parse failure, not a cue to pick digits out of
		// the reason.
		return Answer{Reason: trimReason(reason), ParseFailed: true}, true
	}
	return Answer{Score: clamp(v), Reason: trimReason(reason)}, true
}

// jsonNumber reads a JSON number, or a string holding one (models sometimes
// quote the score).
func jsonNumber(raw json.RawMessage) (float64, bool) {
	// encoding/json decodes null into a number as "no change": a model
	// that answers {"score": null} gave no number (method §7).
	if string(bytes.TrimSpace(raw)) == "null" {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false
	}
	m := numberRE.FindString(s)
	if m == "" {
		return 0, false
	}
	return parseNumber(m)
}

// ParseBatch turns a batched reply into one Answer per text, in the order of
// texts. The JSON-object form is expected; a text missing from it (or a
// reply that is not JSON) falls back to the first number written after the
// text's name in the reply, and failing that to 0 with ParseFailed.
func ParseBatch(reply string, texts []string) []Answer {
	out := make([]Answer, len(texts))
	var obj map[string]json.RawMessage
	start := strings.IndexByte(reply, '{')
	end := strings.LastIndexByte(reply, '}')
	if start >= 0 && end > start {
		if err := json.Unmarshal([]byte(reply[start:end+1]), &obj); err != nil {
			obj = nil
		}
	}
	for i, t := range texts {
		if raw, ok := lookupFold(obj, t); ok {
			if v, ok := jsonNumber(raw); ok {
				out[i] = Answer{Score: clamp(v)}
				continue
			}
		}
		idx := ownIndex(reply, t, texts)
		if idx >= 0 {
			rest := reply[idx+len(t):]
			// A number after the next text's name belongs to that text.
			for j, o := range texts {
				if j != i && len(o) > 0 {
					if k := indexFold(rest, o); k >= 0 {
						rest = rest[:k]
					}
				}
			}
			if m := numberRE.FindString(rest); m != "" {
				if v, ok := parseNumber(m); ok {
					out[i] = Answer{Score: clamp(v)}
					continue
				}
			}
		}
		out[i] = Answer{ParseFailed: true}
	}
	return out
}

func lookupFold(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if obj == nil {
		return nil, false
	}
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return nil, false
}

func clamp(v float64) float64 {
	switch {
	case math.IsNaN(v), v < 0:
		return 0
	case v > 1:
		return 1
	default:
		return v
	}
}

func trimSeparators(s string) string {
	return strings.TrimLeft(s, " \t\r\n.,;:-–—/|)]*")
}

func trimReason(s string) string {
	s = strings.TrimSpace(trimSeparators(s))
	s = strings.TrimRight(s, " \t\r\n")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > maxReason {
		s = strings.ToValidUTF8(s[:maxReason], "") + "…"
	}
	return s
}

// indexFold is strings.Index ignoring case, with byte offsets into s itself
// (lower-casing s first would shift offsets where case mapping or invalid
// UTF-8 changes byte lengths).
func indexFold(s, sub string) int {
	if sub == "" {
		return 0
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// ownIndex is the first occurrence of t in reply that is not part of an
// occurrence of a longer text of the batch ("fire" inside "fire truck"),
// or -1.
func ownIndex(reply, t string, texts []string) int {
	for from := 0; from <= len(reply); {
		i := indexFold(reply[from:], t)
		if i < 0 {
			return -1
		}
		i += from
		inside := false
		for _, o := range texts {
			if len(o) <= len(t) || indexFold(o, t) < 0 {
				continue
			}
			// Does an occurrence of o cover [i, i+len(t))?
			for start := max(0, i+len(t)-len(o)); start <= i && !inside; start++ {
				if start+len(o) <= len(reply) && strings.EqualFold(reply[start:start+len(o)], o) {
					inside = true
				}
			}
		}
		if !inside {
			return i
		}
		from = i + 1
	}
	return -1
}
