package configs

import _ "embed"

// schemaJSON is the JSON Schema of the configuration file, for editors
// (e.g. the YAML language server's "# yaml-language-server: $schema=…").
//
//go:embed schema/config.schema.json
var schemaJSON []byte

// Schema returns a copy of the configuration's JSON Schema (draft 2020-12).
func Schema() []byte { return append([]byte(nil), schemaJSON...) }
