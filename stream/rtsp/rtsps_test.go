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
		// The replay offers SRTP over UDP with TLS, which auto tries first.
		if tr := s.Stats().Transport; tr != "udp" {
			t.Fatalf("transport %s, want udp (SRTP, the server offers it)", tr)
		}
		receiveUnits(t, s, 5)
	})
}

// TestSessionRTSPSInsideTLS reads a camera over rtsps:// from a server
// without UDP: with the transport left to auto, the SRTP attempt is
// refused and RTP comes inside the TLS connection, and the session says
// so.
func TestSessionRTSPSInsideTLS(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1, GOP: 5})
	srvTLS, _ := streamtest.SelfSignedTLS(t)
	url := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TLS(srvTLS), streamtest.TCPOnly())
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, TLSInsecure: true, ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	receiveUnits(t, s, 5)
	if tr := s.Stats().Transport; tr != "tcp" {
		t.Fatalf("transport %s, want tcp (the server has no UDP)", tr)
	}
}

// TestSessionRTSPSOverUDP reads a camera over rtsps:// with the UDP
// transport: RTP and RTCP as SRTP/SRTCP, keyed through the TLS-protected
// RTSP exchange (MIKEY in the SETUP).
func TestSessionRTSPSOverUDP(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 1, GOP: 5})
	srvTLS, _ := streamtest.SelfSignedTLS(t)
	url := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TLS(srvTLS))
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: url, TLSInsecure: true, Transport: rtsp.TransportUDP, ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tr := s.Stats().Transport; tr != "udp" {
		t.Fatalf("transport %s, want udp", tr)
	}
	receiveUnits(t, s, 5)
	if st := s.Stats(); st.RTPErrors != 0 {
		t.Fatalf("%d RTP errors over SRTP", st.RTPErrors)
	}
}

// receiveUnits waits up to 15 s for n non-empty access units from s.
func receiveUnits(t *testing.T, s *rtsp.Session, n int) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for got := 0; got < n; got++ {
		select {
		case au := <-s.AccessUnits():
			if len(au.Data) == 0 {
				t.Fatal("empty access unit")
			}
		case <-s.Done():
			t.Fatalf("session ended after %d access units: %v", got, s.Err())
		case <-deadline:
			t.Fatalf("%d access units in 15 s, want %d (stats %+v)", got, n, s.Stats())
		}
	}
}
