// Package rtsp is the RTSP side of camera ingest: one Session is one
// connection to a camera (gortsplib v4) that turns H.264/H.265 RTP packets
// into annex-b access units with timestamps, starting at a random-access
// unit and handing them on through a bounded queue.
package rtsp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// ErrUnsupportedCodec is returned when the camera offers no H.264 or H.265
// video.
var ErrUnsupportedCodec = errors.New("unsupported codec (need H.264 or H.265)")

// Transport names.
const (
	TransportTCP  = "tcp"
	TransportUDP  = "udp"
	TransportAuto = "auto"
)

// Defaults.
const (
	DefaultUDPReadBuffer = 4 << 20
	DefaultQueueSize     = 64
)

// Config configures Dial.
type Config struct {
	// URL is rtsp:// or rtsps://, credentials in the userinfo part.
	URL string
	// Transport is tcp, udp or auto ("" = auto: UDP, then TCP when no
	// packet arrives within InitialUDPTimeout).
	Transport string
	// UDPReadBuffer is the socket buffer for UDP transport in bytes
	// (0 = 4 MiB, negative = the OS default).
	UDPReadBuffer int
	// InitialUDPTimeout bounds the wait for the first UDP packet in auto
	// mode (0 = 3 s).
	InitialUDPTimeout time.Duration
	// ReadTimeout bounds every RTSP request and the silence tolerated on
	// an established connection (0 = 10 s).
	ReadTimeout time.Duration
	// QueueSize is the capacity of the access unit queue (0 = 64).
	QueueSize int
	// TLSInsecure skips certificate verification for rtsps (cameras with
	// self-signed certificates).
	TLSInsecure bool
	// Logger receives rate-limited drop lines (nil discards).
	Logger *slog.Logger
}

// AccessUnit is one complete coded picture.
type AccessUnit struct {
	// Data is annex-b (start codes + NAL units); random-access units carry
	// their parameter sets.
	Data []byte
	// PTS is relative to the session's first packet; RTP's 32-bit
	// timestamp wrap-around is unfolded.
	PTS time.Duration
	// Wall is the capture time from RTCP sender reports when the camera
	// sends them, else the receive time.
	Wall time.Time
	// WallFromRTCP tells which of the two Wall is.
	WallFromRTCP bool
	// RandomAccess is true for IDR/IRAP units.
	RandomAccess bool
	// Discontinuity is true for the first unit after units were lost,
	// dropped (queue full) or skipped to resynchronise at a key frame:
	// the pictures before it and from it on are not contiguous.
	Discontinuity bool
}

// Info describes the negotiated stream.
type Info struct {
	// Codec is FFmpeg's decoder name: h264 or hevc.
	Codec string
	// Width, Height and FPS come from the SPS when known (0 otherwise).
	Width, Height int
	FPS           float64
}

// Stats are the session's counters.
type Stats struct {
	// Packets counts RTP packets received.
	Packets uint64
	// PacketsLost counts RTP sequence gaps.
	PacketsLost uint64
	// RTPErrors counts packets that could not be depacketized.
	RTPErrors uint64
	// AccessUnits counts units queued for decoding.
	AccessUnits uint64
	// Dropped counts units dropped because the queue was full.
	Dropped uint64
	// Skipped counts units discarded while waiting for a random-access
	// unit (late join, after a drop or a loss).
	Skipped uint64
	// Transport is the transport in use (udp or tcp).
	Transport string
}

// Session is one RTSP connection. Create it with Dial, read AccessUnits,
// and Close it.
type Session struct {
	cfg    Config
	red    redactor
	log    *slog.Logger
	client *gortsplib.Client
	medi   *description.Media
	forma  format.Format
	aus    chan AccessUnit
	done   chan struct{}
	err    error
	info   Info

	mu      sync.Mutex // guards the depacketizer state used by the callback
	dep     depacketizer
	waitIDR bool
	// gap is set with waitIDR after the stream started: units were lost,
	// dropped or skipped, and the next unit handed on says so.
	gap bool
	ts  unwrapper

	transport   atomic.Value // string
	packets     atomic.Uint64
	lost        atomic.Uint64
	rtpErrors   atomic.Uint64
	accessUnits atomic.Uint64
	dropped     atomic.Uint64
	skipped     atomic.Uint64
	lastDropLog atomic.Int64
	closeOnce   sync.Once
}

// Dial connects, negotiates the first H.264 or H.265 video media and
// starts playing. Cancelling ctx aborts the handshake; after Dial returns
// the session lives until Close or a connection error (see Done).
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	if _, err := validateURL(cfg.URL); err != nil {
		return nil, err
	}
	red := newRedactor(cfg.URL)
	masked := redact.URL(cfg.URL)
	u, err := base.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("camera URL %s: %s", masked, red.clean(err.Error()))
	}
	s := &Session{cfg: cfg, red: red, log: cfg.Logger, done: make(chan struct{}), waitIDR: true}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	qs := cfg.QueueSize
	if qs <= 0 {
		qs = DefaultQueueSize
	}
	s.aus = make(chan AccessUnit, qs)
	c := &gortsplib.Client{
		Scheme:                u.Scheme,
		Host:                  u.Host,
		ReadTimeout:           cfg.ReadTimeout,
		InitialUDPReadTimeout: cfg.InitialUDPTimeout,
		OnPacketsLost: func(n uint64) {
			s.lost.Add(n)
			s.mu.Lock()
			s.resyncLocked()
			s.mu.Unlock()
		},
		OnDecodeError: func(error) { s.rtpErrors.Add(1) },
		DialContext:   dialBuffered,
		OnTransportSwitch: func(error) {
			s.transport.Store(TransportTCP)
			s.mu.Lock()
			s.resyncLocked()
			s.ts = unwrapper{}
			if d, err := newDepacketizer(s.forma); err == nil {
				s.dep = d
			}
			s.mu.Unlock()
		},
	}
	if u.Scheme == "rtsps" {
		c.TLSConfig = &tls.Config{InsecureSkipVerify: cfg.TLSInsecure} //nolint:gosec // opt-in for self-signed cameras
		// gortsplib v4.16.2 can wait forever on a server that never
		// completes the TLS handshake: handshake once here, with a
		// deadline, so a bad endpoint fails the attempt instead.
		if err := checkTLS(ctx, u.Host, c.TLSConfig.Clone(), cfg.ReadTimeout); err != nil {
			return nil, fmt.Errorf("camera %s: %s", masked, red.clean(err.Error()))
		}
	}
	switch cfg.Transport {
	case TransportTCP:
		v := gortsplib.TransportTCP
		c.Transport = &v
		s.transport.Store(TransportTCP)
	case TransportUDP:
		v := gortsplib.TransportUDP
		c.Transport = &v
		s.transport.Store(TransportUDP)
	case "", TransportAuto:
		// Settled in handshake, once the server's profile is known.
	default:
		return nil, fmt.Errorf("camera %s: transport %q: want tcp, udp or auto", masked, cfg.Transport)
	}
	switch {
	case cfg.UDPReadBuffer == 0:
		c.UDPReadBufferSize = DefaultUDPReadBuffer
	case cfg.UDPReadBuffer > 0:
		c.UDPReadBufferSize = cfg.UDPReadBuffer
	}
	if c.UDPReadBufferSize > 0 && (cfg.Transport == TransportUDP || c.Transport == nil) {
		if err := checkUDPReadBuffer(c.UDPReadBufferSize); err != nil {
			if cfg.Transport == TransportUDP {
				return nil, fmt.Errorf("camera %s: %w", masked, err)
			}
			// auto: TCP works without the kernel's help.
			s.log.Warn("UDP unusable, using TCP", "camera", masked, "reason", err.Error())
			v := gortsplib.TransportTCP
			c.Transport = &v
			s.transport.Store(TransportTCP)
		}
	}
	if err := c.Start2(); err != nil {
		return nil, fmt.Errorf("camera %s: %s", masked, red.clean(err.Error()))
	}
	s.client = c
	stop := context.AfterFunc(ctx, c.Close)
	err = s.handshake(u)
	if !stop() || ctx.Err() != nil {
		// Cancelled mid-handshake: whatever the handshake returned is a
		// consequence of the close, so the cancellation is the reason.
		c.Close()
		return nil, fmt.Errorf("camera %s: %w", masked, ctx.Err())
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	go func() {
		// Ends when the client does: Close, or a connection error.
		s.err = c.Wait()
		close(s.done)
	}()
	return s, nil
}

func (s *Session) handshake(u *base.URL) error {
	masked := redact.URL(s.cfg.URL)
	desc, _, err := s.client.Describe(u)
	if err != nil {
		return s.red.wrap("camera "+masked+": describe: %v", err)
	}
	var h264f *format.H264
	var h265f *format.H265
	if m := desc.FindFormat(&h264f); m != nil {
		s.medi, s.forma = m, h264f
	} else if m := desc.FindFormat(&h265f); m != nil {
		s.medi, s.forma = m, h265f
	} else {
		var offered []string
		for _, m := range desc.Medias {
			for _, f := range m.Formats {
				offered = append(offered, string(m.Type)+"/"+f.Codec())
			}
		}
		return fmt.Errorf("camera %s: offers %s: %w", masked, strings.Join(offered, ", "), ErrUnsupportedCodec)
	}
	if s.dep, err = newDepacketizer(s.forma); err != nil {
		return fmt.Errorf("camera %s: %w", masked, err)
	}
	s.info.Codec = s.dep.codec()
	s.info.Width, s.info.Height, s.info.FPS = s.dep.size()
	if s.client.Transport == nil {
		// auto, left to gortsplib: over rtsps it tries UDP (SRTP) first
		// when the server offers a secure profile, and RTP inside the TLS
		// connection otherwise. Falling back reports a transport switch.
		if u.Scheme == "rtsps" && !s.medi.Secure {
			s.transport.Store(TransportTCP)
		} else {
			s.transport.Store(TransportUDP)
		}
	}
	if _, err := s.client.Setup(desc.BaseURL, s.medi, 0, 0); err != nil {
		msg := "camera " + masked + ": setup: %v"
		if strings.Contains(err.Error(), "read buffer") {
			msg += " (raise the kernel limit: sysctl -w net.core.rmem_max=" + fmt.Sprint(max(s.cfg.UDPReadBuffer, DefaultUDPReadBuffer)) + ", or lower udp_read_buffer)"
		}
		return s.red.wrap(msg, err)
	}
	s.client.OnPacketRTP(s.medi, s.forma, s.onPacket)
	if _, err := s.client.Play(nil); err != nil {
		return s.red.wrap("camera "+masked+": play: %v", err)
	}
	return nil
}

// onPacket runs on gortsplib's reader goroutine: it must never block.
func (s *Session) onPacket(pkt *rtp.Packet) {
	s.packets.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every packet goes through the unwrapper so that no wrap is missed
	// between access units.
	pts := s.ts.unwrap(pkt.Timestamp)
	au, err := s.dep.decode(pkt)
	if err != nil {
		s.rtpErrors.Add(1)
		s.resyncLocked()
		return
	}
	if au == nil {
		return
	}
	ra := s.dep.randomAccess(au)
	au = s.dep.withParams(au)
	unitGap := false
	if s.waitIDR {
		if !ra {
			s.skipped.Add(1)
			return
		}
		s.waitIDR = false
		unitGap, s.gap = s.gap, false
	}
	data, err := h264.AnnexB(au).Marshal()
	if err != nil {
		s.rtpErrors.Add(1)
		s.resyncLocked()
		return
	}
	unit := AccessUnit{Data: data, PTS: ticksToDuration(pts, int64(s.forma.ClockRate())), RandomAccess: ra, Discontinuity: unitGap}
	if ntp, ok := s.client.PacketNTP(s.medi, pkt); ok {
		unit.Wall, unit.WallFromRTCP = ntp, true
	} else {
		unit.Wall = time.Now()
	}
	select {
	case s.aus <- unit:
		s.accessUnits.Add(1)
	default:
		// The decoder lags: drop, and resume only at the next random-access
		// unit since later units reference the dropped one.
		n := s.dropped.Add(1)
		s.resyncLocked()
		now := time.Now().UnixNano()
		if last := s.lastDropLog.Load(); now-last >= int64(time.Second) && s.lastDropLog.CompareAndSwap(last, now) {
			s.log.Warn("access unit queue full, dropping until next key frame", "camera", redact.URL(s.cfg.URL), "dropped_total", n)
		}
	}
}

// resyncLocked makes the session wait for the next random-access unit
// and mark it as following a gap. s.mu is held.
func (s *Session) resyncLocked() {
	s.waitIDR = true
	s.gap = true
}

// Info describes the negotiated stream.
func (s *Session) Info() Info { return s.info }

// AccessUnits is the bounded queue of access units, in decode order.
func (s *Session) AccessUnits() <-chan AccessUnit { return s.aus }

// Done is closed when the connection ends; Err then says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is the reason the connection ended (nil before Done is closed),
// with credentials removed.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.red.wrap("camera "+redact.URL(s.cfg.URL)+": %v", s.err)
	default:
		return nil
	}
}

// Stats returns a snapshot of the counters.
func (s *Session) Stats() Stats {
	t, _ := s.transport.Load().(string)
	return Stats{
		Packets: s.packets.Load(), PacketsLost: s.lost.Load(), RTPErrors: s.rtpErrors.Load(),
		AccessUnits: s.accessUnits.Load(), Dropped: s.dropped.Load(), Skipped: s.skipped.Load(),
		Transport: t,
	}
}

// Close ends the connection and waits for gortsplib's goroutines.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.client.Close()
		<-s.done
	})
}

// checkTLS dials host and completes a TLS handshake (rtsps default port
// 322).
func checkTLS(ctx context.Context, host string, cfg *tls.Config, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(strings.Trim(host, "[]"), "322")
	}
	h, _, _ := net.SplitHostPort(host)
	cfg.ServerName = h
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The TCP connection first: a camera that cannot be reached is not a
	// TLS problem, and must not read as one.
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return fmt.Errorf("tls: %w", err)
	}
	return conn.Close()
}
