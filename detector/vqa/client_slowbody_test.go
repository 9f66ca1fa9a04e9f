package vqa_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// TestSlowBodyIsATimeout: a reply whose body is still arriving when the
// call's deadline passes (a reply that streams forever, a slow proxy) is
// a timeout, which makes the pool ask for a model load, not "HTTP 200
// without a final answer" (empty_response). Also when the chunks so far
// carry no content (a thinking model's stream, headers sent early).
func TestSlowBodyIsATimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunk  string
		stream bool
	}{
		{"content", `{"model":"m","message":{"role":"assistant","content":"0.5 "},"done":false}`, false},
		{"content, streamed", `{"model":"m","message":{"role":"assistant","content":"0.5 "},"done":false}`, true},
		{"no content yet, streamed", `{"model":"m","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-ndjson")
				w.WriteHeader(200)
				for {
					fmt.Fprint(w, tc.chunk+"\n")
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}))
			defer srv.Close()
			c, err := vqa.New(vqa.Config{URL: srv.URL, Model: "m", Timeout: 300 * time.Millisecond, Stream: tc.stream}, vqa.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Ask(context.Background(), []byte{1}, "p", "")
			if vqa.ClassOf(err) != vqa.ClassTimeout {
				t.Fatalf("class %s, want timeout: %v", vqa.ClassOf(err), err)
			}
		})
	}
}
