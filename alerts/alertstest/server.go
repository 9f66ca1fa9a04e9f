// Package alertstest has helpers for testing against real NATS servers:
// in-process nats-server/v2 with JetStream, the Debian nats-server binary,
// TLS certificates made at test time, and reading a stream back.
package alertstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is an in-process nats-server with JetStream that can be stopped
// and started again on the same port and store.
type Server struct {
	t    testing.TB
	Opts *server.Options
	srv  *server.Server
}

// StartServer starts an in-process server on a random loopback port with
// JetStream in a temp dir; edit adjusts the options first (auth, TLS).
func StartServer(t testing.TB, edit func(*server.Options)) *Server {
	t.Helper()
	opts := &server.Options{
		ServerName: "test",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
	}
	if edit != nil {
		edit(opts)
	}
	s := &Server{t: t, Opts: opts}
	s.Start()
	// Later restarts reuse the port the first start got.
	s.Opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server with its options.
func (s *Server) Start() {
	s.t.Helper()
	srv, err := server.NewServer(s.Opts)
	if err != nil {
		s.t.Fatalf("nats-server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		s.t.Fatalf("nats-server did not become ready")
	}
	s.srv = srv
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// URL is the client URL (nats:// on loopback).
func (s *Server) URL() string {
	return "nats://127.0.0.1:" + strconv.Itoa(s.Opts.Port)
}

// Connect opens a plain client connection for checks, closed at cleanup.
func Connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// ReadStream reads every message of stream whose subject matches filter
// through a durable pull consumer, in stream order.
func ReadStream(t testing.TB, nc *nats.Conn, stream, filter string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("check%d", time.Now().UnixNano())
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: name, FilterSubject: filter, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatalf("consumer on %s: %v", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := int(info.NumPending)
	var out []jetstream.Msg
	for len(out) < want {
		batch, err := cons.Fetch(min(want-len(out), 500), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			if err := m.Ack(); err != nil {
				t.Fatalf("ack: %v", err)
			}
			out = append(out, m)
			n++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatalf("fetch: %v", err)
		}
		if n == 0 {
			t.Fatalf("fetch: got %d of %d messages, then nothing", len(out), want)
		}
	}
	return out
}

// Eventually polls cond until it holds or the deadline passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SystemServer is a separately started nats-server process (the Debian
// package's binary).
type SystemServer struct {
	URL string
	cmd *exec.Cmd
}

// StartSystemServer runs `nats-server -js` from /usr/sbin or PATH on a free
// loopback port with a temp store; it skips the test when the binary is
// absent.
func StartSystemServer(t testing.TB) *SystemServer {
	t.Helper()
	bin := "/usr/sbin/nats-server"
	if _, err := os.Stat(bin); err != nil {
		p, err := exec.LookPath("nats-server")
		if err != nil {
			t.Skip("nats-server binary not installed (apt-get install nats-server); skipping the external-server test")
		}
		bin = p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", filepath.Join(dir, "js"), "-n", "debian-test")
	logf, err := os.Create(filepath.Join(dir, "nats-server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		logf.Close()
	})
	s := &SystemServer{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), cmd: cmd}
	Eventually(t, 20*time.Second, "nats-server to accept connections", func() bool {
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "nats-server.log"))
			t.Fatalf("nats-server exited:\n%s", b)
		default:
		}
		nc, err := nats.Connect(s.URL)
		if err != nil {
			return false
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err == nil
	})
	return s
}
