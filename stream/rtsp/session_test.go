package rtsp_test

import (
	"context"
	"crypto/tls"
	"strings"
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
	// The replay waited for this reader, so its first key frame reached
	// it: nothing was skipped waiting for one.
	if st := s.Stats(); st.Skipped != 0 {
		t.Fatalf("%d units skipped waiting for a key frame (stats %+v)", st.Skipped, st)
	}
}

func TestSessionTimestampWrapAround(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 2})
	// The RTP clock wraps 0.5 s into the clip.
	url := streamtest.StartReplay(t, clip, streamtest.WaitForReader(), streamtest.TimestampBase(0xFFFFFFFF-45000))
	// TCP: the test counts all 50 units of a clip that plays once, and one
	// UDP datagram lost on a busy machine would end it early. The wrap is
	// handled above the transport.
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var last time.Duration = -1
	n := 0
	timeout := time.After(10 * time.Second)
	for n < 50 {
		select {
		case au := <-s.AccessUnits():
			if au.PTS <= last {
				t.Fatalf("unit %d: PTS %v after %v", n, au.PTS, last)
			}
			last = au.PTS
			n++
		case <-s.Done():
			t.Fatalf("session ended after %d units: %v", n, s.Err())
		case <-timeout:
			t.Fatalf("timeout after %d units", n)
		}
	}
	if want := 49 * 40 * time.Millisecond; last < want-time.Millisecond || last > want+time.Millisecond {
		t.Fatalf("last PTS %v, want %v", last, want)
	}
}

func TestSessionUDPBufferRefusedSaysHowToRaise(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1})
	url := streamtest.StartReplay(t, clip, streamtest.Loop())
	// Far above any default net.core.rmem_max.
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, Transport: "udp", UDPReadBuffer: 1 << 30})
	if err == nil {
		s.Close()
		t.Skip("the kernel accepted a 1 GiB UDP buffer (net.core.rmem_max is huge here)")
	}
	if !strings.Contains(err.Error(), "net.core.rmem_max") {
		t.Fatalf("error %q does not say how to raise the limit", err)
	}
	t.Log(err)
}

func TestSessionAutoFallsBackToTCPWhenBufferRefused(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1})
	for _, tc := range []struct {
		name string
		opts []streamtest.ReplayOption
	}{
		{"rtsp", nil},
		{"rtsps", []streamtest.ReplayOption{streamtest.TLS(selfSigned(t))}}, // SRTP over UDP would be tried first
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := streamtest.StartReplay(t, clip, append(tc.opts, streamtest.Loop())...)
			s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, Transport: "auto", UDPReadBuffer: 1 << 30, TLSInsecure: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tr := s.Stats().Transport; tr != "tcp" {
				t.Skipf("transport %s: the kernel accepted a 1 GiB UDP buffer here", tr)
			}
			select {
			case <-s.AccessUnits():
			case <-time.After(10 * time.Second):
				t.Fatal("no access unit over the TCP fallback")
			}
		})
	}
}

// selfSigned is the replay's TLS configuration with a fresh self-signed
// certificate.
func selfSigned(t *testing.T) *tls.Config {
	cfg, _ := streamtest.SelfSignedTLS(t)
	return cfg
}

func TestSessionRTSPSFailsCleanly(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1})
	url := streamtest.StartReplay(t, clip, streamtest.Loop())
	// The replay server speaks plain RTSP: an rtsps:// client must get an
	// error within its timeout, not hang.
	tlsURL := strings.Replace(url, "rtsp://", "rtsps://", 1)
	start := time.Now()
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: tlsURL, TLSInsecure: true, ReadTimeout: 2 * time.Second})
	if err == nil {
		s.Close()
		t.Fatal("TLS to a plain RTSP server succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v to fail", d)
	}
	if !strings.Contains(err.Error(), "tls") {
		t.Fatalf("error %q does not mention TLS", err)
	}
	t.Log(err)
}
