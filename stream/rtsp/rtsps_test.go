package rtsp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestSessionRTSPS reads a camera over rtsps:// (RTSP and interleaved RTP
// inside TLS) from a server with a self-signed certificate: refused with a
// certificate error by default, streaming with TLSInsecure.
func TestSessionRTSPS(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1, GOP: 5})
	srvTLS, _ := streamtest.SelfSignedTLS(t)
	url := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TLS(srvTLS), streamtest.Credentials("viewer", "s3cret"))
	if !strings.HasPrefix(url, "rtsps://") {
		t.Fatalf("replay URL %s, want rtsps://", url)
	}
	withCreds := url // StartReplay puts the credentials in the URL

	t.Run("untrusted_certificate", func(t *testing.T) {
		s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: withCreds, ReadTimeout: 5 * time.Second})
		if err == nil {
			s.Close()
			t.Fatal("a self-signed certificate was accepted without TLSInsecure")
		}
		if !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("error %q does not name the certificate", err)
		}
		t.Log(err)
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("error %q shows the password", err)
		}
	})
	t.Run("insecure_streams", func(t *testing.T) {
		s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: withCreds, TLSInsecure: true, Transport: rtsp.TransportAuto, ReadTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if tr := s.Stats().Transport; tr != "tcp" {
			t.Fatalf("transport %s, want tcp (RTP inside the TLS connection)", tr)
		}
		got := 0
		deadline := time.After(15 * time.Second)
		for got < 5 {
			select {
			case au := <-s.AccessUnits():
				if len(au.Data) == 0 {
					t.Fatal("empty access unit")
				}
				got++
			case <-deadline:
				t.Fatalf("%d access units over rtsps, want 5", got)
			}
		}
	})
}
