// Package daemontest boots a daemon in a test and talks to it: HTTP
// endpoints, systemd notifications on a private socket, a log buffer, a
// configuration file to rewrite. The end-to-end tests of the wired
// product use it too. Never imported by production code.
package daemontest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
)

// Buffer is a goroutine-safe log sink.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WriteConfig writes body to path atomically (write, then rename), the
// way editors and configuration managers replace files.
func WriteConfig(t testing.TB, path, body string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Daemon is a daemon running in a test.
type Daemon struct {
	*daemon.Daemon
	// Log holds the daemon's log output.
	Log *Buffer

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start runs a daemon with opts and deps (LogOutput and Listen are set
// when empty: a Buffer and a free loopback port) and waits until it is
// running or has failed. The daemon is stopped when the test ends.
func Start(t testing.TB, opts daemon.Options, deps daemon.Deps) *Daemon {
	t.Helper()
	buf := &Buffer{}
	if opts.LogOutput == nil {
		opts.LogOutput = buf
	} else {
		opts.LogOutput = io.MultiWriter(opts.LogOutput, buf)
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Daemon{Daemon: daemon.New(opts, deps), Log: buf, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.err = h.Daemon.Run(ctx)
	}()
	t.Cleanup(func() { h.Stop(10 * time.Second) })
	select {
	case <-h.Started():
	case <-h.done:
		t.Fatalf("daemon did not start: %v\nlog:\n%s", h.err, buf.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon not started after 20s; log:\n%s", buf.String())
	}
	return h
}

// Stop cancels the daemon's context (what SIGTERM does in the CLI) and
// waits up to timeout for Run to return. It returns Run's error, or
// context.DeadlineExceeded if Run did not return in time.
func (h *Daemon) Stop(timeout time.Duration) error {
	h.cancel()
	select {
	case <-h.done:
		return h.err
	case <-time.After(timeout):
		return context.DeadlineExceeded
	}
}

// Done is closed when Run has returned; Err is then its result.
func (h *Daemon) Done() <-chan struct{} { return h.done }

// Err is Run's result once Done is closed.
func (h *Daemon) Err() error {
	<-h.done
	return h.err
}

// Get fetches path from the daemon's HTTP server.
func (h *Daemon) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + h.Addr() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// Eventually polls cond every 10ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Notifications receives systemd notify messages on a private socket.
type Notifications struct {
	mu   sync.Mutex
	msgs []string
}

// NotifySocket listens on a unixgram socket in a temporary directory and
// points $NOTIFY_SOCKET at it for the rest of the test.
func NotifySocket(t *testing.T) *Notifications {
	t.Helper()
	dir, err := os.MkdirTemp("", "notify") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", path)
	n := &Notifications{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		os.RemoveAll(dir)
	})
	return n
}

// Messages returns the messages received so far.
func (n *Notifications) Messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// Count returns how many messages contain the line state (e.g.
// "READY=1").
func (n *Notifications) Count(state string) int {
	c := 0
	for _, m := range n.Messages() {
		for _, line := range strings.Split(m, "\n") {
			if line == state {
				c++
				break
			}
		}
	}
	return c
}
