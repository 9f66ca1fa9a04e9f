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

// As TestSlowBodyIsATimeout, but the chunks that arrived before the
// deadline carry no content yet: headers and a first chunk with an empty
// content (a newer Ollama streams a thinking model's "thinking" with
// content ""; a proxy may send the headers early). The call still ran
// past its deadline while the reply was arriving: a timeout, which makes
// the pool ask for a model load — not empty_response "gave up after N
// attempts".
func TestSlowBodyWithoutContentIsATimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(200)
		for {
			fmt.Fprint(w, `{"model":"m","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`+"\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c, err := vqa.New(vqa.Config{URL: srv.URL, Model: "m", Timeout: 300 * time.Millisecond, Stream: true}, vqa.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Ask(context.Background(), []byte{1}, "p", "")
	if vqa.ClassOf(err) != vqa.ClassTimeout {
		t.Fatalf("class %s, want timeout: %v", vqa.ClassOf(err), err)
	}
}
