package vqa_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// A 404 that is not Ollama's "model not found" (a URL with a wrong path,
// e.g. the OpenAI-compatible http://host:11434/v1, or a reverse proxy
// without the route) must not send the operator to `ollama pull`.
func TestRouteNotFoundIsNotModelNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(http.NotFound)) // "404 page not found", text/plain, as gin and nginx answer
	defer srv.Close()
	c, err := vqa.New(vqa.Config{URL: srv.URL + "/v1", Model: "qwen2.5vl:7b", Timeout: time.Second}, vqa.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"check": c.Check(context.Background()),
		"ask":   func() error { _, err := c.Ask(context.Background(), []byte{1}, "p", ""); return err }(),
	} {
		if vqa.ClassOf(err) == vqa.ClassModelNotFound || strings.Contains(err.Error(), "ollama pull") {
			t.Errorf("%s: %v (class %s): the model is not the culprit, the URL is", name, err, vqa.ClassOf(err))
		}
	}
}
