package rtsp_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestSessionWallClockFromRTCP: until the camera's first RTCP sender
// report, access units carry their receive time; from then on, the capture
// time the report announces. The server's clock is set an hour behind so
// the two cannot be confused. gortsplib's server sends its first report
// after 10 s, so this test takes that long.
func TestSessionWallClockFromRTCP(t *testing.T) {
	t.Parallel()
	const offset = -time.Hour
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 10, Seconds: 2, GOP: 10})
	url := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TCPOnly(), streamtest.ClockOffset(offset))
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, Transport: rtsp.TransportTCP, QueueSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.After(30 * time.Second)
	var received, fromRTCP int
	var last time.Time
	for fromRTCP < 5 {
		select {
		case au := <-s.AccessUnits():
			now := time.Now()
			received++
			if !au.WallFromRTCP {
				if fromRTCP > 0 {
					t.Fatalf("access unit %d fell back to the receive time after RTCP times began", received)
				}
				if d := now.Sub(au.Wall); d < 0 || d > time.Second {
					t.Fatalf("access unit %d: receive-time wall clock %v is %v from now", received, au.Wall, d)
				}
				continue
			}
			fromRTCP++
			// An hour behind, give or take the pace and the queue.
			if d := au.Wall.Sub(now.Add(offset)); d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("access unit %d: RTCP wall clock %v is %v from the server's clock", received, au.Wall, d)
			}
			if !last.IsZero() && !au.Wall.After(last) {
				t.Fatalf("access unit %d: RTCP wall clock %v not after %v", received, au.Wall, last)
			}
			last = au.Wall
		case <-deadline:
			t.Fatalf("%d access units, %d with an RTCP wall clock; want 5 (no sender report within 30 s?)", received, fromRTCP)
		}
	}
	if received == fromRTCP {
		t.Fatal("every access unit had an RTCP time: the receive-time fallback was not exercised")
	}
}
