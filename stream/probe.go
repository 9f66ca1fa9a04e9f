package stream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"

	"github.com/anyanomaly/anyanomaly/internal/redact"
	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/rtsp"
)

// Probe failure kinds (ProbeResult.Reason), also the CLI's exit codes.
const (
	ReasonInvalid          = "invalid"
	ReasonUnreachable      = "unreachable"
	ReasonUnauthorized     = "unauthorized"
	ReasonNotFound         = "not_found"
	ReasonUnsupportedCodec = "unsupported_codec"
	ReasonNoFrames         = "no_frames"
	ReasonHWAccel          = "hwaccel"
	ReasonRefused          = "refused"
	// ReasonTLS: the rtsps:// handshake failed (an untrusted certificate,
	// or a server that does not speak TLS).
	ReasonTLS = "tls"
	// ReasonInterrupted: the caller's context ended (Ctrl-C) before a
	// frame was decoded.
	ReasonInterrupted = "interrupted"
)

// ProbeOptions configures Probe.
type ProbeOptions struct {
	// Transport is tcp, udp or auto ("" = auto).
	Transport string
	// HWAccel is none (""), cuda, vaapi or auto.
	HWAccel string
	// Duration is how long frames are received (0 = 5 s).
	Duration time.Duration
	// Timeout bounds connecting and each RTSP request (0 = 10 s).
	Timeout time.Duration
	// TLSInsecure accepts self-signed rtsps certificates.
	TLSInsecure bool
	// Logger receives hwaccel fallback lines (nil discards).
	Logger *slog.Logger
}

// ProbeResult is what Probe learned. The JSON field names are part of the
// CLI's documented output (docs/stream.md).
type ProbeResult struct {
	// URL is the probed URL with the password masked.
	URL string `json:"url"`
	// OK is true when frames were decoded.
	OK bool `json:"ok"`
	// Reason is the failure kind (see the Reason constants), empty on
	// success; Error the one-line explanation.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// Codec is h264 or hevc.
	Codec  string `json:"codec,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// FPS is measured from the decoded frames' timestamps.
	FPS float64 `json:"fps,omitempty"`
	// KeyframeInterval is the mean distance between key frames in frames
	// (0 when fewer than two key frames were seen).
	KeyframeInterval float64 `json:"keyframe_interval_frames,omitempty"`
	Transport        string  `json:"transport,omitempty"`
	HWAccel          string  `json:"hwaccel,omitempty"`
	FramesReceived   uint64  `json:"frames_received"`
	FramesDecoded    uint64  `json:"frames_decoded"`
	FramesDropped    uint64  `json:"frames_dropped"`
	// FramesSkipped counts the access units received before the first key
	// frame (a late join): not decodable, but not a fault either.
	FramesSkipped uint64 `json:"frames_skipped"`
	DecodeErrors  uint64 `json:"decode_errors"`
	PacketsLost   uint64 `json:"packets_lost"`
	// Seconds is how long frames were received.
	Seconds float64 `json:"seconds"`
	// Interrupted is true when the caller's context ended (Ctrl-C) before
	// the probe's duration: the figures cover Seconds.
	Interrupted bool `json:"interrupted,omitempty"`
}

// ProbeError is a probe failure with its kind.
type ProbeError struct {
	Reason string
	Err    error
}

func (e *ProbeError) Error() string { return e.Err.Error() }
func (e *ProbeError) Unwrap() error { return e.Err }

// Probe connects to a camera, decodes frames for opts.Duration and reports
// what it saw. On failure the result carries Reason and Error too, and the
// error is a *ProbeError.
func Probe(ctx context.Context, url string, opts ProbeOptions) (ProbeResult, error) {
	res := ProbeResult{URL: redact.URL(url)}
	fail := func(reason string, err error) (ProbeResult, error) {
		res.OK, res.Reason, res.Error = false, reason, err.Error()
		return res, &ProbeError{Reason: reason, Err: err}
	}
	if opts.Duration <= 0 {
		opts.Duration = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if !decode.ValidHWAccel(opts.HWAccel) {
		return fail(ReasonInvalid, fmt.Errorf("hwaccel %q: want none, cuda, vaapi or auto", opts.HWAccel))
	}
	dctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	sess, err := rtsp.Dial(dctx, rtsp.Config{URL: url, Transport: opts.Transport, ReadTimeout: opts.Timeout,
		TLSInsecure: opts.TLSInsecure, Logger: opts.Logger})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return fail(ReasonInterrupted, fmt.Errorf("interrupted while connecting: %w", ctx.Err()))
		}
		reason, msg := classify(err)
		return fail(reason, errors.New(msg))
	}
	defer sess.Close()
	info := sess.Info()
	res.Codec, res.Width, res.Height = info.Codec, info.Width, info.Height
	dec, err := decode.NewDecoder(decode.Config{Codec: info.Codec, HWAccel: opts.HWAccel, Logger: opts.Logger})
	if err != nil {
		return fail(ReasonHWAccel, err)
	}
	defer dec.Close()
	res.HWAccel = dec.HWAccel()

	var firstPTS, lastPTS time.Duration = -1, -1
	var keys, sinceKey, keyGaps, keyGapSum int64 = 0, 0, 0, 0
	onPic := func(p *decode.Picture) error {
		res.FramesDecoded++
		pts := time.Duration(p.PTS) * time.Microsecond
		if firstPTS < 0 {
			firstPTS = pts
		}
		lastPTS = max(lastPTS, pts)
		if res.Width == 0 {
			res.Width, res.Height = p.Width(), p.Height()
		}
		return nil
	}
	start := time.Now()
	timer := time.NewTimer(opts.Duration)
	defer timer.Stop()
	var endErr error
loop:
	for {
		select {
		case <-ctx.Done():
			endErr = ctx.Err()
			break loop
		case <-timer.C:
			break loop
		case <-sess.Done():
			endErr = sess.Err()
			break loop
		case au := <-sess.AccessUnits():
			if au.RandomAccess {
				if keys > 0 {
					keyGaps++
					keyGapSum += sinceKey
				}
				keys++
				sinceKey = 0
			}
			sinceKey++
			if err := dec.Decode(au.Data, int64(au.PTS/time.Microsecond), onPic); err != nil {
				res.DecodeErrors++
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	st := sess.Stats()
	res.Transport = st.Transport
	res.FramesReceived = st.AccessUnits + st.Dropped + st.Skipped
	res.FramesDropped = st.Dropped
	res.FramesSkipped = st.Skipped
	res.PacketsLost = st.PacketsLost
	if keyGaps > 0 {
		res.KeyframeInterval = float64(keyGapSum) / float64(keyGaps)
	}
	if res.FramesDecoded > 1 && lastPTS > firstPTS {
		res.FPS = float64(res.FramesDecoded-1) / (lastPTS - firstPTS).Seconds()
	} else if info.FPS > 0 {
		res.FPS = info.FPS
	}
	// Stopped early (Ctrl-C): what was seen so far is still the answer,
	// as long as there is one; it is not the camera's fault.
	res.Interrupted = ctx.Err() != nil
	if res.FramesDecoded == 0 {
		if res.Interrupted {
			return fail(ReasonInterrupted, fmt.Errorf("interrupted after %.1fs, before a frame was decoded", res.Seconds))
		}
		why := fmt.Sprintf("connected, but no frame decoded in %s", opts.Duration)
		if endErr != nil {
			why += ": " + endErr.Error()
		}
		return fail(ReasonNoFrames, errors.New(why))
	}
	res.OK = true
	return res, nil
}

// classify turns a connection error into a kind and a plain one-line
// reason an operator can act on.
func classify(err error) (string, string) {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		switch bad.Code {
		case base.StatusUnauthorized:
			return ReasonUnauthorized, "unauthorized (401): wrong or missing user name/password in the URL"
		case base.StatusNotFound:
			return ReasonNotFound, "not found (404): the server has no stream at this path"
		default:
			return ReasonRefused, fmt.Sprintf("server refused the request: %d %s", bad.Code, bad.Message)
		}
	}
	if errors.Is(err, rtsp.ErrUnsupportedCodec) {
		return ReasonUnsupportedCodec, err.Error()
	}
	// Before the network errors: a handshake failure is not "unreachable".
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	if errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr) ||
		strings.Contains(err.Error(), "tls: failed to verify certificate") {
		return ReasonTLS, "tls: certificate not accepted (" + err.Error() + "); for a camera's self-signed certificate use --tls-insecure (tls_insecure: true in the config)"
	}
	// gortsplib says "tls: …" for a handshake that failed after the TCP
	// connection was made: a plain RTSP server answers no ClientHello (it
	// times out) or answers in plain text.
	var rerr tls.RecordHeaderError
	if errors.As(err, &rerr) || strings.Contains(err.Error(), ": tls: ") {
		return ReasonTLS, "tls: the TLS handshake failed; is it a plain rtsp:// camera? (" + err.Error() + ")"
	}
	var nerr net.Error
	var oerr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &oerr) || errors.As(err, &dnsErr) || errors.As(err, &nerr) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused") {
		return ReasonUnreachable, "unreachable: " + err.Error()
	}
	if strings.Contains(err.Error(), "camera URL") || strings.Contains(err.Error(), "transport") {
		return ReasonInvalid, err.Error()
	}
	return ReasonUnreachable, "unreachable: " + err.Error()
}
