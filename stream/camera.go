package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// Camera states.
const (
	StateConnecting = "connecting"
	StateStreaming  = "streaming"
	StateBackoff    = "backoff"
	StateFailed     = "failed"
)

// Camera defaults.
const (
	DefaultStallTimeout = 10 * time.Second
	DefaultOutputQueue  = 4
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 30 * time.Second
	DefaultStableAfter  = time.Minute
)

// CameraConfig configures one live camera.
type CameraConfig struct {
	// ID names the camera in segments, logs and metrics.
	ID string
	// URL is rtsp:// or rtsps://, credentials in the URL (never logged).
	URL string
	// Transport is tcp, udp or auto ("" = auto).
	Transport string
	// HWAccel is none (""), cuda, vaapi or auto. An explicit cuda or vaapi
	// that cannot start fails the camera; auto falls back to software.
	HWAccel string
	// SampleFPS is the analysis rate (0 = every frame).
	SampleFPS float64
	// LongSide is the analysis size's long side (0 = 640).
	LongSide int
	// SegmentFrames is N (0 = 24); Stride the distance between segment
	// starts (0 = N).
	SegmentFrames, Stride int
	// StallTimeout: no decoded frame for this long → reconnect (0 = 10 s).
	StallTimeout time.Duration
	// UDPReadBuffer is the UDP socket buffer in bytes (0 = 4 MiB).
	UDPReadBuffer int
	// KeyframesOnly decodes key frames only (skip_frame=nokey): about a
	// fifth of the cost, for analysis rates at or below the key frame rate.
	KeyframesOnly bool
	// DecoderThreads (0 = 1: frame threading adds latency).
	DecoderThreads int
	// QueueSize bounds access units waiting for the decoder (0 = 64).
	QueueSize int
	// OutputQueue bounds segments waiting for the consumer (0 = 4); the
	// oldest is dropped when it is full.
	OutputQueue int
	// ReadTimeout bounds RTSP requests (0 = 10 s); InitialUDPTimeout is
	// auto transport's wait for the first UDP packet (0 = 3 s).
	ReadTimeout, InitialUDPTimeout time.Duration
	// TLSInsecure accepts self-signed rtsps certificates.
	TLSInsecure bool
	// BackoffMin and BackoffMax bound the reconnect delay (1 s, 30 s);
	// StableAfter is how long a connection must stream before the delay
	// resets (1 min).
	BackoffMin, BackoffMax, StableAfter time.Duration
}

// Deps are a Camera's collaborators.
type Deps struct {
	// Logger is required in production; nil discards.
	Logger *slog.Logger
	// OnState, when set, is called on the camera's goroutine at every state
	// change with a fresh snapshot. It must return quickly.
	OnState func(CameraStats)
}

// CameraStats is a snapshot of a camera's state and counters. Counters
// are cumulative over reconnects.
type CameraStats struct {
	ID    string
	State string
	// Since is when the camera entered State.
	Since time.Time
	// LastError is the most recent failure, credentials masked.
	LastError string
	// Transport (udp, tcp) and HWAccel (none, cuda, vaapi) in use.
	Transport, HWAccel string
	Codec              string
	Width, Height      int
	// FramesReceived counts access units received; FramesDecoded pictures
	// out of the decoder; FramesDropped access units dropped (queue full,
	// or waiting for a key frame after a drop, a loss or a late join).
	FramesReceived, FramesDecoded, FramesDropped uint64
	// FramesAnalysed counts sampled frames.
	FramesAnalysed uint64
	// Segments counts segments produced; SegmentDrops those dropped
	// because the consumer lagged.
	Segments, SegmentDrops uint64
	Reconnects             uint64
	DecodeErrors           uint64
	// RTPErrors counts undecodable RTP packets; PacketsLost RTP gaps.
	RTPErrors, PacketsLost uint64
}

// errFatal marks failures that retrying cannot fix (configuration).
var errFatal = errors.New("fatal")

// Camera ingests one RTSP camera: connect, decode, sample, scale, segment,
// reconnect. Create with NewCamera, run with Run, read Segments.
type Camera struct {
	cfg     CameraConfig
	log     *slog.Logger
	onState func(CameraStats)
	out     chan *segment.Segment

	mu        sync.Mutex
	state     string
	since     time.Time
	lastErr   string
	transport string
	hwaccel   string
	codec     string
	w, h      int
	sess      *rtsp.Session
	base      rtsp.Stats // counters of finished sessions

	decoded, analysed, segments, segDrops, reconnects, decodeErrs atomic.Uint64
	lastDropLog                                                   atomic.Int64

	// wallOffset is the camera's clock minus ours, as the last RTCP
	// sender report put it (set when haveWallOffset). A new session's
	// units before its first report are moved by it, so that their times
	// do not jump to receive times and back at every reconnect of a camera
	// whose clock is off. Used by one session at a time.
	wallOffset     time.Duration
	haveWallOffset bool
}

// NewCamera returns a camera; it does no I/O.
func NewCamera(cfg CameraConfig, deps Deps) *Camera {
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.OutputQueue <= 0 {
		cfg.OutputQueue = DefaultOutputQueue
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.StableAfter <= 0 {
		cfg.StableAfter = DefaultStableAfter
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Camera{
		cfg: cfg, log: log.With("camera", cfg.ID), onState: deps.OnState,
		out: make(chan *segment.Segment, cfg.OutputQueue), state: StateConnecting, since: time.Now(),
	}
}

// Segments is the camera's bounded output. When the consumer lags the
// oldest segment is dropped (counted in SegmentDrops) and released. It is
// closed when Run returns. The frames' images come from a bounded pool:
// a consumer that calls Segment.Release when done lets later frames reuse
// them; one that does not simply owns them.
func (c *Camera) Segments() <-chan *segment.Segment { return c.out }

// Stats returns a snapshot of the camera's state and counters.
func (c *Camera) Stats() CameraStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statsLocked()
}

func (c *Camera) statsLocked() CameraStats {
	st := c.base
	if c.sess != nil {
		cur := c.sess.Stats()
		st.Packets += cur.Packets
		st.PacketsLost += cur.PacketsLost
		st.RTPErrors += cur.RTPErrors
		st.AccessUnits += cur.AccessUnits
		st.Dropped += cur.Dropped
		st.Skipped += cur.Skipped
	}
	return CameraStats{
		ID: c.cfg.ID, State: c.state, Since: c.since, LastError: c.lastErr,
		Transport: c.transport, HWAccel: c.hwaccel, Codec: c.codec, Width: c.w, Height: c.h,
		FramesReceived: st.AccessUnits + st.Dropped + st.Skipped,
		FramesDecoded:  c.decoded.Load(), FramesDropped: st.Dropped + st.Skipped,
		FramesAnalysed: c.analysed.Load(),
		Segments:       c.segments.Load(), SegmentDrops: c.segDrops.Load(),
		Reconnects: c.reconnects.Load(), DecodeErrors: c.decodeErrs.Load(),
		RTPErrors: st.RTPErrors, PacketsLost: st.PacketsLost,
	}
}

func (c *Camera) setState(state string, err error) {
	c.mu.Lock()
	changed := state != c.state || err != nil
	if state != c.state {
		c.state, c.since = state, time.Now()
	}
	if err != nil {
		c.lastErr = err.Error()
	}
	snap := c.statsLocked()
	c.mu.Unlock()
	if changed && c.onState != nil {
		c.onState(snap)
	}
}

// Run ingests until ctx ends, reconnecting with exponential backoff and
// jitter. A configuration that can never work (bad URL, an explicit
// hwaccel that cannot start) puts the camera in state failed until ctx
// ends. Run returns nil when ctx ends; it may be called only once.
func (c *Camera) Run(ctx context.Context) error {
	defer close(c.out)
	fr, err := newFramer(c.cfg.ID, c.cfg.SampleFPS, c.cfg.LongSide, c.cfg.SegmentFrames, c.cfg.Stride, true)
	if err == nil && !decode.ValidHWAccel(c.cfg.HWAccel) {
		err = fmt.Errorf("camera %s: hwaccel %q: want none, cuda, vaapi or auto", c.cfg.ID, c.cfg.HWAccel)
	}
	if err == nil {
		switch c.cfg.Transport {
		case "", rtsp.TransportAuto, rtsp.TransportTCP, rtsp.TransportUDP:
		default:
			err = fmt.Errorf("camera %s: transport %q: want tcp, udp or auto", c.cfg.ID, c.cfg.Transport)
		}
	}
	if err == nil {
		if uerr := rtsp.ValidateURL(c.cfg.URL); uerr != nil {
			err = fmt.Errorf("camera %s: %w", c.cfg.ID, uerr)
		}
	}
	if err != nil {
		c.fail(ctx, err)
		return nil
	}
	defer fr.close()
	attempt := 0
	for {
		c.setState(StateConnecting, nil)
		firstFrame, err := c.session(ctx, fr)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errFatal) {
			c.fail(ctx, err)
			return nil
		}
		if !firstFrame.IsZero() && time.Since(firstFrame) >= c.cfg.StableAfter {
			attempt = 0
		}
		delay := backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)
		attempt++
		c.reconnects.Add(1)
		c.log.Warn("camera offline, reconnecting", "err", err, "retry_in", delay.Round(time.Millisecond))
		c.setState(StateBackoff, err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (c *Camera) fail(ctx context.Context, err error) {
	c.log.Error("camera failed; fix its configuration", "err", err)
	c.setState(StateFailed, err)
	<-ctx.Done()
}

// backoff is min(max, min·2^attempt) with ±20 % jitter so cameras that
// dropped together do not reconnect in lockstep.
func backoff(lo, hi time.Duration, attempt int) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * j)
}

// session runs one connection until it fails or ctx ends. It returns when
// the first frame was decoded (zero if none).
func (c *Camera) session(ctx context.Context, fr *framer) (time.Time, error) {
	// The decoder parks between access units whenever it keeps up. Left
	// free, the goroutine then resumes on whichever thread (and core)
	// wakes it, and FFmpeg's reference pictures and tables must be fetched
	// into that core's cache again; locked to one thread it mostly resumes
	// on the core it left (libavcodec's CPU per 720p frame through RTSP
	// about 3 % lower in an alternating comparison, BENCHMARKS.md).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var first time.Time
	sess, err := rtsp.Dial(ctx, rtsp.Config{
		URL: c.cfg.URL, Transport: c.cfg.Transport, UDPReadBuffer: c.cfg.UDPReadBuffer,
		InitialUDPTimeout: c.cfg.InitialUDPTimeout, ReadTimeout: c.cfg.ReadTimeout,
		QueueSize: c.cfg.QueueSize, TLSInsecure: c.cfg.TLSInsecure, Logger: c.log,
	})
	if err != nil {
		return first, err
	}
	info := sess.Info()
	c.mu.Lock()
	c.sess = sess
	c.codec, c.w, c.h = info.Codec, info.Width, info.Height
	c.transport = sess.Stats().Transport
	c.mu.Unlock()
	defer func() {
		sess.Close()
		c.mu.Lock()
		st := sess.Stats()
		c.base.Packets += st.Packets
		c.base.PacketsLost += st.PacketsLost
		c.base.RTPErrors += st.RTPErrors
		c.base.AccessUnits += st.AccessUnits
		c.base.Dropped += st.Dropped
		c.base.Skipped += st.Skipped
		c.sess = nil
		c.mu.Unlock()
	}()
	dec, err := decode.NewDecoder(decode.Config{
		Codec: info.Codec, HWAccel: c.cfg.HWAccel, Threads: c.cfg.DecoderThreads,
		KeyframesOnly: c.cfg.KeyframesOnly, Logger: c.log, BandLongSide: fr.bandLongSide(),
	})
	if err != nil {
		err = fmt.Errorf("camera %s: %w", c.cfg.ID, err)
		if c.cfg.HWAccel == decode.HWCUDA || c.cfg.HWAccel == decode.HWVAAPI {
			err = fmt.Errorf("%w (%w)", err, errFatal)
		}
		return first, err
	}
	defer dec.Close()
	c.mu.Lock()
	c.hwaccel = dec.HWAccel()
	c.mu.Unlock()
	fr.restart()

	// Decoders may reorder, so what a picture inherits from its access
	// unit is looked up by PTS.
	type unitInfo struct {
		wall    time.Time
		gap     bool
		rtcp    bool
		shifted bool // receive time moved by the last session's offset
	}
	// clock is which wall clock the window's frames are on: receive
	// times until the first RTCP sender report, the camera's after.
	clock := 0 // 0 unknown, 1 receive times, 2 RTCP
	units := make(map[int64]unitInfo, 16)
	var lastPTS time.Duration = -1
	var procErr error
	onPic := func(p *decode.Picture) error {
		c.decoded.Add(1)
		if first.IsZero() {
			first = time.Now()
			c.mu.Lock()
			c.w, c.h = p.Width(), p.Height()
			c.transport = sess.Stats().Transport
			c.mu.Unlock()
			c.setState(StateStreaming, nil)
		}
		pts := time.Duration(p.PTS) * time.Microsecond
		u, ok := units[p.PTS]
		if ok {
			delete(units, p.PTS)
		} else {
			u.wall = time.Now()
		}
		// The first RTCP sender report moves wall times to the camera's
		// clock, which may be hours from the receive times before it.
		stepped := false
		if ok {
			src := 1
			switch {
			case u.rtcp:
				src = 2
			case u.shifted:
				// Not the camera's report: its first one may show the
				// camera's clock changed while disconnected.
				src = 3
			}
			stepped = clock != 0 && src != clock
			clock = src
		}
		if pts <= lastPTS || u.gap || stepped {
			// A jump back (transport switch, camera restart), units lost or
			// dropped before this one, or a change of wall clock: never mix
			// both sides of it in one segment.
			fr.restart()
		}
		lastPTS = pts
		seg, err := fr.push(p, int64(c.decoded.Load()-1), pts, u.wall)
		if err != nil {
			procErr = err
			return nil
		}
		c.analysed.Store(uint64(fr.sampled))
		if seg != nil {
			c.segments.Add(1)
			c.emit(seg)
		}
		return nil
	}

	decodeAU := func(au rtsp.AccessUnit) error {
		key := int64(au.PTS / time.Microsecond)
		if len(units) >= 64 {
			// Units that never came out (corrupt data, or non-key units
			// when only key frames are decoded); cleared before this
			// unit goes in, so that it keeps its own.
			clear(units)
		}
		wall, rtcp, shifted := au.Wall, au.WallFromRTCP, false
		switch {
		case rtcp:
			c.wallOffset, c.haveWallOffset = time.Until(wall), true
		case c.haveWallOffset:
			wall, shifted = wall.Add(c.wallOffset), true
		}
		units[key] = unitInfo{wall: wall, gap: au.Discontinuity, rtcp: rtcp, shifted: shifted}
		if err := dec.Decode(au.Data, key, onPic); err != nil {
			c.decodeErrs.Add(1)
		}
		return procErr
	}

	stall := time.NewTimer(c.cfg.StallTimeout)
	defer stall.Stop()
	decodedBefore := c.decoded.Load()
	var yield decodeYielder
	for {
		select {
		case <-ctx.Done():
			return first, nil
		case <-sess.Done():
			// The units already queued were sent before the connection
			// ended, and the last seconds before a camera drops can be the
			// ones that matter: decode them, and the pictures the decoder
			// still holds, before reconnecting.
			for len(sess.AccessUnits()) > 0 && ctx.Err() == nil {
				if err := decodeAU(<-sess.AccessUnits()); err != nil {
					return first, err
				}
			}
			if ctx.Err() == nil {
				if err := dec.Flush(onPic); err != nil {
					c.decodeErrs.Add(1)
				}
				if procErr != nil {
					return first, procErr
				}
			}
			return first, sess.Err()
		case <-stall.C:
			return first, fmt.Errorf("camera %s: stalled: no decoded frame for %s", c.cfg.ID, c.cfg.StallTimeout)
		case au := <-sess.AccessUnits():
			err := decodeAU(au)
			yield.afterDecode(len(sess.AccessUnits()) > 0)
			if err != nil {
				return first, err
			}
			if n := c.decoded.Load(); n != decodedBefore {
				decodedBefore = n
				stall.Reset(c.cfg.StallTimeout)
			}
		}
	}
}

// emit hands a segment to the consumer, dropping the oldest waiting one
// when the queue is full.
func (c *Camera) emit(seg *segment.Segment) {
	for {
		select {
		case c.out <- seg:
			return
		default:
		}
		select {
		case old := <-c.out:
			old.Release()
			n := c.segDrops.Add(1)
			now := time.Now().UnixNano()
			if last := c.lastDropLog.Load(); now-last >= int64(time.Second) {
				c.lastDropLog.Store(now)
				c.log.Warn("segment consumer lags, dropped oldest segment", "dropped_total", n)
			}
		default:
		}
	}
}
