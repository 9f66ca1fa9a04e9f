package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestSecretsInErrors gives a camera a wrong password: the failure shows
// up in the status, readiness, logs and the camera's status messages on
// the stream, and the password it was tried with in none of them.
func TestSecretsInErrors(t *testing.T) {
	const wrong = "wr0ngPW-x9"
	e := newEnv(t)
	normal := clip(t, 4, nil, 5)
	good := streamtest.StartReplay(t, normal, streamtest.Loop(), streamtest.TCPOnly(), streamtest.Path("cam1"),
		streamtest.Credentials("viewer", camPassword))
	bad := strings.Replace(good, camPassword, wrong, 1)
	d := e.start(t, camera{id: "cam1", url: bad, threshold: 0.5})
	poll(t, 30*time.Second, "cam1's error", func() bool {
		c, ok := cameraStats(d, "cam1")
		return ok && c.LastError != ""
	})
	c, _ := cameraStats(d, "cam1")
	t.Logf("cam1: state %s, last error %q", c.State, c.LastError)
	_, metrics := d.Get(t, "/metrics")
	_, status := d.Get(t, "/api/v1/status")
	_, ready := d.Get(t, "/readyz")
	if err := d.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	msgs := readStored(t, e)
	var stream strings.Builder
	for _, m := range msgs {
		stream.WriteString(m.subject + " " + string(m.data) + "\n")
	}
	if !strings.Contains(stream.String(), "anyanomaly.status.cam1") {
		t.Errorf("no status message for cam1 on the stream:\n%s", stream.String())
	}
	for what, text := range map[string]string{"log": d.Log.String(), "metrics": metrics, "status": status, "readyz": ready, "stream": stream.String()} {
		if strings.Contains(text, wrong) {
			t.Errorf("the camera password appears in the %s", what)
		}
	}
}
