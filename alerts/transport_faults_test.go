package alerts

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
	"github.com/anyanomaly/anyanomaly/detector"
)

func jsOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(alertstest.Connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func ctx10s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestBucketConflictCostsOnlySnapshots: a snapshot bucket that exists with
// a setting the publisher cannot change (memory storage) made the setup
// fail and retry for ever, so no event was sent at all.
func TestBucketConflictCostsOnlySnapshots(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	if _, err := jsOf(t, srv.URL()).CreateObjectStore(ctx10s(t), jetstream.ObjectStoreConfig{Bucket: DefaultSnapshotBucket, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	h := startPubWith(t, testConfig(t, srv.URL()), Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	feed(h.p, 0, 2)
	waitDelivered(t, h.p, 2)
	if !strings.Contains(logBuf.String(), DefaultSnapshotBucket) {
		t.Errorf("the bucket's problem is not logged by name:\n%s", logBuf.String())
	}
}

// TestOversizedMessageDoesNotBlock: a message over the server's
// max_payload was retried for ever, and every record behind it waited.
func TestOversizedMessageDoesNotBlock(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) { o.MaxPayload = 2048 })
	var logBuf syncBuffer
	cfg := testConfig(t, srv.URL())
	cfg.DisableSnapshots = true
	h := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	s := seg(0, 0.9)
	long := strings.Repeat("x", 500)
	s.Reasons = detector.ContextReasons{Frame: long, Position: long, Temporal: long}
	s.Images = detector.QueryImages{}
	h.p.Submit(s) // about 2.3 KB
	feed(h.p, 1, 3)
	alertstest.Eventually(t, 20*time.Second, "the records behind the oversized one delivered", func() bool {
		return h.p.Stats().Published >= 3 && h.p.Stats().SpoolRecords == 0
	})
	if !strings.Contains(logBuf.String(), "max_payload") {
		t.Errorf("the dropped message is not logged with the limit:\n%s", logBuf.String())
	}
}

// TestSnapshotChunksFitMaxPayload: the object store's 128 KiB chunks
// exceeded a server's smaller max_payload, so every snapshot was lost.
func TestSnapshotChunksFitMaxPayload(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) { o.MaxPayload = 64 << 10 })
	h := startPub(t, testConfig(t, srv.URL()))
	s := seg(0, 0.9)
	s.Images = detector.QueryImages{KeyFrame: bytes.Repeat([]byte{0xab}, 100<<10)}
	h.p.Submit(s)
	waitDelivered(t, h.p, 1)
	if st := h.p.Stats(); st.SnapshotsStored != 1 {
		t.Fatalf("a 100 KiB snapshot was not stored on a server with max_payload 64 KiB: %+v", st)
	}
}

// TestMissingAuthFilesFailAtOnce: a missing creds or CA file is a
// configuration mistake; it was retried for ever as "NATS unreachable"
// (a missing NKey seed file already failed Run at once).
func TestMissingAuthFilesFailAtOnce(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	for _, tc := range []struct {
		name string
		set  func(*Config)
	}{
		{"nkey seed", func(c *Config) { c.NKeySeedFile = "/nonexistent/user.nk" }},
		{"creds", func(c *Config) { c.CredsFile = "/nonexistent/user.creds" }},
		{"tls ca", func(c *Config) { c.TLSCAFile = "/nonexistent/ca.pem" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, srv.URL())
			tc.set(&cfg)
			var logBuf syncBuffer
			h := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
			select {
			case err := <-h.done:
				h.once.Do(func() {})
				if err == nil || !strings.Contains(err.Error(), "/nonexistent/") {
					t.Fatalf("Run: %v, want an error naming the file", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run still retrying after 10 s")
			}
		})
	}
}

// TestGivenUpSnapshotTriedOnce: a snapshot given up was tried, counted and
// logged again after every later failure (the spool head moves only when
// a whole fill succeeds), so n refused snapshots cost O(n²) tries.
func TestGivenUpSnapshotTriedOnce(t *testing.T) {
	// Storage too small for any snapshot; the events still fit.
	srv := alertstest.StartServer(t, func(o *server.Options) { o.JetStreamMaxStore = 256 << 10 })
	cfg := testConfig(t, srv.URL())
	cfg.ReconnectWait, cfg.ReconnectMaxWait = 250*time.Millisecond, 10*time.Second
	h := startPub(t, cfg)
	const n = 4
	for i := 0; i < 2*n; i += 2 {
		s := seg(i, 0.9)
		s.Images = detector.QueryImages{KeyFrame: bytes.Repeat([]byte{byte(i)}, 300<<10)}
		h.p.Submit(s)
		s = seg(i+1, 0.1)
		s.Images = detector.QueryImages{}
		h.p.Submit(s)
	}
	alertstest.Eventually(t, 60*time.Second, "spool drained", func() bool { return h.p.Stats().SpoolRecords == 0 })
	if st := h.p.Stats(); st.SnapshotFailures != n {
		t.Fatalf("%d refused snapshots counted %d times", n, st.SnapshotFailures)
	}
}

// TestExistingStreamKeepsReplicas: the publisher's update scaled an
// operator's R3 stream on a JetStream cluster down to R1 at every start.
func TestExistingStreamKeepsReplicas(t *testing.T) {
	ports := make([]int, 6)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	var routes []string
	for i := range 3 {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[3+i]))
	}
	for i := range 3 {
		alertstest.StartServer(t, func(o *server.Options) {
			o.ServerName = "n" + strconv.Itoa(i)
			o.Port = ports[i]
			o.Cluster.Name = "c"
			o.Cluster.Host = "127.0.0.1"
			o.Cluster.Port = ports[3+i]
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		})
	}
	url := "nats://127.0.0.1:" + strconv.Itoa(ports[0])
	js := jsOf(t, url)
	alertstest.Eventually(t, 60*time.Second, "an R3 stream created", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: DefaultStream, Subjects: Subjects{Prefix: "anyanomaly"}.StreamSubjects(), Replicas: 3})
		return err == nil
	})
	var logBuf syncBuffer
	cfg := testConfig(t, url)
	cfg.DisableSnapshots = true
	h := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	feed(h.p, 0, 2)
	waitDelivered(t, h.p, 2)
	st, err := js.Stream(ctx10s(t), DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("the operator's R3 stream has %d replicas after the publisher started", r)
	}
	// The settings the configuration owns were changed, and said so.
	if !strings.Contains(logBuf.String(), "duplicate_window") {
		t.Errorf("the update of the operator's settings is not logged:\n%s", logBuf.String())
	}
}

// TestOwnStreamUpdateIsQuiet: a restart finds the stream as the last run
// made it, and says nothing about changed settings.
func TestOwnStreamUpdateIsQuiet(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	cfg.DisableSnapshots = true
	h := startPub(t, cfg)
	feed(h.p, 0, 2)
	waitDelivered(t, h.p, 2)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	cfg.SpoolDir = t.TempDir()
	h2 := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	feed(h2.p, 2, 2)
	waitDelivered(t, h2.p, 2)
	if strings.Contains(logBuf.String(), "existing stream updated") {
		t.Fatalf("the publisher's own stream reported as changed:\n%s", logBuf.String())
	}
}

// cutProxy forwards TCP to a server; cut closes every connection and
// refuses new ones until restore.
type cutProxy struct {
	l     net.Listener
	mu    sync.Mutex
	down  bool
	conns []net.Conn
	wg    sync.WaitGroup
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			s, err := net.Dial("tcp", target)
			if p.down || err != nil {
				p.mu.Unlock()
				c.Close()
				if s != nil {
					s.Close()
				}
				continue
			}
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(s, c); s.Close() }()
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) URL() string { return "nats://" + p.l.Addr().String() }

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestTailShowsEventsOfItsOutage: a tail that had printed nothing when its
// connection dropped started again at "new" messages (the ordered
// consumer is remade with its first policy), missing what the stream
// stored meanwhile; docs/alerts.md says it resumes where it stopped.
func TestTailShowsEventsOfItsOutage(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	js := jsOf(t, srv.URL())
	if _, err := js.CreateStream(ctx10s(t), jetstream.StreamConfig{Name: DefaultStream, Subjects: Subjects{Prefix: "anyanomaly"}.StreamSubjects()}); err != nil {
		t.Fatal(err)
	}
	publish := func(id, kind string) {
		msg := &nats.Msg{Subject: "anyanomaly.events.camA.fall", Header: nats.Header{},
			Data: []byte(`{"kind":"` + kind + `","camera":"camA","rule":"fall","score":0.9,"time":"2025-03-01T12:00:00Z"}`)}
		msg.Header.Set(nats.MsgIdHdr, id)
		if _, err := js.PublishMsg(ctx10s(t), msg); err != nil {
			t.Fatal(err)
		}
	}
	px := startCutProxy(t, strings.TrimPrefix(srv.URL(), "nats://"))
	out, stop := runTail(t, TailOptions{Server: px.URL()})
	alertstest.Eventually(t, 10*time.Second, "tail reading the stream", func() bool {
		return strings.Contains(out.String(), ", stream ANYANOMALY")
	})
	px.cut()
	alertstest.Eventually(t, 10*time.Second, "disconnected", func() bool { return strings.Contains(out.String(), "# disconnected") })
	publish("e1-0", KindStarted) // stored during the outage
	px.restore()
	alertstest.Eventually(t, 30*time.Second, "reconnected", func() bool { return strings.Contains(out.String(), "# reconnected") })
	publish("e1-1", KindEnded)
	alertstest.Eventually(t, 10*time.Second, "both events printed", func() bool {
		return strings.Contains(out.String(), " started ") && strings.Contains(out.String(), " ended ")
	})
	stop()
}
