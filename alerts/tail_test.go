package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

func TestTailPrintsFilteredEvents(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()), "cam1", "cam2")
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Tail(ctx, TailOptions{Server: srv.URL(), Camera: "cam2"}, &out) }()
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
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
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
