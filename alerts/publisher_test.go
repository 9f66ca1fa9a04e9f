package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
	"github.com/anyanomaly/anyanomaly/alerts/schema"
	"github.com/anyanomaly/anyanomaly/detector"
)

// fastRule turns every score ≥ 0.5 after a low one into `started` and
// every low one after a high one into `ended`.
var fastRule = Rule{ID: "fall", Texts: []string{"a person falling"}, Threshold: 0.5, UpdateEvery: -1, PeakStep: 1}

func testConfig(t testing.TB, urls ...string) Config {
	return Config{
		Node: "node1", URLs: urls, SpoolDir: t.TempDir(),
		ReconnectWait: 10 * time.Millisecond, ReconnectMaxWait: 100 * time.Millisecond,
		AckTimeout: 2 * time.Second, HeartbeatInterval: -1, ShutdownTimeout: 10 * time.Second,
		// A small window makes the tests cross the full-window path often.
		MaxInFlight: 16,
	}
}

type harness struct {
	p      *Publisher
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

func startPub(t testing.TB, cfg Config, cams ...string) *harness {
	t.Helper()
	if len(cams) == 0 {
		cams = []string{"cam1"}
	}
	return startPubWith(t, cfg, Deps{Log: quietLog()}, cams, fastRule)
}

// startPubWith starts a publisher with deps for cams, each with rules,
// stopped when the test ends.
func startPubWith(t testing.TB, cfg Config, deps Deps, cams []string, rules ...Rule) *harness {
	t.Helper()
	p, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cams {
		if err := p.SetCamera(c, "Camera "+c, rules); err != nil {
			t.Fatal(err)
		}
	}
	return runHarness(t, p)
}

// runHarness runs p until the test ends (or the harness stops it).
func runHarness(t testing.TB, p *Publisher) *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{p: p, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- p.Run(ctx) }()
	t.Cleanup(func() { _ = h.stop() })
	return h
}

func (h *harness) stop() error {
	h.once.Do(func() {
		h.cancel()
		h.err = <-h.done
	})
	return h.err
}

// kill ends Run as a crash would: no flush, no checkpoint.
func (h *harness) kill() {
	h.p.killed.Store(true)
	_ = h.stop()
}

// feed submits n scores for cam1/fall from segment `from`, alternating
// high and low so that each one makes exactly one event message.
func feed(p *Publisher, from, n int) {
	for i := from; i < from+n; i++ {
		sc := 0.1
		if i%2 == 0 {
			sc = 0.9
		}
		s := seg(i, sc)
		s.Images = detector.QueryImages{}
		p.Submit(s)
	}
}

func waitDelivered(t testing.TB, p *Publisher, messages uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := p.Stats()
		if st.SpoolRecords == 0 && st.Published+st.Duplicates >= messages {
			return
		}
		if time.Now().After(deadline) {
			h, n := uint64(0), uint64(0)
			p.mu.Lock()
			if p.spool != nil {
				h, n = p.spool.Bounds()
			}
			p.mu.Unlock()
			t.Fatalf("timed out waiting for %d messages delivered: spool [%d, %d) durable %d; %+v", messages, h, n, p.durable.Load(), st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func decodeEvents(t testing.TB, msgs []jetstream.Msg) []Event {
	t.Helper()
	sch, err := schema.CompileEvent()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		if err := schema.ValidateEvent(sch, m.Data()); err != nil {
			t.Fatalf("%s: %v\n%s", m.Subject(), err, m.Data())
		}
		var ev Event
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if got := m.Headers().Get(nats.MsgIdHdr); got != fmt.Sprintf("%s-%d", ev.ID, ev.Seq) {
			t.Fatalf("Nats-Msg-Id %q for event %s/%d", got, ev.ID, ev.Seq)
		}
		if m.Headers().Get(HeaderKind) != ev.Kind || !strings.HasSuffix(m.Subject(), ".events."+ev.Camera+"."+ev.Rule) {
			t.Fatalf("kind header %q / subject %s for %s event", m.Headers().Get(HeaderKind), m.Subject(), ev.Kind)
		}
		out = append(out, ev)
	}
	return out
}

// checkOnceInOrder asserts the stream holds exactly n event messages,
// one per segment 0..n-1, in segment order.
func checkOnceInOrder(t testing.TB, evs []Event, n int) {
	t.Helper()
	if len(evs) != n {
		t.Fatalf("stream holds %d event messages, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if ev.Segments.Last != uint64(i) {
			t.Fatalf("message %d is from segment %d: out of order or duplicated", i, ev.Segments.Last)
		}
		want := KindStarted
		if i%2 == 1 {
			want = KindEnded
		}
		if ev.Kind != want {
			t.Fatalf("message %d kind %s, want %s", i, ev.Kind, want)
		}
	}
}

func TestRoundTripSchemaSnapshotsStatusHeartbeat(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	nc := alertstest.Connect(t, srv.URL())
	hbs, err := nc.SubscribeSync("anyanomaly.heartbeat.node1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, srv.URL())
	cfg.HeartbeatInterval = 20 * time.Millisecond
	h := startPub(t, cfg)
	p := h.p
	if err := p.SetCamera("cam1", "Front door", []Rule{{ID: "fall", Texts: []string{"falling"}, Threshold: 0.5, UpdateEvery: -1, PeakStep: 0.1}}); err != nil {
		t.Fatal(err)
	}
	img := func(tag string, i int) []byte { return []byte(fmt.Sprintf("\xff\xd8%s-%d\xff\xd9", tag, i)) }
	for i, sc := range []float64{0.6, 0.8, 0.1} {
		s := seg(i, sc)
		s.Model = "minicpm-v"
		s.Reasons = detector.ContextReasons{Frame: "a person lies on the floor", Temporal: "someone falls"}
		s.Images = detector.QueryImages{KeyFrame: img("k", i), Position: img("p", i), Temporal: img("t", i)}
		p.Submit(s)
	}
	if err := p.CameraStatus("cam1", "online", "stream up"); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, p, 4)
	if _, err := hbs.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("no heartbeat: %v", err)
	}

	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	if len(evs) != 3 || evs[0].Kind != KindStarted || evs[1].Kind != KindUpdated || evs[2].Kind != KindEnded {
		t.Fatalf("events: %+v", evs)
	}
	for i, ev := range evs {
		if ev.ID != evs[0].ID || ev.Seq != i || ev.CameraName != "Front door" || ev.Node != "node1" || ev.Model != "minicpm-v" {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	if evs[0].Reason != "a person lies on the floor" || evs[2].EndReason != "score below threshold" || evs[2].EndedAt == nil {
		t.Fatalf("reasons: %q / %q", evs[0].Reason, evs[2].EndReason)
	}
	if evs[2].Snapshots != nil {
		t.Fatal("ended carries snapshots")
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs, err := js.ObjectStore(ctx, DefaultSnapshotBucket)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs[:2] {
		sn := ev.Snapshots
		if sn == nil || sn.Bucket != DefaultSnapshotBucket {
			t.Fatalf("event %d has no snapshots", i)
		}
		for name, want := range map[string][]byte{sn.KeyFrame: img("k", i), sn.Position: img("p", i), sn.Temporal: img("t", i)} {
			got, err := obs.GetBytes(ctx, name)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("snapshot %s: %q %v, want %q", name, got, err, want)
			}
		}
	}
	sts := alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.status.cam1")
	var st Status
	if len(sts) != 1 || json.Unmarshal(sts[0].Data(), &st) != nil || st.State != "online" || st.CameraName != "Front door" {
		t.Fatalf("status messages: %d %+v", len(sts), st)
	}
	s := p.Stats()
	if s.EventsStarted != 1 || s.EventsUpdated != 1 || s.EventsEnded != 1 || s.SnapshotsStored != 6 || !s.Connected {
		t.Fatalf("stats: %+v", s)
	}
}

func TestOutageEveryEventOnceInOrder(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()))
	p := h.p
	feed(p, 0, 100)
	waitDelivered(t, p, 100)

	srv.Stop()
	alertstest.Eventually(t, 10*time.Second, "disconnect noticed", func() bool { return !p.Connected() })
	feed(p, 100, 100) // while the server is down
	if st := p.Stats(); st.SpoolRecords < 100 {
		t.Fatalf("spool holds %d records during the outage, want ≥ 100", st.SpoolRecords)
	}
	srv.Start()
	feed(p, 200, 100) // while the spool is being replayed
	alertstest.Eventually(t, 60*time.Second, "spool drained", func() bool {
		st := p.Stats()
		return st.SpoolRecords == 0 && st.EventsStarted+st.EventsEnded == 300
	})
	// Publish failures are likely but not certain: the sender may first try
	// after the reconnect.
	if st := p.Stats(); st.Reconnects == 0 || st.Disconnects == 0 {
		t.Fatalf("the outage left no trace in stats: %+v", st)
	}
	nc := alertstest.Connect(t, srv.URL())
	checkOnceInOrder(t, decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>")), 300)
}

func TestRestartReplaysSpoolWithoutDuplicates(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	h := startPub(t, cfg)
	feed(h.p, 0, 50)
	waitDelivered(t, h.p, 50)
	srv.Stop()
	feed(h.p, 50, 50)
	alertstest.Eventually(t, 10*time.Second, "records spooled", func() bool { return h.p.Stats().SpoolRecords >= 50 })
	h.kill()

	srv.Start()
	h2 := startPub(t, cfg) // same spool dir
	waitDelivered(t, h2.p, 50)
	nc := alertstest.Connect(t, srv.URL())
	checkOnceInOrder(t, decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>")), 100)
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolUnderAnotherPrefixIsDelivered: records spooled before a
// restart that changed the subject prefix once got "no responders" from
// the stream, set up for the new prefix, and blocked everything behind
// them forever. They are now sent under the new prefix.
func TestSpoolUnderAnotherPrefixIsDelivered(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	cfg.SubjectPrefix = "site1.old"
	srv.Stop()
	h := startPub(t, cfg)
	feed(h.p, 0, 4)
	if err := h.p.CameraStatus("cam1", "online", ""); err != nil {
		t.Fatal(err)
	}
	alertstest.Eventually(t, 10*time.Second, "records spooled", func() bool { return h.p.Stats().SpoolRecords >= 5 })
	h.kill()

	srv.Start()
	cfg.SubjectPrefix = "new"
	h2 := startPub(t, cfg) // same spool dir
	feed(h2.p, 4, 2)
	waitDelivered(t, h2.p, 7)
	nc := alertstest.Connect(t, srv.URL())
	checkOnceInOrder(t, decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "new.events.cam1.fall")), 6)
	if st := alertstest.ReadStream(t, nc, "ANYANOMALY", "new.status.cam1"); len(st) != 1 {
		t.Fatalf("%d status messages under the new prefix, want 1", len(st))
	}
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestForcedEndsCarryReasons(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()), "cam1", "cam2", "cam3")
	p := h.p
	for _, cam := range []string{"cam1", "cam2", "cam3"} {
		s := seg(0, 0.9)
		s.CameraID = cam
		p.Submit(s)
	}
	// Hot reload: a new threshold keeps cam1's event open; dropping the
	// rule ends cam2's; removing cam3 ends its event; shutdown ends cam1's.
	if err := p.SetCamera("cam1", "Camera cam1", []Rule{{ID: "fall", Threshold: 0.95, Hysteresis: 0.5, UpdateEvery: -1, PeakStep: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetCamera("cam2", "Camera cam2", nil); err != nil {
		t.Fatal(err)
	}
	p.RemoveCamera("cam3", "")
	if st := p.Stats(); st.OpenEvents != 1 || st.EventsEnded != 2 {
		t.Fatalf("after reload: %+v", st)
	}
	waitDelivered(t, p, 5)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	nc := alertstest.Connect(t, srv.URL())
	reasons := map[string]string{}
	for _, ev := range decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>")) {
		if ev.Kind == KindEnded {
			reasons[ev.Camera] = ev.EndReason
		}
	}
	want := map[string]string{"cam1": "shutdown", "cam2": "rule removed", "cam3": "camera removed"}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Fatalf("end reasons %v, want %v", reasons, want)
	}
}

func TestFullSpoolIsLoud(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	srv.Stop() // nothing listens: everything stays in the spool
	var logBuf syncBuffer
	cfg := testConfig(t, srv.URL())
	cfg.SpoolMaxRecords = 5
	p, err := New(cfg, Deps{Log: slogTo(&logBuf)})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetCamera("cam1", "", []Rule{fastRule}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	alertstest.Eventually(t, 10*time.Second, "spool open", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.spool != nil
	})
	feed(p, 0, 8)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// 8 messages + 1 shutdown ended = 9; 5 fit.
	if st := p.Stats(); st.SpoolFullDrops != 3 {
		t.Fatalf("spool full drops %d, want 3", st.SpoolFullDrops)
	}
	if !strings.Contains(logBuf.String(), "spool full") {
		t.Fatalf("no log line about the full spool:\n%s", logBuf.String())
	}
}

func TestAuth(t *testing.T) {
	certs := alertstest.MakeCerts(t)
	ukp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	seedFile := t.TempDir() + "/user.nk"
	if err := os.WriteFile(seedFile, useed, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		server  func(*server.Options)
		client  func(*Config)
		wantErr string
	}{
		{"user and password", func(o *server.Options) { o.Username, o.Password = "alice", "s3cret" },
			func(c *Config) { c.User, c.Password = "alice", "s3cret" }, ""},
		{"wrong password", func(o *server.Options) { o.Username, o.Password = "alice", "s3cret" },
			func(c *Config) { c.User, c.Password = "alice", "wrong-pw" }, "authorization"},
		{"token", func(o *server.Options) { o.Authorization = "tok-42" },
			func(c *Config) { c.Token = "tok-42" }, ""},
		{"nkey seed file", func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: upub}} },
			func(c *Config) { c.NKeySeedFile = seedFile }, ""},
		{"TLS with client certificate", func(o *server.Options) {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CaFile: certs.CA, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			o.TLSConfig, o.TLSVerify, o.TLSTimeout = tc, true, 5
		}, func(c *Config) {
			c.TLSCAFile, c.TLSCertFile, c.TLSKeyFile = certs.CA, certs.ClientCert, certs.ClientKey
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := alertstest.StartServer(t, tc.server)
			cfg := testConfig(t, srv.URL())
			cfg.DisableSnapshots = true
			tc.client(&cfg)
			h := startPub(t, cfg)
			if tc.wantErr != "" {
				select {
				case err := <-h.done:
					h.once.Do(func() {})
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "wrong-pw") {
						t.Fatalf("got %v, want a clear %q error without the password", err, tc.wantErr)
					}
					t.Logf("error: %v", err)
				case <-time.After(30 * time.Second):
					t.Fatal("Run kept retrying a wrong password")
				}
				return
			}
			feed(h.p, 0, 2)
			waitDelivered(t, h.p, 2)
		})
	}
}

func TestExternalDebianServer(t *testing.T) {
	ext := alertstest.StartSystemServer(t)
	h := startPub(t, testConfig(t, ext.URL))
	s := seg(0, 0.9)
	h.p.Submit(s) // with a key frame: exercises the object store too
	feed(h.p, 1, 3)
	waitDelivered(t, h.p, 4)
	nc := alertstest.Connect(t, ext.URL)
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	if len(evs) != 4 || evs[0].Snapshots == nil {
		t.Fatalf("events from the external server: %+v", evs)
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs, err := js.ObjectStore(ctx, DefaultSnapshotBucket)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := obs.GetBytes(ctx, evs[0].Snapshots.KeyFrame); err != nil || !bytes.Equal(got, s.Images.KeyFrame) {
		t.Fatalf("snapshot: %q %v", got, err)
	}
}

func TestStreamDeletedIsRecreated(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()))
	feed(h.p, 0, 2)
	waitDelivered(t, h.p, 2)
	nc := alertstest.Connect(t, srv.URL())
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, "ANYANOMALY"); err != nil {
		t.Fatal(err)
	}
	feed(h.p, 2, 2)
	alertstest.Eventually(t, 30*time.Second, "events after the stream was deleted", func() bool {
		return h.p.Stats().SpoolRecords == 0 && h.p.Stats().EventsStarted+h.p.Stats().EventsEnded == 4
	})
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	if len(evs) != 2 || evs[0].Segments.Last != 2 || evs[1].Segments.Last != 3 {
		t.Fatalf("recreated stream holds %+v", evs)
	}
}

func TestQuietCameraEndsOpenEvent(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	cfg.StaleAfter = 50 * time.Millisecond
	h := startPub(t, cfg)
	feed(h.p, 0, 1)
	alertstest.Eventually(t, 10*time.Second, "stale event ended", func() bool { return h.p.Stats().EventsEnded == 1 })
	waitDelivered(t, h.p, 2)
	nc := alertstest.Connect(t, srv.URL())
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>"))
	if len(evs) != 2 || evs[1].EndReason != "no scores" {
		t.Fatalf("events: %+v", evs)
	}
	if err := h.p.CameraStatus("bad.id", "online", ""); err == nil {
		t.Fatal("status for an invalid camera id accepted")
	}
}

// TestOutOfRangeContextScoresStillPublish: a NaN or out-of-range context
// score once made the event unencodable after its snapshots were spooled,
// so consumers got images and then an `updated` for an event that never
// started. Context scores are now clamped to the schema's unit range.
func TestOutOfRangeContextScoresStillPublish(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()))
	s := seg(0, 0.9)
	s.Contexts = detector.ContextScores{Frame: math.NaN(), Position: 1.7, Temporal: math.Inf(-1)}
	s.Reasons = detector.ContextReasons{Frame: "nan", Position: "high", Temporal: "low"}
	h.p.Submit(s)
	waitDelivered(t, h.p, 1)
	nc := alertstest.Connect(t, srv.URL())
	evs := decodeEvents(t, alertstest.ReadStream(t, nc, "ANYANOMALY", "anyanomaly.events.>")) // schema-checked
	if len(evs) != 1 || evs[0].Kind != KindStarted || evs[0].Seq != 0 || evs[0].Snapshots == nil {
		t.Fatalf("events %+v, want one started with snapshots", evs)
	}
	want := detector.ContextScores{Frame: 0, Position: 1, Temporal: 0}
	if evs[0].Contexts != want || evs[0].Reason != "high" {
		t.Fatalf("contexts %+v reason %q, want %+v and the position reason", evs[0].Contexts, evs[0].Reason, want)
	}
}

// TestCameraStatusReportsADrop: the camera manager publishes a camera's
// status only when it differs from the last one CameraStatus accepted. A
// status the spool drops (full while NATS is away) must be reported, or
// the manager never sends it again and the camera's last word stays the
// one before for as long as it keeps failing the same way.
func TestCameraStatusReportsADrop(t *testing.T) {
	cfg := testConfig(t, "nats://127.0.0.1:1") // nothing listens: records stay spooled
	cfg.SpoolMaxRecords = 2
	h := startPub(t, cfg, "cam1")
	alertstest.Eventually(t, 10*time.Second, "spool open", func() bool {
		h.p.mu.Lock()
		defer h.p.mu.Unlock()
		return h.p.spool != nil
	})
	var lastErr error
	for range 3 {
		lastErr = h.p.CameraStatus("cam1", "backoff", "connection refused")
	}
	if h.p.st.spoolFull.Load() == 0 {
		t.Fatal("spool never full")
	}
	if lastErr == nil {
		t.Error("a status dropped by a full spool was reported as published (nil)")
	}
}
