package stream_test

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestProbe(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 10})
	rep := streamtest.NewReplay(t, clip, streamtest.Loop(), streamtest.Credentials("admin", "s3cret"))
	good := rep.URL()
	wrongPath := strings.Replace(good, "/cam", "/nope", 1)
	wrongPass := strings.Replace(good, "s3cret", "wrong", 1)
	mjpeg := streamtest.StartRTPServer(t, &format.MJPEG{})
	srvTLS, _ := streamtest.SelfSignedTLS(t)
	selfSigned := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TLS(srvTLS))
	plainAsTLS := strings.Replace(good, "rtsp://", "rtsps://", 1)

	t.Run("ok", func(t *testing.T) {
		res, err := stream.Probe(context.Background(), good, stream.ProbeOptions{Transport: "tcp", Duration: 1500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK || res.Codec != "h264" || res.Width != 320 || res.Height != 240 || res.Transport != "tcp" || res.HWAccel != "none" {
			t.Fatalf("result %+v", res)
		}
		if res.FPS < 20 || res.FPS > 30 {
			t.Fatalf("fps %.1f, want about 25", res.FPS)
		}
		if res.KeyframeInterval < 9 || res.KeyframeInterval > 11 {
			t.Fatalf("keyframe interval %.1f, want 10", res.KeyframeInterval)
		}
		if strings.Contains(res.URL, "s3cret") {
			t.Fatalf("password in result URL %q", res.URL)
		}
	})
	// Ctrl-C (the caller's context ending) before --duration: with frames
	// decoded, the partial figures are the answer; without, the reason
	// says so instead of blaming the camera ("no_frames").
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		res, err := stream.Probe(ctx, good, stream.ProbeOptions{Transport: "tcp", Duration: time.Minute})
		if err != nil || !res.OK || !res.Interrupted || res.FramesDecoded == 0 || res.Seconds > 30 {
			t.Fatalf("interrupted probe: %+v, %v; want ok, interrupted, frames", res, err)
		}
	})
	t.Run("interrupted before a frame", func(t *testing.T) {
		silent := streamtest.StartRTPServer(t, &format.H264{PayloadTyp: 96, PacketizationMode: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		res, err := stream.Probe(ctx, silent.URL, stream.ProbeOptions{Transport: "tcp", Duration: time.Minute})
		if pe := (*stream.ProbeError)(nil); !errors.As(err, &pe) || pe.Reason != stream.ReasonInterrupted || res.OK {
			t.Fatalf("probe interrupted before a frame: %+v, %v; want reason interrupted", res, err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
		if _, err := stream.Probe(ctx, good, stream.ProbeOptions{Transport: "tcp"}); !errors.As(err, new(*stream.ProbeError)) || !strings.Contains(err.Error(), "interrupted while connecting") {
			t.Fatalf("probe interrupted while connecting: %v", err)
		}
	})
	// A plain server never answers the TLS handshake: it times out.
	timeouts := map[string]time.Duration{"plain server behind rtsps": time.Second}
	failures := []struct {
		name, url, reason string
	}{
		{"unreachable", "rtsp://" + streamtest.FreePort(t) + "/cam", stream.ReasonUnreachable},
		{"wrong path", wrongPath, stream.ReasonNotFound},
		{"wrong credentials", wrongPass, stream.ReasonUnauthorized},
		{"unsupported codec", mjpeg.URL, stream.ReasonUnsupportedCodec},
		// Handshake failures once read "unreachable", with no hint.
		{"untrusted certificate", selfSigned, stream.ReasonTLS},
		{"plain server behind rtsps", plainAsTLS, stream.ReasonTLS},
		// Once reported as tls: the handshake never started.
		{"unreachable rtsps", "rtsps://" + streamtest.FreePort(t) + "/cam", stream.ReasonUnreachable},
		{"bad scheme", "http://127.0.0.1/x", stream.ReasonInvalid},
		// net/url cannot read an unescaped '/' in a password, and its
		// error quotes the part it stopped at: the reason must not.
		{"unescaped password", "rtsp://admin:s3cret/x@127.0.0.1/cam", stream.ReasonInvalid},
	}
	msgs := map[string]bool{}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			timeout := cmp.Or(timeouts[tc.name], 5*time.Second)
			res, err := stream.Probe(context.Background(), tc.url, stream.ProbeOptions{Transport: "tcp", Duration: time.Second, Timeout: timeout})
			var pe *stream.ProbeError
			if !errors.As(err, &pe) || pe.Reason != tc.reason || res.Reason != tc.reason {
				t.Fatalf("err %v (result reason %q), want reason %q", err, res.Reason, tc.reason)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") && tc.reason != stream.ReasonUnauthorized {
				t.Fatalf("reason not a clean single line: %q", err)
			}
			if msgs[err.Error()] {
				t.Fatalf("reason %q not distinct", err)
			}
			msgs[err.Error()] = true
			t.Log(err)
		})
	}
}
