package rtsp

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// depacketizer turns RTP packets into access units of one codec and keeps
// the codec's parameter sets so every random-access unit handed on can be
// decoded on its own (SDP-only parameter sets, late join).
type depacketizer interface {
	// decode returns a complete access unit, or nil when more packets are
	// needed.
	decode(pkt *rtp.Packet) ([][]byte, error)
	randomAccess(au [][]byte) bool
	// withParams records in-band parameter sets and, for a random-access
	// unit that lacks them, returns the unit with the known ones prepended.
	withParams(au [][]byte) [][]byte
	// codec is FFmpeg's decoder name.
	codec() string
	// size returns width, height and frame rate from the SPS (0 when
	// unknown).
	size() (int, int, float64)
}

func newDepacketizer(f format.Format) (depacketizer, error) {
	switch f := f.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, fmt.Errorf("h264 depacketizer: %w", err)
		}
		sps, pps := f.SafeParams()
		return &h264Depack{dec: d, sps: clone(sps), pps: clone(pps)}, nil
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, fmt.Errorf("h265 depacketizer: %w", err)
		}
		vps, sps, pps := f.SafeParams()
		return &h265Depack{dec: d, vps: clone(vps), sps: clone(sps), pps: clone(pps)}, nil
	}
	return nil, fmt.Errorf("codec %s: %w", f.Codec(), ErrUnsupportedCodec)
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// errNeedMore reports whether err only means "the access unit is not
// complete yet".
func errNeedMore(err error) bool {
	return err == rtph264.ErrMorePacketsNeeded || err == rtph265.ErrMorePacketsNeeded ||
		err == rtph264.ErrNonStartingPacketAndNoPrevious || err == rtph265.ErrNonStartingPacketAndNoPrevious
}

type h264Depack struct {
	dec      *rtph264.Decoder
	sps, pps []byte
}

func (d *h264Depack) codec() string { return "h264" }

func (d *h264Depack) decode(pkt *rtp.Packet) ([][]byte, error) {
	au, err := d.dec.Decode(pkt)
	if err != nil {
		if errNeedMore(err) {
			return nil, nil
		}
		return nil, err
	}
	return au, nil
}

func (d *h264Depack) randomAccess(au [][]byte) bool { return h264.IsRandomAccess(au) }

func (d *h264Depack) withParams(au [][]byte) [][]byte {
	hasSPS, hasPPS := false, false
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			d.sps, hasSPS = clone(n), true
		case h264.NALUTypePPS:
			d.pps, hasPPS = clone(n), true
		}
	}
	if !d.randomAccess(au) {
		return au
	}
	var pre [][]byte
	if !hasSPS && d.sps != nil {
		pre = append(pre, d.sps)
	}
	if !hasPPS && d.pps != nil {
		pre = append(pre, d.pps)
	}
	if pre == nil {
		return au
	}
	return append(pre, au...)
}

func (d *h264Depack) size() (int, int, float64) {
	var s h264.SPS
	if d.sps == nil || s.Unmarshal(d.sps) != nil {
		return 0, 0, 0
	}
	return s.Width(), s.Height(), s.FPS()
}

type h265Depack struct {
	dec           *rtph265.Decoder
	vps, sps, pps []byte
}

func (d *h265Depack) codec() string { return "hevc" }

func (d *h265Depack) decode(pkt *rtp.Packet) ([][]byte, error) {
	au, err := d.dec.Decode(pkt)
	if err != nil {
		if errNeedMore(err) {
			return nil, nil
		}
		return nil, err
	}
	return au, nil
}

func (d *h265Depack) randomAccess(au [][]byte) bool { return h265.IsRandomAccess(au) }

func (d *h265Depack) withParams(au [][]byte) [][]byte {
	hasVPS, hasSPS, hasPPS := false, false, false
	for _, n := range au {
		if len(n) < 2 {
			continue
		}
		switch h265.NALUType((n[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			d.vps, hasVPS = clone(n), true
		case h265.NALUType_SPS_NUT:
			d.sps, hasSPS = clone(n), true
		case h265.NALUType_PPS_NUT:
			d.pps, hasPPS = clone(n), true
		}
	}
	if !d.randomAccess(au) {
		return au
	}
	var pre [][]byte
	if !hasVPS && d.vps != nil {
		pre = append(pre, d.vps)
	}
	if !hasSPS && d.sps != nil {
		pre = append(pre, d.sps)
	}
	if !hasPPS && d.pps != nil {
		pre = append(pre, d.pps)
	}
	if pre == nil {
		return au
	}
	return append(pre, au...)
}

func (d *h265Depack) size() (int, int, float64) {
	var s h265.SPS
	if d.sps == nil || s.Unmarshal(d.sps) != nil {
		return 0, 0, 0
	}
	return s.Width(), s.Height(), s.FPS()
}
