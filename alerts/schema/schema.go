// Package schema holds the JSON Schema of the alert event payload, embedded
// so tests and tools validate against the committed file.
package schema

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EventJSON is event.schema.json.
//
//go:embed event.schema.json
var EventJSON []byte

// EventURL is the schema's $id.
const EventURL = "https://anyanomaly.dev/schema/alerts/event.schema.json"

// CompileEvent compiles the event schema (with format checks on).
func CompileEvent() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(EventJSON))
	if err != nil {
		return nil, fmt.Errorf("event schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(EventURL, doc); err != nil {
		return nil, fmt.Errorf("event schema: %w", err)
	}
	s, err := c.Compile(EventURL)
	if err != nil {
		return nil, fmt.Errorf("event schema: %w", err)
	}
	return s, nil
}

// ValidateEvent checks one JSON payload against the schema.
func ValidateEvent(s *jsonschema.Schema, payload []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("event payload is not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("event payload: %w", err)
	}
	return nil
}
