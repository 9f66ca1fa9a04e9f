// Package replay serves a video file as an RTSP camera: H.264/H.265
// passthrough (no re-encoding), RTP timestamps paced in real time and
// continuing across loops, parameter sets in the SDP and before every key
// frame, any number of readers. It backs `anyanomaly replay`, the demo and
// the test helper streamtest.StartReplay.
package replay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

// Config configures a replay Server.
type Config struct {
	// File is the video to serve (H.264 or H.265 in mp4, mkv or raw).
	File string
	// Listen is the RTSP address, e.g. "127.0.0.1:8554" (port 0 picks a
	// free one; see Server.Addr).
	Listen string
	// Path is the stream's path (default: the file's base name without
	// extension).
	Path string
	// Loop restarts the file at its end, timestamps continuing.
	Loop bool
	// UDPPort is the even RTP port for UDP readers (RTCP is UDPPort+1);
	// 0 picks a free pair, -1 serves TCP only.
	UDPPort int
	// WaitForReader holds the file at its start until the first reader
	// plays, so that reader sees every frame (tests).
	WaitForReader bool
	// TimestampBase is the RTP timestamp of the first frame; 0 picks a
	// random one, like a real camera.
	TimestampBase uint32
	// Username and Password, when set, are required from readers.
	Username, Password string
	// ClockOffset shifts the wall clock that RTCP sender reports announce
	// for the frames, like a camera whose clock is off (tests tell
	// RTCP-derived times from receive times with it).
	ClockOffset time.Duration
	// TLSConfig, when set, serves rtsps://: RTSP over TLS, and RTP either
	// interleaved in the TLS connection or, for UDP readers, as SRTP
	// (gortsplib refuses plain RTP over UDP then).
	TLSConfig *tls.Config
	// Speed multiplies the pace (0 or 1 = real time; benchmarks use more).
	// RTP timestamps still follow the file's own clock.
	Speed float64
}

// Deps are the Server's collaborators.
type Deps struct {
	Logger *slog.Logger
}

// Stats are the server's counters.
type Stats struct {
	// Readers is the number of playing sessions now.
	Readers int64
	// AccessUnits counts access units sent; Loops counts completed passes.
	AccessUnits, Loops int64
	// WriteErrors counts packets a reader's write queue could not take
	// (a slow reader).
	WriteErrors int64
	// Skipped counts the file's packets that could not be sent (malformed
	// access units).
	Skipped int64
}

// Server is the replay RTSP server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ready chan struct{}
	addr  string

	mu      sync.Mutex
	stream  *gortsplib.ServerStream
	playing map[*gortsplib.ServerSession]struct{}
	// pendingPlay holds connections whose PLAY was accepted but not yet
	// answered: see OnResponse.
	pendingPlay map[*gortsplib.ServerConn]struct{}
	started     chan struct{} // closed when the first PLAY is answered
	startOn     sync.Once

	readers     atomic.Int64
	accessUnits atomic.Int64
	loops       atomic.Int64
	writeErrors atomic.Int64
	lastWarn    atomic.Int64
	skipped     atomic.Int64
}

// New returns a Server; it does no I/O.
func New(cfg Config, deps Deps) *Server {
	if cfg.Path == "" {
		cfg.Path = strings.TrimSuffix(filepath.Base(cfg.File), filepath.Ext(cfg.File))
	}
	cfg.Path = strings.Trim(cfg.Path, "/")
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log, ready: make(chan struct{}), playing: map[*gortsplib.ServerSession]struct{}{},
		pendingPlay: map[*gortsplib.ServerConn]struct{}{}, started: make(chan struct{})}
}

// Ready is closed once the server accepts connections.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the RTSP listen address (valid after Ready).
func (s *Server) Addr() string { return s.addr }

// URL is the stream's rtsp:// (rtsps:// with TLSConfig) URL, valid after
// Ready, without credentials.
func (s *Server) URL() string {
	scheme := "rtsp://"
	if s.cfg.TLSConfig != nil {
		scheme = "rtsps://"
	}
	return scheme + s.addr + "/" + s.cfg.Path
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{Readers: s.readers.Load(), AccessUnits: s.accessUnits.Load(), Loops: s.loops.Load(), WriteErrors: s.writeErrors.Load(), Skipped: s.skipped.Load()}
}

// Run serves until ctx ends, or until the file ends when Loop is off.
func (s *Server) Run(ctx context.Context) error {
	src, err := scan(s.cfg.File)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("replay: listen %s: %w", s.cfg.Listen, err)
	}
	served := net.Listener(ln)
	if s.cfg.TLSConfig == nil {
		served = coalesceListener{ln}
	}
	srv := &gortsplib.Server{
		Handler:     s,
		RTSPAddress: ln.Addr().String(),
		// A 1080p key frame is a few hundred packets; leave room for
		// bursts (and for faster-than-real-time benchmark replays).
		WriteQueueSize: 4096,
		Listen:         func(string, string) (net.Listener, error) { return served, nil },
		TLSConfig:      s.cfg.TLSConfig,
	}
	if err := s.startServer(srv, ln); err != nil {
		ln.Close()
		return err
	}
	medi := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{src.format()}}
	st := &gortsplib.ServerStream{Server: srv, Desc: &description.Session{Medias: []*description.Media{medi}}}
	if err := st.Initialize(); err != nil {
		srv.Close()
		return fmt.Errorf("replay: stream: %w", err)
	}
	s.mu.Lock()
	s.stream = st
	s.mu.Unlock()
	s.addr = ln.Addr().String()
	close(s.ready)
	s.log.Info("replay serving", "url", s.URL(), "file", s.cfg.File, "codec", src.codec, "loop", s.cfg.Loop)

	errc := make(chan error, 1)
	go func() { errc <- s.pace(ctx, st, medi, src) }()
	var runErr error
	select {
	case runErr = <-errc:
	case <-ctx.Done():
		runErr = <-errc
	}
	s.mu.Lock()
	s.stream = nil
	s.mu.Unlock()
	st.Close()
	srv.Close()
	if errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded) {
		return nil
	}
	return runErr
}

// startServer starts gortsplib with UDP on an even/odd port pair, retrying
// on another pair if one is taken meanwhile.
func (s *Server) startServer(srv *gortsplib.Server, ln net.Listener) error {
	if s.cfg.UDPPort < 0 {
		return wrapStart(srv.Start())
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		port := s.cfg.UDPPort
		if port == 0 {
			port = 20000 + 2*rand.IntN(20000)
		}
		srv.UDPRTPAddress = net.JoinHostPort(host, strconv.Itoa(port))
		srv.UDPRTCPAddress = net.JoinHostPort(host, strconv.Itoa(port+1))
		if err = srv.Start(); err == nil || s.cfg.UDPPort != 0 {
			return wrapStart(err)
		}
	}
	return wrapStart(err)
}

func wrapStart(err error) error {
	if err != nil {
		return fmt.Errorf("replay: start server: %w", err)
	}
	return nil
}

func (s *Server) auth(c *gortsplib.ServerConn, req *base.Request) bool {
	if s.cfg.Username == "" && s.cfg.Password == "" {
		return true
	}
	return c.VerifyCredentials(req, s.cfg.Username, s.cfg.Password)
}

func (s *Server) lookup(path string) (*base.Response, *gortsplib.ServerStream, error) {
	if strings.Trim(path, "/") != s.cfg.Path {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, fmt.Errorf("path %q not found", path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream == nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, errors.New("stream not ready")
	}
	return &base.Response{StatusCode: base.StatusOK}, s.stream, nil
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (s *Server) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if !s.auth(ctx.Conn, ctx.Request) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	return s.lookup(ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (s *Server) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if !s.auth(ctx.Conn, ctx.Request) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	return s.lookup(ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (s *Server) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s.mu.Lock()
	if _, ok := s.playing[ctx.Session]; !ok {
		s.playing[ctx.Session] = struct{}{}
		s.readers.Add(1)
	}
	s.pendingPlay[ctx.Conn] = struct{}{}
	s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnResponse implements gortsplib.ServerHandlerOnResponse. WaitForReader
// starts the file here, not in OnPlay: gortsplib calls OnPlay before it
// adds the session to the stream's readers, so packets written at once
// (the first key frame) could miss the very reader that was waited for.
// By the time PLAY's response goes out, the session is a reader.
func (s *Server) OnResponse(sc *gortsplib.ServerConn, res *base.Response) {
	s.mu.Lock()
	_, pending := s.pendingPlay[sc]
	delete(s.pendingPlay, sc)
	s.mu.Unlock()
	if pending && res.StatusCode == base.StatusOK {
		s.startOn.Do(func() { close(s.started) })
	}
}

// OnStreamWriteError implements gortsplib.ServerHandlerOnStreamWriteError:
// a reader too slow for its queue loses packets; count them and log at
// most once a second (gortsplib would otherwise print every one).
func (s *Server) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	n := s.writeErrors.Add(1)
	now := time.Now().UnixNano()
	if last := s.lastWarn.Load(); now-last >= int64(time.Second) && s.lastWarn.CompareAndSwap(last, now) {
		s.log.Warn("replay: reader too slow, packets dropped", "err", ctx.Error, "dropped_total", n)
	}
}

// OnConnClose implements gortsplib.ServerHandlerOnConnClose.
func (s *Server) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	s.mu.Lock()
	delete(s.pendingPlay, ctx.Conn)
	s.mu.Unlock()
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (s *Server) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	s.mu.Lock()
	if _, ok := s.playing[ctx.Session]; ok {
		delete(s.playing, ctx.Session)
		s.readers.Add(-1)
	}
	s.mu.Unlock()
}

// source is what scanning the file found out.
type source struct {
	codec         string
	vps, sps, pps []byte
	fps           float64
}

func (src *source) format() format.Format {
	if src.codec == "hevc" {
		return &format.H265{PayloadTyp: 96, VPS: src.vps, SPS: src.sps, PPS: src.pps}
	}
	return &format.H264{PayloadTyp: 96, SPS: src.sps, PPS: src.pps, PacketizationMode: 1}
}

// scan reads the file up to its first parameter sets.
func scan(path string) (*source, error) {
	dm, err := decode.OpenFile(path, decode.DemuxOptions{AnnexB: true})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer dm.Close()
	info := dm.Info()
	if info.Codec != "h264" && info.Codec != "hevc" {
		return nil, fmt.Errorf("replay %s: codec %s: only H.264 and H.265 can be passed through", path, info.Codec)
	}
	src := &source{codec: info.Codec, fps: info.FPS}
	for i := 0; i < 300; i++ {
		pkt, err := dm.Read()
		if err != nil {
			break
		}
		var au h264.AnnexB
		if au.Unmarshal(pkt.Data()) != nil {
			continue
		}
		src.remember(au)
		if src.sps != nil && src.pps != nil && (src.codec == "h264" || src.vps != nil) {
			return src, nil
		}
	}
	return nil, fmt.Errorf("replay %s: no parameter sets (SPS/PPS) found at the start of the stream", path)
}

func (src *source) remember(au [][]byte) (hasParams bool) {
	n := 0
	for _, nalu := range au {
		if len(nalu) < 2 {
			continue
		}
		if src.codec == "hevc" {
			switch (nalu[0] >> 1) & 0x3f {
			case 32:
				src.vps, n = append([]byte(nil), nalu...), n+1
			case 33:
				src.sps, n = append([]byte(nil), nalu...), n+1
			case 34:
				src.pps, n = append([]byte(nil), nalu...), n+1
			}
			continue
		}
		switch nalu[0] & 0x1f {
		case 7:
			src.sps, n = append([]byte(nil), nalu...), n+1
		case 8:
			src.pps, n = append([]byte(nil), nalu...), n+1
		}
	}
	return n > 0
}

func (src *source) params() [][]byte {
	if src.codec == "hevc" {
		return [][]byte{src.vps, src.sps, src.pps}
	}
	return [][]byte{src.sps, src.pps}
}

// packetize turns one of the file's packets (annex-b) into RTP packets,
// with the parameter sets in front of a key frame that lacks them.
func (src *source) packetize(pkt *decode.Packet, encode func([][]byte) ([]*rtp.Packet, error)) ([]*rtp.Packet, error) {
	var au h264.AnnexB
	if err := au.Unmarshal(pkt.Data()); err != nil {
		return nil, fmt.Errorf("malformed access unit: %w", err)
	}
	if pkt.Key && !src.remember(au) {
		au = append(src.params(), au...)
	}
	return encode(au)
}

// rtpEncoder returns the RTP packetizer of the replay's format (H.264 or
// H.265).
func rtpEncoder(f format.Format) (func([][]byte) ([]*rtp.Packet, error), error) {
	switch f := f.(type) {
	case *format.H264:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, fmt.Errorf("replay: encoder: %w", err)
		}
		return enc.Encode, nil
	case *format.H265:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, fmt.Errorf("replay: encoder: %w", err)
		}
		return enc.Encode, nil
	}
	return nil, fmt.Errorf("replay: no RTP encoder for %s", f.Codec())
}

// pace sends the file's access units in real time until the end (or
// forever with Loop).
func (s *Server) pace(ctx context.Context, st *gortsplib.ServerStream, medi *description.Media, src *source) error {
	if s.cfg.WaitForReader {
		select {
		case <-s.started:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	encode, err := rtpEncoder(medi.Formats[0])
	if err != nil {
		return err
	}
	tsBase := s.cfg.TimestampBase
	if tsBase == 0 {
		tsBase = rand.Uint32()
	}
	start := time.Now()
	var offset time.Duration // start of the current pass on the stream's clock
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		end, err := s.pass(ctx, st, medi, src, encode, tsBase, start, offset, timer)
		if err != nil {
			return err
		}
		s.loops.Add(1)
		if !s.cfg.Loop {
			// Give the write queues time to flush the last frames before
			// the server closes the connections.
			timer.Reset(500 * time.Millisecond)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
			return nil
		}
		offset = end
	}
}

// pass streams the file once and returns the stream time just after its
// last frame.
func (s *Server) pass(ctx context.Context, st *gortsplib.ServerStream, medi *description.Media, src *source,
	encode func([][]byte) ([]*rtp.Packet, error), tsBase uint32, start time.Time, offset time.Duration, timer *time.Timer,
) (time.Duration, error) {
	dm, err := decode.OpenFile(s.cfg.File, decode.DemuxOptions{AnnexB: true})
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	defer dm.Close()
	info := dm.Info()
	tb := float64(info.TimeBaseNum) / float64(max(1, info.TimeBaseDen))
	fps := info.FPS
	if fps <= 0 {
		fps = 25
	}
	frameDur := time.Duration(float64(time.Second) / fps)
	var firstDTS int64 = decode.NoPTS
	var lastSkipLog time.Time
	end := offset
	for n := 0; ; n++ {
		pkt, err := dm.Read()
		if errors.Is(err, io.EOF) {
			return end, nil
		}
		if err != nil {
			return end, fmt.Errorf("replay: %w", err)
		}
		// Timestamps relative to the first packet's DTS; raw streams
		// without timestamps fall back to the frame rate.
		dts, pts := time.Duration(n)*frameDur, time.Duration(n)*frameDur
		if pkt.DTS != decode.NoPTS && pkt.PTS != decode.NoPTS {
			if firstDTS == decode.NoPTS {
				firstDTS = pkt.DTS
			}
			dts = time.Duration(float64(pkt.DTS-firstDTS) * tb * float64(time.Second))
			pts = time.Duration(float64(pkt.PTS-firstDTS) * tb * float64(time.Second))
		}
		due := offset + dts
		if s.cfg.Speed > 0 && s.cfg.Speed != 1 {
			due = time.Duration(float64(due) / s.cfg.Speed)
		}
		if wait := time.Until(start.Add(due)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return end, ctx.Err()
			}
		}
		rpkts, err := src.packetize(pkt, encode)
		if err != nil {
			// A damaged file can have many: log at most once a second.
			total := s.skipped.Add(1)
			if now := time.Now(); now.Sub(lastSkipLog) >= time.Second {
				lastSkipLog = now
				s.log.Warn("replay: skipping packet", "file", s.cfg.File, "packet", n, "err", err, "skipped_total", total)
			}
			continue
		}
		ts := tsBase + uint32(ticks90k(offset+pts))
		ntp := start.Add(s.cfg.ClockOffset + offset + pts)
		for _, p := range rpkts {
			p.Timestamp = ts
			if err := st.WritePacketRTPWithNTP(medi, p, ntp); err != nil {
				return end, fmt.Errorf("replay: write: %w", err)
			}
		}
		s.accessUnits.Add(1)
		// The next pass starts one frame after this one's last decode
		// time. PTS would add the first picture's reorder delay (PTS −
		// DTS, 80 ms with B-frames) again at every loop.
		end = max(end, offset+dts+frameDur)
	}
}

// ticks90k is d on the 90 kHz RTP clock, whole seconds first: d·90000
// overflows int64 after 28.5 hours of looping, and the clock would jump
// back.
func ticks90k(d time.Duration) int64 {
	return int64(d/time.Second)*90000 + int64(d%time.Second)*90000/int64(time.Second)
}
