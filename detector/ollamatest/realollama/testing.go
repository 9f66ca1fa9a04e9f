package realollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// RequireEnv names the environment variable that turns a missing binary from
// a skip into a failure; CI sets it so the tier cannot silently vanish.
const RequireEnv = "ANYANOMALY_REQUIRE_REAL_OLLAMA"

// ModelEnv names the environment variable that points the tier at an Ollama
// the user runs (at $OLLAMA_HOST, default 127.0.0.1:11434) with a real
// vision model, e.g. ANYANOMALY_TEST_MODEL=qwen2.5vl:3b, instead of
// starting the built binary with the tiny models.
const ModelEnv = "ANYANOMALY_TEST_MODEL"

// Target is the server a test of this tier talks to.
type Target struct {
	// Server is the started server; nil for an external one.
	Server *Server
	// URL is the server's base URL.
	URL *url.URL
	// Client is an API client bound to URL.
	Client *api.Client
	// VisionModel reads images: VisionModel or $ANYANOMALY_TEST_MODEL.
	VisionModel string
	// TextModel cannot read images; empty for an external server.
	TextModel string
}

// External reports whether the target is a server the user runs, where
// the tests must not assume tiny-model facts or change server settings.
func (tg Target) External() bool { return tg.Server == nil }

// TargetForTest returns the external server named by $ANYANOMALY_TEST_MODEL
// and $OLLAMA_HOST when set, otherwise StartForTest(t, cfg).
func TargetForTest(t testing.TB, cfg Config) Target {
	t.Helper()
	if m := os.Getenv(ModelEnv); m != "" {
		if testing.Short() {
			t.Skip("real-Ollama tier skipped in -short mode")
		}
		u, err := HostFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		return Target{URL: u, Client: api.NewClient(u, &http.Client{}), VisionModel: m}
	}
	s := StartForTest(t, cfg)
	return Target{Server: s, URL: s.URL(), Client: s.Client(), VisionModel: VisionModel, TextModel: TextModel}
}

// StartForTest starts a server for the test, registers the tiny models on it
// and stops it in t.Cleanup (printing the server log tail if the test
// failed). Without a binary it skips the test with the reason, or fails it
// when $ANYANOMALY_REQUIRE_REAL_OLLAMA is "1".
func StartForTest(t testing.TB, cfg Config) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("real-Ollama tier skipped in -short mode")
	}
	if cfg.Binary == "" {
		bin, err := FindBinary()
		if err != nil {
			if errors.Is(err, ErrNoBinary) && os.Getenv(RequireEnv) != "1" {
				t.Skipf("real-Ollama tier skipped: %v", err)
			}
			t.Fatalf("real-Ollama tier: %v", err)
		}
		cfg.Binary = bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ollama serve log tail:\n%s", s.Log())
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop ollama: %v", err)
		}
	})
	if err := s.CreateTinyModels(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// HostFromEnv reads $OLLAMA_HOST the way the ollama CLI does for the cases
// that matter here: "host", "host:port" or "scheme://host:port", default
// http://127.0.0.1:11434.
func HostFromEnv() (*url.URL, error) { return parseHost(os.Getenv("OLLAMA_HOST")) }

// parseHost is HostFromEnv's parser, apart so it can be fuzzed.
func parseHost(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	scheme, hostport, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, hostport = "http", raw
	}
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("OLLAMA_HOST=%q: scheme must be http or https", raw)
	}
	hostport, _, _ = strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "11434"
		if scheme == "https" {
			port = "443"
		}
	}
	return &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}, nil
}
