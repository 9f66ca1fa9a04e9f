package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// duplicateKey returns an error naming the first object key that appears
// twice in the same object of a JSON document, with its path
// ("single.running"). encoding/json keeps the last copy of a map entry and
// of a struct field, and merges repeated objects, so a run pasted twice
// under "single" would lose its first copy's videos without a word. The
// keys of the objects that are structs (the top level and each video
// entry) are matched by encoding/json without regard to case, Unicode's
// folding included, so there "Single" or "ſingle" repeats "single" and
// "Frames" repeats "frames". Syntax errors are left to the real decode.
func duplicateKey(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return walkDup(dec, "", shapeTop)
}

// shape is what fileFormat makes of a JSON value.
type shape int

const (
	shapeOther shape = iota
	shapeTop         // fileFormat: a struct
	shapeGroup       // "single", "multiple": run name → videos
	shapeRuns        // a run's videos
	shapeVideo       // fileVideo: a struct
)

// foldKey is the key as encoding/json compares struct field names.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, k)
}

// walkDup consumes one JSON value from dec.
func walkDup(dec *json.Decoder, path string, sh shape) error {
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil
			}
			k, _ := kt.(string)
			id := k
			if sh == shapeTop || sh == shapeVideo {
				id = foldKey(k)
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			if seen[id] {
				return fmt.Errorf("key %s appears twice", strconv.Quote(p))
			}
			seen[id] = true
			child := shapeOther
			switch {
			case sh == shapeTop && (id == foldKey("single") || id == foldKey("multiple")):
				child = shapeGroup
			case sh == shapeGroup:
				child = shapeRuns
			}
			if err := walkDup(dec, p, child); err != nil {
				return err
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		child := shapeOther
		if sh == shapeRuns {
			child = shapeVideo
		}
		for i := 0; dec.More(); i++ {
			if err := walkDup(dec, fmt.Sprintf("%s[%d]", path, i), child); err != nil {
				return err
			}
		}
		_, _ = dec.Token()
	}
	return nil
}
