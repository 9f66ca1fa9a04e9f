package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// writeKeyPair writes a self-signed certificate and its key as PEM files.
func writeKeyPair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	cfg, _ := streamtest.SelfSignedTLS(t)
	c := cfg.Certificates[0]
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestReplayCommandTLS(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 1, GOP: 5})
	certFile, keyFile := writeKeyPair(t)

	t.Run("serves_rtsps", func(t *testing.T) {
		addr := streamtest.FreePort(t)
		ctx, cancel := context.WithCancel(context.Background())
		var stderr bytes.Buffer
		root := NewRoot(IO{Out: &bytes.Buffer{}, Err: &stderr})
		root.SetArgs([]string{"replay", clip, "--listen", addr, "--path", "cam", "--loop", "--tls-cert", certFile, "--tls-key", keyFile})
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("replay: %v", err)
			}
		}()
		var s *rtsp.Session
		for deadline := time.Now().Add(10 * time.Second); ; {
			var err error
			s, err = rtsp.Dial(ctx, rtsp.Config{URL: "rtsps://" + addr + "/cam", TLSInsecure: true, ReadTimeout: 2 * time.Second})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no rtsps session with the replay: %v\n%s", err, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		defer s.Close()
		select {
		case <-s.AccessUnits():
		case <-time.After(10 * time.Second):
			t.Fatal("no access unit over rtsps")
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cert_without_key", []string{"--tls-cert", certFile}, "go together"},
		{"missing_key_file", []string{"--tls-cert", certFile, "--tls-key", certFile + ".missing"}, "cert.pem.missing: no such file"},
		{"key_is_not_a_key", []string{"--tls-cert", certFile, "--tls-key", certFile}, "rather than a key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"replay", clip, "--listen", streamtest.FreePort(t)}, tc.args...)
			code := Main(args, nil, &stdout, &stderr)
			msg := strings.TrimSpace(stderr.String())
			t.Log(msg)
			if code == 0 || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d, stderr %q: want non-zero and a message naming %q", code, msg, tc.want)
			}
		})
	}
}
