package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// runTail runs Tail until stop, which checks it ended without an error.
func runTail(t *testing.T, o TailOptions) (*syncBuffer, func()) {
	t.Helper()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Tail(ctx, o, out) }()
	return out, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestTailPrintsFilteredEvents(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()), "cam1", "cam2")
	out, stop := runTail(t, TailOptions{Server: srv.URL(), Camera: "cam2"})
	alertstest.Eventually(t, 10*time.Second, "tail subscribed", func() bool {
		return strings.Contains(out.String(), "listening on anyanomaly.events.cam2.*")
	})
	s := seg(0, 0.9)
	s.Reasons.Frame = "a man lies on the ground"
	h.p.Submit(s) // cam1: filtered out
	s.CameraID = "cam2"
	h.p.Submit(s)
	alertstest.Eventually(t, 10*time.Second, "event line", func() bool {
		return strings.Contains(out.String(), "started")
	})
	stop()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Contains(out.String(), "cam1") {
		t.Fatalf("output:\n%s", out.String())
	}
	want := "2025-03-01T12:00:01Z  cam2         fall         started score=0.90 peak=0.90  \"a man lies on the ground\""
	if lines[1] != want {
		t.Fatalf("line\n%q\nwant\n%q", lines[1], want)
	}
}

func TestTailRejectsBadFilter(t *testing.T) {
	err := Tail(context.Background(), TailOptions{Camera: "a.b"}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "camera") {
		t.Fatalf("got %v", err)
	}
	// A key without its certificate was once ignored without a word.
	err = Tail(context.Background(), TailOptions{TLSKeyFile: "/etc/key.pem"}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "--tls-cert and --tls-key") {
		t.Fatalf("--tls-key alone: got %v", err)
	}
}

func FuzzFormatEventLine(f *testing.F) {
	f.Add([]byte(`{"kind":"started","camera":"c","rule":"r","score":0.9,"time":"2025-03-01T12:00:00Z"}`))
	f.Add([]byte(`{"kind":"ended","end_reason":"x\u001b[31m","reason":"r"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		line := FormatEventLine("s", b)
		if strings.ContainsAny(line, "\n\r\x1b") {
			t.Fatalf("control characters reach the terminal: %q", line)
		}
	})
}

// TestTailPrintsEachStoredEventOnce: a resend of an event (same
// Nats-Msg-Id, e.g. after an ack timeout or a restart of the daemon) is
// dropped by the stream, and tail, reading the stream, prints it once. It
// once subscribed to the live subjects and printed every resend.
func TestTailPrintsEachStoredEventOnce(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	startPub(t, testConfig(t, srv.URL())) // sets up the stream
	nc := alertstest.Connect(t, srv.URL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	alertstest.Eventually(t, 10*time.Second, "stream set up", func() bool {
		_, err := js.Stream(context.Background(), DefaultStream)
		return err == nil
	})
	out, stop := runTail(t, TailOptions{Server: srv.URL()})
	alertstest.Eventually(t, 10*time.Second, "tail reading the stream", func() bool {
		return strings.Contains(out.String(), "at "+srv.URL()+", stream ANYANOMALY")
	})
	publish := func(id, kind string) {
		msg := &nats.Msg{Subject: "anyanomaly.events.cam1.fall", Header: nats.Header{},
			Data: []byte(`{"kind":"` + kind + `","camera":"cam1","rule":"fall","score":0.9,"time":"2025-03-01T12:00:00Z"}`)}
		msg.Header.Set(nats.MsgIdHdr, id)
		if _, err := js.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	publish("e1-0", KindStarted)
	publish("e1-0", KindStarted) // the resend
	publish("e1-1", KindEnded)
	alertstest.Eventually(t, 10*time.Second, "ended line", func() bool { return strings.Contains(out.String(), "ended") })
	stop()
	if n := strings.Count(out.String(), " started "); n != 1 {
		t.Fatalf("the started event printed %d times:\n%s", n, out.String())
	}
}

// TestTailMasksEveryServer: a server list (nats.go takes URLs separated by
// commas, with or without a scheme) once had only its first password
// masked in tail's output and errors.
func TestTailMasksEveryServer(t *testing.T) {
	tests := []struct{ list, want string }{
		{"nats://u:pw1@h1:4222,nats://u:pw2@h2:4222", "nats://u:***@h1:4222,nats://u:***@h2:4222"},
		{"u:pw1@h1:4222", "u:***@h1:4222"},
		{"tls://tok1@h1, h2:4222", "tls://***@h1,h2:4222"},
	}
	for _, tc := range tests {
		if got, _ := maskServers(tc.list); got != tc.want {
			t.Errorf("maskServers(%q) = %q, want %q", tc.list, got, tc.want)
		}
	}
	// A URL nats.go cannot parse: its error quotes it whole.
	err := Tail(context.Background(), TailOptions{Server: "nats://u:pw 3@127.0.0.1:1,nats://u:pw4@127.0.0.1:2"}, &syncBuffer{})
	if err == nil || strings.Contains(err.Error(), "pw 3") || strings.Contains(err.Error(), "pw4") {
		t.Fatalf("Tail error %v, want one without the passwords", err)
	}
}

// TestTailFallsBackWithoutJetStream: against a server without JetStream
// tail says it reads the live subjects only, and does.
func TestTailFallsBackWithoutJetStream(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) { o.JetStream = false })
	out, stop := runTail(t, TailOptions{Server: srv.URL()})
	alertstest.Eventually(t, 10*time.Second, "tail on the live subjects", func() bool {
		return strings.Contains(out.String(), "live subjects only (no JetStream on this server")
	})
	nc := alertstest.Connect(t, srv.URL())
	if err := nc.Publish("anyanomaly.events.cam1.fall", []byte(`{"kind":"started","camera":"cam1","rule":"fall","time":"2025-03-01T12:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	alertstest.Eventually(t, 10*time.Second, "event line", func() bool { return strings.Contains(out.String(), " started ") })
	stop()
}

// TestTailSubscribeOnlyUser: a viewer account that may only subscribe to
// the events cannot create a consumer (the request times out); tail then
// says so and reads the live subjects, as it did before it read the
// stream.
func TestTailSubscribeOnlyUser(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) {
		o.Users = []*server.User{
			{Username: "admin", Password: "a"},
			{Username: "viewer", Password: "v", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Deny: []string{">"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"anyanomaly.events.>"}},
			}},
		}
	})
	cfg := testConfig(t, srv.URL())
	cfg.User, cfg.Password = "admin", "a"
	h := startPub(t, cfg)
	admin := alertstest.Connect(t, srv.URL(), nats.UserInfo("admin", "a"))
	js, err := jetstream.New(admin)
	if err != nil {
		t.Fatal(err)
	}
	alertstest.Eventually(t, 10*time.Second, "stream set up", func() bool {
		_, err := js.Stream(context.Background(), DefaultStream)
		return err == nil
	})
	out, stop := runTail(t, TailOptions{Server: srv.URL(), User: "viewer", Password: "v"})
	alertstest.Eventually(t, 30*time.Second, "tail on the live subjects", func() bool {
		return strings.Contains(out.String(), "live subjects only (stream ANYANOMALY not readable")
	})
	h.p.Submit(seg(0, 0.9))
	alertstest.Eventually(t, 10*time.Second, "event line", func() bool { return strings.Contains(out.String(), " started ") })
	stop()
}
