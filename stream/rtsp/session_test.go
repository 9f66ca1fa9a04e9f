package rtsp_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestSessionReceives(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, Seconds: 2})
	url := streamtest.StartReplay(t, clip, streamtest.WaitForReader())
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	timeout := time.After(10 * time.Second)
	for n < 50 {
		select {
		case au := <-s.AccessUnits():
			if n == 0 && !au.RandomAccess {
				t.Fatal("first unit is not random access")
			}
			n++
		case <-s.Done():
			t.Fatalf("session ended after %d units: %v (stats %+v)", n, s.Err(), s.Stats())
		case <-timeout:
			t.Fatalf("timeout after %d units (stats %+v)", n, s.Stats())
		}
	}
}
