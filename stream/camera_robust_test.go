package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// fastRetry makes reconnect tests quick.
func fastRetry(cfg stream.CameraConfig) stream.CameraConfig {
	cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 100*time.Millisecond
	return cfg
}

func TestCameraLateJoinStartsAtKeyFrame(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 25})
	rep := streamtest.NewReplay(t, clip, streamtest.Loop())
	// Join in the middle of a GOP.
	waitFor(t, 20*time.Second, "replay mid-GOP", func() bool {
		n := rep.Server().Stats().AccessUnits
		return n > 25 && n%25 >= 5 && n%25 <= 15
	})
	cam := stream.NewCamera(stream.CameraConfig{ID: "late", URL: rep.URL(), Transport: "tcp", SegmentFrames: 4},
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	waitFor(t, 20*time.Second, "frames after late join", func() bool { return cam.Stats().FramesDecoded >= 30 })
	st := cam.Stats()
	if st.DecodeErrors != 0 {
		t.Fatalf("%d decode errors: decoding did not start at a key frame", st.DecodeErrors)
	}
	if st.FramesDropped == 0 {
		t.Fatalf("no unit skipped before the first key frame; joined at a GOP start by chance? stats %+v", st)
	}
}

func TestCameraReconnectsAfterServerRestarts(t *testing.T) {
	baseline := runtime.NumGoroutine()
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 5})
	rep := streamtest.NewReplay(t, clip, streamtest.Loop())
	var states []string
	cam := stream.NewCamera(fastRetry(stream.CameraConfig{ID: "r", URL: rep.URL(), Transport: "tcp", SegmentFrames: 4, ReadTimeout: 2 * time.Second}),
		stream.Deps{Logger: testLogger(t), OnState: func(s stream.CameraStats) { states = append(states, s.State) }})
	stop := runCamera(t, cam)
	go func() {
		for range cam.Segments() {
		}
	}()
	for i := 0; i < 5; i++ {
		before := cam.Stats().FramesDecoded
		waitFor(t, 20*time.Second, "frames flowing", func() bool { return cam.Stats().FramesDecoded >= before+10 })
		rep.Stop()
		waitFor(t, 20*time.Second, "camera noticing the server is gone", func() bool { return cam.Stats().State != stream.StateStreaming })
		rep.Start()
	}
	before := cam.Stats().FramesDecoded
	waitFor(t, 20*time.Second, "frames resuming after the last restart", func() bool { return cam.Stats().FramesDecoded >= before+10 })
	if r := cam.Stats().Reconnects; r < 5 {
		t.Fatalf("%d reconnects, want >= 5", r)
	}
	stop()
	rep.Stop()
	if n := strings.Count(strings.Join(states, ","), stream.StateStreaming); n < 6 {
		t.Fatalf("state changes %v: streaming entered %d times, want 6", states, n)
	}
	waitFor(t, 10*time.Second, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= baseline })
}

func TestCameraStallReconnects(t *testing.T) {
	// A server that accepts the session but never sends a frame.
	srv := streamtest.StartRTPServer(t, &format.H264{PayloadTyp: 96, PacketizationMode: 1})
	cam := stream.NewCamera(fastRetry(stream.CameraConfig{ID: "stall", URL: srv.URL, Transport: "tcp", StallTimeout: 300 * time.Millisecond}),
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	waitFor(t, 20*time.Second, "two stall reconnects", func() bool { return cam.Stats().Reconnects >= 2 })
	if e := cam.Stats().LastError; !strings.Contains(e, "stalled") {
		t.Fatalf("last error %q does not mention the stall", e)
	}
}

// clipRTP packetizes a clip's access units as a camera would send them.
func clipRTP(t *testing.T, clip string) (*format.H264, []*rtp.Packet) {
	t.Helper()
	dm, err := decode.OpenFile(clip, decode.DemuxOptions{AnnexB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dm.Close()
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	enc, err := f.CreateEncoder()
	if err != nil {
		t.Fatal(err)
	}
	var out []*rtp.Packet
	for i := 0; ; i++ {
		pkt, err := dm.Read()
		if err != nil {
			break
		}
		var au h264.AnnexB
		if err := au.Unmarshal(pkt.Data()); err != nil {
			t.Fatal(err)
		}
		pkts, err := enc.Encode(au)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = uint32(i * 3600)
		}
		out = append(out, pkts...)
	}
	return f, out
}

func TestCameraSurvivesCorruptRTP(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 10})
	f, pkts := clipRTP(t, clip)
	srv := streamtest.StartRTPServer(t, f)
	cam := stream.NewCamera(stream.CameraConfig{ID: "corrupt", URL: srv.URL, Transport: "tcp", SegmentFrames: 4, StallTimeout: time.Minute},
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	go func() {
		for range cam.Segments() {
		}
	}()
	waitFor(t, 20*time.Second, "reader playing", func() bool { return srv.Playing() > 0 })
	rng := rand.New(rand.NewPCG(1, 2))
	seq := uint16(0)
	send := func(p *rtp.Packet) {
		c := *p
		c.SequenceNumber = seq
		seq++
		if err := srv.Write(&c); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 3; round++ {
		for _, p := range pkts {
			c := *p
			c.Payload = append([]byte(nil), p.Payload...)
			// Damage a third of the packets past their headers.
			if rng.IntN(3) == 0 && len(c.Payload) > 4 {
				for k := 0; k < 1+len(c.Payload)/20; k++ {
					c.Payload[2+rng.IntN(len(c.Payload)-2)] = byte(rng.Uint32())
				}
			}
			send(&c)
			// Pure noise packets in between.
			if rng.IntN(4) == 0 {
				noise := make([]byte, 1+rng.IntN(1400))
				for k := range noise {
					noise[k] = byte(rng.Uint32())
				}
				send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, Marker: rng.IntN(2) == 0, Timestamp: rng.Uint32()}, Payload: noise})
			}
		}
	}
	waitFor(t, 20*time.Second, "errors counted", func() bool {
		st := cam.Stats()
		return st.RTPErrors+st.DecodeErrors > 0 && st.FramesReceived > 0
	})
	if st := cam.Stats(); st.State == stream.StateFailed {
		t.Fatalf("camera failed: %+v", st)
	}
}

func TestCameraDropsOldestSegment(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 2})
	url := streamtest.StartReplay(t, clip, streamtest.WaitForReader())
	cam := stream.NewCamera(stream.CameraConfig{ID: "slow", URL: url, Transport: "tcp", SegmentFrames: 2, OutputQueue: 2},
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	// Nobody reads: up to 25 segments into a queue of 2. The replay ends
	// with the file, so once the camera has left streaming its counters
	// are final (a busy CI box may lose a few frames; that is not what
	// this test is about).
	waitFor(t, 30*time.Second, "the stream to end after at least 10 segments", func() bool {
		st := cam.Stats()
		return st.Segments >= 10 && st.State != stream.StateStreaming
	}, cam.Stats)
	st := cam.Stats()
	if st.SegmentDrops != st.Segments-2 {
		t.Fatalf("%d segments, %d dropped, want all but 2 dropped", st.Segments, st.SegmentDrops)
	}
	if s := <-cam.Segments(); s.Seq < st.Segments-2 {
		t.Fatalf("oldest kept segment is #%d; the old ones should have been dropped", s.Seq)
	}
}

func TestCameraMasksCredentials(t *testing.T) {
	url := "rtsp://admin:hunter2@" + streamtest.FreePort(t) + "/cam"
	cam := stream.NewCamera(fastRetry(stream.CameraConfig{ID: "m", URL: url, Transport: "tcp"}), stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	waitFor(t, 10*time.Second, "a failed attempt", func() bool { return cam.Stats().LastError != "" })
	if e := cam.Stats().LastError; strings.Contains(e, "hunter2") || !strings.Contains(e, "***") {
		t.Fatalf("last error %q leaks or hides the URL wrongly", e)
	}
}

func TestCameraBadConfigFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  stream.CameraConfig
	}{
		{"hwaccel", stream.CameraConfig{ID: "h", URL: "rtsp://127.0.0.1:1/x", HWAccel: "opencl"}},
		{"scheme", stream.CameraConfig{ID: "s", URL: "http://127.0.0.1:1/x"}},
		{"transport", stream.CameraConfig{ID: "t", URL: "rtsp://127.0.0.1:1/x", Transport: "sctp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam := stream.NewCamera(tc.cfg, stream.Deps{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- cam.Run(ctx) }()
			waitFor(t, 5*time.Second, "state failed", func() bool { return cam.Stats().State == stream.StateFailed })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCameraKeyframesOnly(t *testing.T) {
	spec := streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 5}
	clip := streamtest.GenerateClip(t, spec)
	// Looping, so that a reconnect on a loaded CI box only delays the test.
	rep := streamtest.NewReplay(t, clip, streamtest.Loop())
	cam := stream.NewCamera(stream.CameraConfig{ID: "k", URL: rep.URL(), Transport: "tcp", KeyframesOnly: true, SegmentFrames: 2},
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	go func() {
		for range cam.Segments() {
		}
	}()
	waitFor(t, 20*time.Second, "two seconds of units and some key frames decoded", func() bool {
		st := cam.Stats()
		return st.FramesReceived >= uint64(spec.Frames()) && st.FramesDecoded >= 5
	}, cam.Stats)
	// Decoded counts trail received ones, so one snapshot bounds them.
	st := cam.Stats()
	if keys := st.FramesReceived/uint64(spec.GOP) + 1; st.FramesDecoded > keys {
		t.Fatalf("decoded %d of %d frames with keyframes-only, want at most the %d key frames", st.FramesDecoded, st.FramesReceived, keys)
	}
}

// TestCameraDecodesQueuedUnitsWhenConnectionEnds: the access units a
// camera sent before its connection ended are decoded, not dropped with
// the connection. The decode loop is held (in OnState, after the first
// picture) while the whole clip arrives and the server goes away, so the
// queue is full of units when the camera sees the end.
func TestCameraDecodesQueuedUnitsWhenConnectionEnds(t *testing.T) {
	spec := streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 25}
	clip := streamtest.GenerateClip(t, spec)
	rep := streamtest.NewReplay(t, clip, streamtest.WaitForReader(), streamtest.TCPOnly())
	hold, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cam := stream.NewCamera(fastRetry(stream.CameraConfig{ID: "q", URL: rep.URL(), Transport: "tcp", SegmentFrames: 4, QueueSize: 256}),
		stream.Deps{Logger: testLogger(t), OnState: func(s stream.CameraStats) {
			if s.State == stream.StateStreaming {
				once.Do(func() { close(held); <-hold })
			}
		}})
	stop := runCamera(t, cam)
	defer stop()
	go func() {
		for range cam.Segments() {
		}
	}()
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("no first picture")
	}
	done := stream.CameraSessionDone(cam)
	if done == nil {
		t.Fatal("no session while streaming")
	}
	total := uint64(spec.Frames())
	waitFor(t, 20*time.Second, "the whole clip received", func() bool { return cam.Stats().FramesReceived >= total }, cam.Stats)
	rep.Stop()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the camera's connection did not end with the server")
	}
	close(hold)
	waitFor(t, 20*time.Second, "the camera back to reconnecting", func() bool { return cam.Stats().State != stream.StateStreaming }, cam.Stats)
	st := cam.Stats()
	if st.FramesDecoded != total || st.FramesDropped != 0 {
		t.Fatalf("decoded %d of %d frames received before the connection ended (dropped %d); stats %+v", st.FramesDecoded, total, st.FramesDropped, st)
	}
}

// TestCameraNeverJoinsAGapInOneSegment: packets lost mid-stream make the
// session skip to the next key frame, and the frames on both sides of the
// gap must not share a segment. Frames 0–13 arrive, frame 14's packets
// are lost (a sequence gap), 15–19 are skipped waiting for the key frame
// at 20; a segment of frames 12, 13, 20, 21 once came out.
func TestCameraNeverJoinsAGapInOneSegment(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 10})
	f, pkts := clipRTP(t, clip)
	srv := streamtest.StartRTPServer(t, f)
	cam := stream.NewCamera(stream.CameraConfig{ID: "gap", URL: srv.URL, Transport: "tcp", SegmentFrames: 4, QueueSize: 256, StallTimeout: time.Minute},
		stream.Deps{Logger: testLogger(t)})
	runCamera(t, cam)
	waitFor(t, 20*time.Second, "reader playing", func() bool { return srv.Playing() > 0 })
	seq := uint16(0)
	for _, p := range pkts {
		c := *p
		c.SequenceNumber = seq
		seq++
		if p.Timestamp/3600 == 14 {
			continue // lost: the sequence number is used up
		}
		if err := srv.Write(&c); err != nil {
			t.Fatal(err)
		}
	}
	var spans []string
	after := 0
	timeout := time.After(20 * time.Second)
	for after < 2 {
		select {
		case s := <-cam.Segments():
			for i := 1; i < len(s.Frames); i++ {
				if d := s.Frames[i].PTS - s.Frames[i-1].PTS; d > 100*time.Millisecond {
					spans = append(spans, fmt.Sprintf("segment %d: %v → %v", s.Seq, s.Frames[i-1].PTS, s.Frames[i].PTS))
				}
			}
			if s.Frames[0].PTS >= 800*time.Millisecond {
				after++
			}
			s.Release()
		case <-timeout:
			t.Fatalf("timeout with %d segments after the gap: %+v", after, cam.Stats())
		}
	}
	if len(spans) > 0 {
		t.Fatalf("segments across the gap: %v", spans)
	}
	if st := cam.Stats(); st.PacketsLost == 0 {
		t.Fatalf("the gap was not seen as a loss: %+v", st)
	}
}
