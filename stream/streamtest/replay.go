package streamtest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/replay"
)

// ReplayOption adjusts the replay server started by StartReplay/NewReplay.
type ReplayOption func(*replay.Config)

// Loop replays the file forever.
func Loop() ReplayOption { return func(c *replay.Config) { c.Loop = true } }

// WaitForReader holds the file at its start until the first reader plays.
func WaitForReader() ReplayOption { return func(c *replay.Config) { c.WaitForReader = true } }

// TCPOnly disables UDP transport on the server.
func TCPOnly() ReplayOption { return func(c *replay.Config) { c.UDPPort = -1 } }

// TLS serves rtsps:// with cfg (see SelfSignedTLS); UDP is then off.
func TLS(cfg *tls.Config) ReplayOption { return func(c *replay.Config) { c.TLSConfig = cfg } }

// ClockOffset makes the server's RTCP sender reports announce wall-clock
// times shifted by d.
func ClockOffset(d time.Duration) ReplayOption { return func(c *replay.Config) { c.ClockOffset = d } }

// Credentials requires a user name and password from readers.
func Credentials(user, pass string) ReplayOption {
	return func(c *replay.Config) { c.Username, c.Password = user, pass }
}

// TimestampBase sets the first RTP timestamp (e.g. close to 2^32 to test
// wrap-around).
func TimestampBase(ts uint32) ReplayOption { return func(c *replay.Config) { c.TimestampBase = ts } }

// Path sets the stream path (default "cam").
func Path(p string) ReplayOption { return func(c *replay.Config) { c.Path = p } }

// Replay is an in-process RTSP replay server that a test can stop and
// restart on the same address.
type Replay struct {
	t      testing.TB
	cfg    replay.Config
	srv    *replay.Server
	cancel context.CancelFunc
	done   chan error
}

// StartReplay serves file on a free loopback port and returns its rtsp://
// URL (with credentials when Credentials was given). The server stops at
// the end of the test.
func StartReplay(t testing.TB, file string, opts ...ReplayOption) string {
	t.Helper()
	return NewReplay(t, file, opts...).URL()
}

// NewReplay is StartReplay returning the handle.
func NewReplay(t testing.TB, file string, opts ...ReplayOption) *Replay {
	t.Helper()
	cfg := replay.Config{File: file, Listen: "127.0.0.1:0", Path: "cam"}
	for _, o := range opts {
		o(&cfg)
	}
	r := &Replay{t: t, cfg: cfg}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Start (re)starts the server; after a Stop it reuses the same address.
func (r *Replay) Start() {
	r.t.Helper()
	if r.cancel != nil {
		r.t.Fatal("streamtest: replay already running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := replay.New(r.cfg, replay.Deps{Logger: testLogger()})
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		r.t.Fatalf("streamtest: replay server: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		r.t.Fatal("streamtest: replay server not ready after 30s")
	}
	r.srv, r.cancel, r.done = srv, cancel, done
	r.cfg.Listen = srv.Addr() // a restart binds the same port
}

// Stop stops the server and waits for it. Safe to call twice.
func (r *Replay) Stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Errorf("streamtest: replay server: %v", err)
	}
	r.cancel = nil
}

// Server is the running server (for its Stats).
func (r *Replay) Server() *replay.Server { return r.srv }

// URL is the stream's URL, with credentials when configured.
func (r *Replay) URL() string {
	u := url.URL{Scheme: "rtsp", Host: r.cfg.Listen, Path: "/" + r.cfg.Path}
	if r.cfg.TLSConfig != nil {
		u.Scheme = "rtsps"
	}
	if r.cfg.Username != "" || r.cfg.Password != "" {
		u.User = url.UserPassword(r.cfg.Username, r.cfg.Password)
	}
	return u.String()
}

// FreePort returns a currently free loopback TCP port (for "nobody
// listens here" tests).
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testLogger logs to stderr under -v, else discards.
func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}
