package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// duplicateKey returns an error naming the first object key that appears
// twice in the same object of a JSON document, with its path
// ("single.running"). encoding/json keeps the last copy of a map entry and
// merges repeated objects, so a run pasted twice under "single" would lose
// its first copy's videos without a word. The top level's keys are struct
// fields, which encoding/json matches without regard to case, so there
// "Single" repeats "single". Syntax errors are left to the real decode.
func duplicateKey(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return walkDup(dec, "", true)
}

// walkDup consumes one JSON value from dec.
func walkDup(dec *json.Decoder, path string, top bool) error {
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
			if top {
				id = strings.ToLower(k)
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			if seen[id] {
				return fmt.Errorf("key %s appears twice", strconv.Quote(p))
			}
			seen[id] = true
			if err := walkDup(dec, p, false); err != nil {
				return err
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkDup(dec, fmt.Sprintf("%s[%d]", path, i), false); err != nil {
				return err
			}
		}
		_, _ = dec.Token()
	}
	return nil
}
