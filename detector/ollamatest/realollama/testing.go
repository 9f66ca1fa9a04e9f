package realollama

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing binary from
// a skip into a failure; CI sets it so the tier cannot silently vanish.
const RequireEnv = "ANYANOMALY_REQUIRE_REAL_OLLAMA"

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
