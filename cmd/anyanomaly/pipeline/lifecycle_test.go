package pipeline_test

import (
	"encoding/json"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// statusMessages counts the camera's status messages of state on the
// stream.
func statusMessages(t *testing.T, msgs []message, camera, state string) int {
	t.Helper()
	n := 0
	for _, m := range msgs {
		if m.subject != "anyanomaly.status."+camera {
			continue
		}
		var s struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal(m.data, &s); err != nil {
			t.Fatalf("status on %s: %v", m.subject, err)
		}
		if s.State == state {
			n++
		}
	}
	return n
}

// TestReload changes a rule's threshold and adds a camera while the
// daemon runs: the unchanged camera keeps its connection (no reconnect,
// no second "online"), the new one streams; then a new URL restarts only
// its camera and a camera left out stops; then a broken file changes
// nothing and the reload metric says it failed.
func TestReload(t *testing.T) {
	e := newEnv(t)
	normal := clip(t, 4, nil, 3)
	url1 := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam1"))
	url2 := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam2"))
	// cam3's server accepts connections and never answers: it must stall
	// nobody but itself.
	hung := hungServer(t)
	d := e.start(t, camera{id: "cam1", url: url1, threshold: 0.5}, camera{id: "cam3", url: hung, threshold: 0.5})
	poll(t, 30*time.Second, "cam1 streaming", func() bool { return streamed(d, "cam1", 2*segFrames) })
	before, _ := cameraStats(d, "cam1")

	daemontest.WriteConfig(t, e.path, e.config(camera{id: "cam1", url: url1, threshold: 0.7}, camera{id: "cam2", url: url2, threshold: 0.5},
		camera{id: "cam3", url: hung, threshold: 0.5}))
	d.Reload()
	poll(t, 20*time.Second, "the reload", func() bool {
		r := d.Status().Config.LastReload
		return r != nil && r.Success && d.Config().Camera("cam2") != nil
	})
	if r := d.Status().Config.LastReload; !strings.Contains(r.Changes, "added cam2") || !strings.Contains(r.Changes, "updated cam1") {
		t.Errorf("reload changes = %q, want cam2 added and cam1 updated", r.Changes)
	}
	if th := d.Config().Camera("cam1").Rules[0].Threshold; th != 0.7 {
		t.Errorf("cam1 threshold after reload = %g", th)
	}
	poll(t, 30*time.Second, "cam2 streaming and cam1 going on", func() bool {
		return streamed(d, "cam2", 2*segFrames) && streamed(d, "cam1", before.Frames+2*segFrames)
	})
	after, _ := cameraStats(d, "cam1")
	if after.Reconnects != before.Reconnects {
		t.Errorf("cam1 reconnects %d → %d across a rules-only reload", before.Reconnects, after.Reconnects)
	}

	// A new URL restarts that camera only; a camera left out stops.
	url3 := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam2b"))
	daemontest.WriteConfig(t, e.path, e.config(camera{id: "cam1", url: url1, threshold: 0.7}, camera{id: "cam2", url: url3, threshold: 0.5}))
	d.Reload()
	poll(t, 20*time.Second, "the second reload", func() bool {
		r := d.Status().Config.LastReload
		return r != nil && r.Success && d.Config().Camera("cam3") == nil
	})
	if r := d.Status().Config.LastReload; !strings.Contains(r.Changes, "removed cam3") || !strings.Contains(r.Changes, "restart cam2") {
		t.Errorf("reload changes = %q, want cam3 removed and cam2 restarted", r.Changes)
	}
	if _, ok := cameraStats(d, "cam3"); ok {
		t.Error("cam3 still in the status after its removal")
	}
	c2, _ := cameraStats(d, "cam2")
	poll(t, 30*time.Second, "cam2 streaming from its new URL", func() bool {
		c, _ := cameraStats(d, "cam2")
		return c.State == daemon.CameraStreaming && c.Frames >= c2.Frames+2*segFrames
	})

	daemontest.WriteConfig(t, e.path, "cameras:\n  - id: cam1\n    url: 12\n    bogus: true\n")
	d.Reload()
	poll(t, 20*time.Second, "the rejected reload", func() bool {
		r := d.Status().Config.LastReload
		return r != nil && !r.Success
	})
	_, body := d.Get(t, "/metrics")
	if v := metric(body, "anyanomaly_config_reload_success"); v != 0 {
		t.Errorf("anyanomaly_config_reload_success = %g after a broken file, want 0", v)
	}
	if v := metric(body, `anyanomaly_config_reloads_total{result="failure"}`); v < 1 {
		t.Errorf(`anyanomaly_config_reloads_total{result="failure"} = %g, want ≥ 1`, v)
	}
	if d.Config().Camera("cam2") == nil {
		t.Fatal("the running configuration changed after a broken file")
	}
	c1, _ := cameraStats(d, "cam1")
	c2, _ = cameraStats(d, "cam2")
	poll(t, 30*time.Second, "both cameras going on after the broken file", func() bool {
		return streamed(d, "cam1", c1.Frames+segFrames) && streamed(d, "cam2", c2.Frames+segFrames)
	})
	if c, _ := cameraStats(d, "cam1"); c.Reconnects != before.Reconnects {
		t.Errorf("cam1 reconnects %d → %d", before.Reconnects, c.Reconnects)
	}
	if err := d.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	msgs := readStored(t, e)
	if n := statusMessages(t, msgs, "cam1", "online"); n != 1 {
		t.Errorf("cam1 went online %d times, want once (no restart on reload)", n)
	}
	if n := statusMessages(t, msgs, "cam2", "online"); n != 2 {
		t.Errorf("cam2 went online %d times, want twice (restarted once, for its new URL)", n)
	}
	if n := statusMessages(t, msgs, "cam3", "offline"); n != 1 {
		t.Errorf("cam3 went offline %d times, want once (removed)", n)
	}
}

// hungServer accepts TCP connections and never says a word, like a
// camera whose firmware hangs; it returns an rtsp:// URL for it.
func hungServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return "rtsp://" + ln.Addr().String() + "/hung"
}

// readStored reads the stream a stopped daemon left in its state
// directory, through a fresh embedded server on the same store.
func readStored(t *testing.T, e *env) []message {
	t.Helper()
	srv := alerts.NewEmbeddedServer(alerts.EmbeddedConfig{StateDir: filepath.Join(e.dir, "state"), Host: "127.0.0.1", Port: -1}, "check", slog.New(slog.DiscardHandler))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	return readAll(t, srv.ClientURL())
}

// TestShutdown first lowers a rule's threshold while the anomaly is on
// screen: the event opens without the camera reconnecting (rules apply in
// place). Then it stops the daemon (what SIGTERM does) with the event
// open: Run returns within 10 s, the event is ended with reason
// "shutdown", and every event the publisher made is on the stream.
func TestShutdown(t *testing.T) {
	e := newEnv(t)
	anomalous := clip(t, 20, redSquare(1, 20), 4)
	url := streamtest.StartReplay(t, anomalous, streamtest.WaitForReader(), streamtest.TCPOnly(), streamtest.Path("cam1"))
	d := e.start(t, camera{id: "cam1", url: url, threshold: 0.9})
	poll(t, 60*time.Second, "high scores", func() bool {
		c, _ := cameraStats(d, "cam1")
		return len(c.Rules) == 1 && c.Rules[0].LastScore >= 0.3
	})
	if p := d.Status().Publisher; p.Events[alerts.KindStarted] != 0 {
		t.Fatalf("an event under threshold 0.9: %+v", p.Events)
	}
	before, _ := cameraStats(d, "cam1")
	daemontest.WriteConfig(t, e.path, e.config(camera{id: "cam1", url: url, threshold: 0.3}))
	d.Reload()
	poll(t, 60*time.Second, "the started event", func() bool {
		p := d.Status().Publisher
		return p != nil && p.Events[alerts.KindStarted] >= 1
	})
	c, _ := cameraStats(d, "cam1")
	if c.Reconnects != before.Reconnects {
		t.Errorf("cam1 reconnected on a threshold change: %d → %d", before.Reconnects, c.Reconnects)
	}
	if len(c.Rules) != 1 || c.Rules[0].Open == nil || c.Rules[0].LastScore < 0.3 {
		t.Errorf("status of cam1's rules = %+v, want the open event and a high score", c.Rules)
	}
	_, body := d.Get(t, "/metrics")
	if v := metric(body, `anyanomaly_rule_event_open{camera="cam1",rule="red"}`); v != 1 {
		t.Errorf("anyanomaly_rule_event_open = %g, want 1", v)
	}
	begin := time.Now()
	if err := d.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stopped in %s", time.Since(begin).Round(time.Millisecond))
	p := d.Status().Publisher
	if p.SpoolDepth != 0 {
		t.Errorf("%d records left in the spool after shutdown", p.SpoolDepth)
	}
	msgs := readStored(t, e)
	evs := events(t, msgs)
	made := p.Events[alerts.KindStarted] + p.Events[alerts.KindUpdated] + p.Events[alerts.KindEnded]
	if uint64(len(evs)) != made {
		t.Errorf("%d events on the stream, the publisher made %d: %+v", len(evs), made, evs)
	}
	started, ended := kinds(evs, "cam1")
	if len(started) != 1 || len(ended) != 1 {
		t.Fatalf("%d started, %d ended, want 1 and 1: %+v", len(started), len(ended), evs)
	}
	if ended[0].ID != started[0].ID || ended[0].EndReason != "shutdown" {
		t.Errorf("ended event %+v, want the started one ended with reason shutdown", ended[0])
	}
	if n := statusMessages(t, msgs, "cam1", "online"); n != 1 {
		t.Errorf("cam1 went online %d times, want once", n)
	}
}
