package schema

import (
	"strings"
	"testing"
)

const valid = `{"schema_version":1,"id":"01JNFQ8ZK3W6V8N2Q4R5S6T7V8","seq":0,"kind":"started",
"camera":"cam1","rule":"fall","texts":["falling"],"score":0.9,"peak":0.9,
"contexts":{"frame":0.9,"position":0.8,"temporal":0.7},"reasons":{"frame":"a person lies"},
"time":"2025-03-01T12:00:01Z","started_at":"2025-03-01T12:00:00Z","segments":{"first":0,"last":0},"node":"n1",
"snapshots":{"bucket":"b","key_frame":"x.jpg"}}`

func TestEventSchema(t *testing.T) {
	s, err := CompileEvent()
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateEvent(s, []byte(valid)); err != nil {
		t.Fatalf("valid payload rejected: %v", err)
	}
	tests := []struct{ name, from, to string }{
		{"unknown kind", `"kind":"started"`, `"kind":"begun"`},
		{"score above 1", `"score":0.9`, `"score":1.5`},
		{"bad id", `"id":"01JNFQ8ZK3W6V8N2Q4R5S6T7V8"`, `"id":"not-an-id"`},
		{"dot in camera", `"camera":"cam1"`, `"camera":"cam.1"`},
		{"bad time", `"time":"2025-03-01T12:00:01Z"`, `"time":"yesterday"`},
		{"unknown field", `"node":"n1"`, `"node":"n1","extra":1`},
		{"ended without ended_at", `"kind":"started"`, `"kind":"ended","end_reason":"x"`},
		{"end reason on started", `"node":"n1"`, `"node":"n1","end_reason":"x"`},
		{"missing rule", `"rule":"fall",`, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(valid, tc.from, tc.to, 1)
			if bad == valid {
				t.Fatal("test edit did not apply")
			}
			if err := ValidateEvent(s, []byte(bad)); err == nil {
				t.Fatalf("accepted: %s", bad)
			}
		})
	}
	if err := ValidateEvent(s, []byte("{")); err == nil {
		t.Fatal("accepted broken JSON")
	}
}
