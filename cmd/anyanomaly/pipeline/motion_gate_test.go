package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// gateOn gates every quiet segment of the test clips: no level reaches
// 250 grey levels, the rule's threshold keeps events closed on a normal
// clip, and the refresh never comes within a test.
const gateOn = "{enabled: true, threshold: 250, refresh: 1h}"

// scoredAfter reports whether the camera's rule has been scored (or gated)
// for a segment ending after t: every segment cut before t has then been
// decided too (the detector serves a camera in order).
func scoredAfter(d *daemontest.Daemon, id string, t time.Time) bool {
	c, ok := cameraStats(d, id)
	return ok && len(c.Rules) == 1 && c.Rules[0].LastScoreAt.After(t)
}

func gatedCount(d *daemontest.Daemon, id string) uint64 {
	c, _ := cameraStats(d, id)
	return c.SegmentsGated
}

// reload writes cams (and the defaults' gate e.gate), reloads and waits
// until the daemon logs a successful reload with exactly the changes
// want (the file watcher may reload once more, finding no changes, so
// the last reload's status cannot tell); it returns the time after that.
func reload(t *testing.T, e *env, d *daemontest.Daemon, want string, cams ...camera) time.Time {
	t.Helper()
	daemontest.WriteConfig(t, e.path, e.config(cams...))
	d.Reload()
	line := `changes="` + want + `"`
	poll(t, 20*time.Second, "a reload with "+line, func() bool { return strings.Contains(d.Log.String(), line) })
	if p := d.Status().Config.RestartPending; len(p) != 0 {
		t.Errorf("restart pending after a motion-gate reload: %v", p)
	}
	return time.Now()
}

// settled waits until each camera's segments cut in the second after
// since are decided, so that none decided under an older gate remains;
// it returns the cameras' gated counts then.
func settled(t *testing.T, d *daemontest.Daemon, since time.Time, ids ...string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, id := range ids {
		poll(t, 30*time.Second, id+" scored after the reload", func() bool { return scoredAfter(d, id, since.Add(2*segDur)) })
		out[id] = gatedCount(d, id)
	}
	return out
}

// TestReloadMotionGate changes motion gates while the daemon runs: a
// camera's own motion_gate, then defaults.motion_gate for the camera
// inheriting it. Each change applies in place, to that camera only: its
// gated-segment count starts or stops growing, and no camera reconnects.
func TestReloadMotionGate(t *testing.T) {
	e := newEnv(t)
	normal := clip(t, 4, nil, 5)
	url1 := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam1"))
	url2 := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam2"))
	cam1 := camera{id: "cam1", url: url1, threshold: 0.9}
	cam2 := camera{id: "cam2", url: url2, threshold: 0.9}
	d := e.start(t, cam1, cam2)
	start := time.Now()
	for _, id := range []string{"cam1", "cam2"} {
		poll(t, 30*time.Second, id+" scored", func() bool { return scoredAfter(d, id, start) })
	}
	before := map[string]uint64{}
	for _, id := range []string{"cam1", "cam2"} {
		c, _ := cameraStats(d, id)
		before[id] = c.Reconnects
		if c.SegmentsGated != 0 {
			t.Fatalf("%s: %d segments gated with the gate off", id, c.SegmentsGated)
		}
	}

	// cam1's own gate on: cam1 gates from its next segments, cam2 not.
	cam1.gate = gateOn
	at := reload(t, e, d, "cameras: updated cam1", cam1, cam2)
	g := settled(t, d, at, "cam1", "cam2")
	poll(t, 30*time.Second, "cam1's gated count growing", func() bool { return gatedCount(d, "cam1") >= g["cam1"]+3 })
	settled(t, d, time.Now(), "cam2")
	if n := gatedCount(d, "cam2"); n != 0 {
		t.Errorf("cam2 (gate off) gated %d segments after cam1's gate changed", n)
	}

	// The defaults' gate on and cam1's own off: cam2, which inherits the
	// defaults, starts gating, cam1 stops.
	e.gate = gateOn
	cam1.gate = "{enabled: false, threshold: 250, refresh: 1h}"
	at = reload(t, e, d, "cameras: updated cam1,cam2", cam1, cam2)
	g = settled(t, d, at, "cam1", "cam2")
	poll(t, 30*time.Second, "cam2's gated count growing", func() bool { return gatedCount(d, "cam2") >= g["cam2"]+3 })
	settled(t, d, time.Now(), "cam1")
	if n := gatedCount(d, "cam1"); n != g["cam1"] {
		t.Errorf("cam1's gated count went on growing after its gate was turned off: %d → %d", g["cam1"], n)
	}

	for _, id := range []string{"cam1", "cam2"} {
		if c, _ := cameraStats(d, id); c.Reconnects != before[id] {
			t.Errorf("%s reconnects %d → %d across motion-gate reloads", id, before[id], c.Reconnects)
		}
	}
	if err := d.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if log := d.Log.String(); strings.Contains(log, "not applied") {
		t.Errorf("the log says a motion gate was not applied:\n%s", log)
	}
	msgs := readStored(t, e)
	for _, id := range []string{"cam1", "cam2"} {
		if n := statusMessages(t, msgs, id, "online"); n != 1 {
			t.Errorf("%s went online %d times, want once (no restart on a motion-gate change)", id, n)
		}
	}
}
