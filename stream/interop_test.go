package stream_test

import (
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// startProcess runs a helper process that is killed at the end of the test.
func startProcess(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// TestInteropPerlRTSPServer ingests from an RTSP server this project did
// not write (Debian's rtsp-server-perl, UDP only), fed by an ffmpeg RECORD
// push.
func TestInteropPerlRTSPServer(t *testing.T) {
	if _, err := exec.LookPath("rtsp-server-perl"); err != nil {
		t.Skip("rtsp-server-perl not installed (apt-get install rtsp-server-perl, or scripts/setup.sh): ", err)
	}
	streamtest.NeedFFmpeg(t)
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 640, Height: 360, FPS: 25, Seconds: 2, GOP: 25})
	clientAddr, sourceAddr := streamtest.FreePort(t), streamtest.FreePort(t)
	_, clientPort, _ := net.SplitHostPort(clientAddr)
	_, sourcePort, _ := net.SplitHostPort(sourceAddr)
	rtpStart := 30000 + 2*rand.IntN(10000)
	startProcess(t, "rtsp-server-perl", "-c", clientPort, "-s", sourcePort, "--rtp_start_port", strconv.Itoa(rtpStart), "-l", "1")
	waitFor(t, 10*time.Second, "rtsp-server-perl listening", func() bool {
		c, err := net.Dial("tcp", sourceAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	startProcess(t, "ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clip,
		"-c", "copy", "-f", "rtsp", "rtsp://"+sourceAddr+"/cam")
	cam := stream.NewCamera(fastRetry(stream.CameraConfig{ID: "perl", URL: "rtsp://" + clientAddr + "/cam", Transport: "udp", SegmentFrames: 8, LongSide: 320}),
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	var segs int
	waitFor(t, 30*time.Second, "segments from rtsp-server-perl", func() bool {
		for {
			select {
			case s := <-cam.Segments():
				if len(s.Frames) != 8 || s.Frames[0].Image.Bounds().Dx() != 320 {
					t.Fatalf("bad segment: %d frames", len(s.Frames))
				}
				segs++
				continue
			default:
			}
			return segs >= 4
		}
	})
	st := cam.Stats()
	if st.Codec != "h264" || st.Transport != "udp" || st.DecodeErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}
