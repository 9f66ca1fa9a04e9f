package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// TestPublisherWithoutStreamInfo: a NATS user allowed to create and
// update the stream and publish events, but not to read STREAM.INFO.
// Before keepPlacement the setup needed only STREAM.UPDATE/CREATE.
func TestPublisherWithoutStreamInfo(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) {
		o.Users = []*server.User{{Username: "pub", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{"anyanomaly.>",
				"$JS.API.STREAM.CREATE.ANYANOMALY", "$JS.API.STREAM.UPDATE.ANYANOMALY"}},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
		}}}
	})
	cfg := testConfig(t, srv.URL())
	cfg.User, cfg.Password = "pub", "pw"
	cfg.DisableSnapshots = true
	var logBuf syncBuffer
	h := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	feed(h.p, 0, 2)
	deadline := time.Now().Add(30 * time.Second)
	for h.p.Stats().Published < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no event published in 30 s: %+v\n%s", h.p.Stats(), logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTailAfterFreshServer: tail started on a stream holding
// messages; the server comes back with an empty store (same port), the
// stream is made again and a new event is stored at sequence 1. The
// ordered consumer, having delivered nothing, is remade at the first
// LastSeq+1 and waits for a sequence the new stream has not reached.
func TestTailAfterFreshServer(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	scfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: Subjects{Prefix: "anyanomaly"}.StreamSubjects()}
	js := jsOf(t, srv.URL())
	if _, err := js.CreateStream(ctx10s(t), scfg); err != nil {
		t.Fatal(err)
	}
	publish := func(js jetstream.JetStream, id, kind, cam string) {
		msg := &nats.Msg{Subject: "anyanomaly.events." + cam + ".fall", Header: nats.Header{},
			Data: []byte(`{"kind":"` + kind + `","camera":"` + cam + `","rule":"fall","score":0.9,"time":"2025-03-01T12:00:00Z"}`)}
		msg.Header.Set(nats.MsgIdHdr, id)
		if _, err := js.PublishMsg(ctx10s(t), msg); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		publish(js, "old-"+string(rune('a'+i)), KindStarted, "camOld")
	}
	out, stop := runTail(t, TailOptions{Server: srv.URL()})
	defer stop()
	alertstest.Eventually(t, 10*time.Second, "tail reading the stream", func() bool {
		return strings.Contains(out.String(), ", stream ANYANOMALY")
	})
	srv.Stop()
	srv.Opts.StoreDir = t.TempDir()
	srv.Start()
	js2 := jsOf(t, srv.URL())
	if _, err := js2.CreateStream(ctx10s(t), scfg); err != nil {
		t.Fatal(err)
	}
	alertstest.Eventually(t, 30*time.Second, "reconnected", func() bool { return strings.Contains(out.String(), "# reconnected") })
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; !strings.Contains(out.String(), "camNew"); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("tail printed no event stored after the server came back empty:\n%s", out.String())
		}
		publish(js2, "new-"+string(rune('a'+i%26))+string(rune('a'+i/26)), KindStarted, "camNew")
		time.Sleep(500 * time.Millisecond)
	}
}

// TestRestartedServerQuiet: the server restarted from the same store
// directory; the publisher's second start must not report changes.
func TestRestartedServerQuiet(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	cfg := testConfig(t, srv.URL())
	h := startPub(t, cfg)
	feed(h.p, 0, 2)
	waitDelivered(t, h.p, 2)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.Start()
	var logBuf syncBuffer
	cfg.SpoolDir = t.TempDir()
	h2 := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	feed(h2.p, 2, 2)
	waitDelivered(t, h2.p, 2)
	if strings.Contains(logBuf.String(), "existing stream updated") || strings.Contains(logBuf.String(), "snapshot bucket cannot") {
		t.Fatalf("spurious warning:\n%s", logBuf.String())
	}
}

// TestTailWithoutStreamInfo: a viewer allowed to create (ordered)
// consumers on the stream but not to read STREAM.INFO read the stream
// once it asked for STREAM.INFO first, tail fell back to live subjects.
func TestTailWithoutStreamInfo(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) {
		o.Users = []*server.User{
			{Username: "admin", Password: "pw"},
			{Username: "viewer", Password: "pw", Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{Allow: []string{"$JS.API.CONSUMER.CREATE.ANYANOMALY.>",
					"$JS.API.CONSUMER.DELETE.ANYANOMALY.>", "$JS.API.CONSUMER.MSG.NEXT.ANYANOMALY.>", "$JS.API.CONSUMER.INFO.ANYANOMALY.>", "$JS.FC.>"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", "anyanomaly.>"}},
			}}}
	})
	url := "nats://admin:pw@" + strings.TrimPrefix(srv.URL(), "nats://")
	if _, err := jsOf(t, url).CreateStream(ctx10s(t), jetstream.StreamConfig{Name: DefaultStream, Subjects: Subjects{Prefix: "anyanomaly"}.StreamSubjects()}); err != nil {
		t.Fatal(err)
	}
	out, stop := runTail(t, TailOptions{Server: srv.URL(), User: "viewer", Password: "pw"})
	defer stop()
	alertstest.Eventually(t, 15*time.Second, "tail started", func() bool { return strings.Contains(out.String(), "listening") })
	if !strings.Contains(out.String(), ", stream ANYANOMALY") {
		t.Fatalf("tail does not read the stream:\n%s", out.String())
	}
}

// TestTailMirror: --stream pointing at a mirror of the events stream.
func TestTailMirror(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	js := jsOf(t, srv.URL())
	if _, err := js.CreateStream(ctx10s(t), jetstream.StreamConfig{Name: DefaultStream, Subjects: Subjects{Prefix: "anyanomaly"}.StreamSubjects()}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx10s(t), jetstream.StreamConfig{Name: "MIRROR", Mirror: &jetstream.StreamSource{Name: DefaultStream}}); err != nil {
		t.Fatal(err)
	}
	publish := func(id string) {
		msg := &nats.Msg{Subject: "anyanomaly.events.camA.fall", Header: nats.Header{},
			Data: []byte(`{"kind":"started","camera":"camA","rule":"fall","score":0.9,"time":"2025-03-01T12:00:00Z"}`)}
		msg.Header.Set(nats.MsgIdHdr, id)
		if _, err := js.PublishMsg(ctx10s(t), msg); err != nil {
			t.Fatal(err)
		}
	}
	publish("a")
	publish("b")
	alertstest.Eventually(t, 10*time.Second, "mirrored", func() bool {
		st, err := js.Stream(ctx10s(t), "MIRROR")
		return err == nil && st.CachedInfo().State.Msgs == 2
	})
	out, stop := runTail(t, TailOptions{Server: srv.URL(), Stream: "MIRROR"})
	defer stop()
	alertstest.Eventually(t, 10*time.Second, "tail reading the mirror", func() bool { return strings.Contains(out.String(), ", stream MIRROR") })
	publish("c")
	alertstest.Eventually(t, 10*time.Second, "one new event printed", func() bool { return strings.Count(out.String(), " started ") == 1 })
	time.Sleep(time.Second) // nothing old printed after
	if n := strings.Count(out.String(), " started "); n != 1 {
		t.Fatalf("%d events printed:\n%s", n, out.String())
	}
}

// TestHeaderSizeExact: headerSize against what nats.go counts.
func TestHeaderSizeExact(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	nc := alertstest.Connect(t, srv.URL())
	msg := &nats.Msg{Subject: "x.y", Data: []byte("hello"), Header: nats.Header{}}
	msg.Header[nats.MsgIdHdr] = []string{"ev-123-4"}
	msg.Header[HeaderKind] = []string{KindStarted}
	msg.Header[HeaderEventID] = []string{"ev-123"}
	before := nc.Stats().OutBytes
	if err := nc.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	got := nc.Stats().OutBytes - before
	if want := uint64(len(msg.Data) + headerSize(msg.Header)); got != want {
		t.Fatalf("wire %d, estimate %d", got, want)
	}
}

// TestMissingBucketCostsOnlySnapshots: a bucket that cannot be
// created at all (here: no right to create it). Events no
// longer wait for the bucket; every snapshot record is a "bucket not
// found", which snapshotTries treats as transient: each waits
// snapshotPatience (2 min) before it is given up, one after another.
func TestMissingBucketCostsOnlySnapshots(t *testing.T) {
	srv := alertstest.StartServer(t, func(o *server.Options) {
		o.Users = []*server.User{{Username: "pub", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{"$JS.API.STREAM.CREATE.OBJ_anyanomaly-snapshots", "$JS.API.STREAM.UPDATE.OBJ_anyanomaly-snapshots"}},
		}}}
	})
	cfg := testConfig(t, srv.URL())
	cfg.User, cfg.Password = "pub", "pw"
	var logBuf syncBuffer
	h := startPubWith(t, cfg, Deps{Log: slogTo(&logBuf)}, []string{"cam1"}, fastRule)
	for i := range 2 {
		h.p.Submit(seg(i, 0.9-0.8*float64(i))) // started (with a key frame), ended
	}
	deadline := time.Now().Add(40 * time.Second)
	for h.p.Stats().Published < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the events wait for a bucket that does not exist: %+v\n%s", h.p.Stats(), logBuf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%+v\n%s", h.p.Stats(), logBuf.String())
}
