package realollama

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeBinary writes an executable shell script standing in for ollama.
func fakeBinary(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ollama")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindBinary(t *testing.T) {
	t.Run("env points at a non-executable file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "ollama")
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(BinaryEnv, p)
		if _, err := FindBinary(); err == nil || !strings.Contains(err.Error(), "not an executable") {
			t.Fatalf("FindBinary() error %v, want not executable", err)
		}
	})
	t.Run("empty cache", func(t *testing.T) {
		t.Setenv(BinaryEnv, "")
		t.Setenv("ANYANOMALY_OLLAMA_CACHE", t.TempDir())
		_, err := FindBinary()
		if !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "scripts/build_ollama.sh") {
			t.Fatalf("FindBinary() error %v, want ErrNoBinary with the build hint", err)
		}
	})
	t.Run("cached binary", func(t *testing.T) {
		root := t.TempDir()
		t.Setenv(BinaryEnv, "")
		t.Setenv("ANYANOMALY_OLLAMA_CACHE", root)
		want := filepath.Join(root, "v"+Version, "ollama")
		if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, err := FindBinary(); err != nil || got != want {
			t.Fatalf("FindBinary() = %q, %v; want %q", got, err, want)
		}
	})
}

func TestStartFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("server exits", func(t *testing.T) {
		bin := fakeBinary(t, `echo "Error: listen tcp 127.0.0.1:1: bind: address already in use" >&2; exit 1`)
		_, err := Start(ctx, Config{Binary: bin, StartTimeout: 10 * time.Second})
		if err == nil || !strings.Contains(err.Error(), "exited before answering") || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("Start() error %v, want the exit and the log tail", err)
		}
	})
	t.Run("server never answers", func(t *testing.T) {
		bin := fakeBinary(t, `exec sleep 30`)
		start := time.Now()
		_, err := Start(ctx, Config{Binary: bin, StartTimeout: 300 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "no answer from /api/version") {
			t.Fatalf("Start() error %v, want no answer", err)
		}
		// Stop sent SIGTERM to the silent server, which sleep obeys.
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Start took %s to give up", d)
		}
	})
}
