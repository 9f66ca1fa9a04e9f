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
		return &depack{
			name: "h264", dec: d, isRandomAccess: h264.IsRandomAccess,
			params: paramSets{sets: [][]byte{clone(sps), clone(pps)}, kind: h264ParamKind},
			sps:    0, spsSize: h264Size,
		}, nil
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, fmt.Errorf("h265 depacketizer: %w", err)
		}
		vps, sps, pps := f.SafeParams()
		return &depack{
			name: "hevc", dec: d, isRandomAccess: h265.IsRandomAccess,
			params: paramSets{sets: [][]byte{clone(vps), clone(sps), clone(pps)}, kind: h265ParamKind},
			sps:    1, spsSize: h265Size,
		}, nil
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

// auDecoder is gortsplib's RTP → access unit decoder of either codec.
type auDecoder interface {
	Decode(pkt *rtp.Packet) ([][]byte, error)
}

// depack is the depacketizer of H.264 and H.265: the codecs differ only in
// their parameter-set kinds, random-access test and SPS parser.
type depack struct {
	name           string
	dec            auDecoder
	isRandomAccess func([][]byte) bool
	params         paramSets
	// sps is the index of the SPS in params.sets.
	sps     int
	spsSize func(sps []byte) (int, int, float64)
}

func (d *depack) codec() string { return d.name }

func (d *depack) decode(pkt *rtp.Packet) ([][]byte, error) {
	au, err := d.dec.Decode(pkt)
	if err != nil {
		if errNeedMore(err) {
			return nil, nil
		}
		return nil, err
	}
	return au, nil
}

func (d *depack) randomAccess(au [][]byte) bool { return d.isRandomAccess(au) }

func (d *depack) withParams(au [][]byte) [][]byte {
	return d.params.apply(au, d.isRandomAccess(au))
}

func (d *depack) size() (int, int, float64) {
	sps := d.params.sets[d.sps]
	if sps == nil {
		return 0, 0, 0
	}
	return d.spsSize(sps)
}

// paramSets keeps the latest copy of each parameter-set kind of a codec,
// in the order a decoder needs them (VPS, SPS, PPS).
type paramSets struct {
	sets [][]byte
	// kind returns the index in sets of a NAL unit that is a parameter
	// set, or -1.
	kind func(nalu []byte) int
}

// apply records the in-band parameter sets of au and, when au is a
// random-access unit, prepends the known sets it lacks.
func (p *paramSets) apply(au [][]byte, randomAccess bool) [][]byte {
	var inAU [3]bool
	for _, n := range au {
		if k := p.kind(n); k >= 0 {
			p.sets[k], inAU[k] = clone(n), true
		}
	}
	if !randomAccess {
		return au
	}
	var pre [][]byte
	for k, set := range p.sets {
		if !inAU[k] && set != nil {
			pre = append(pre, set)
		}
	}
	if pre == nil {
		return au
	}
	return append(pre, au...)
}

func h264ParamKind(n []byte) int {
	if len(n) == 0 {
		return -1
	}
	switch h264.NALUType(n[0] & 0x1f) {
	case h264.NALUTypeSPS:
		return 0
	case h264.NALUTypePPS:
		return 1
	}
	return -1
}

func h265ParamKind(n []byte) int {
	if len(n) < 2 {
		return -1
	}
	switch h265.NALUType((n[0] >> 1) & 0x3f) {
	case h265.NALUType_VPS_NUT:
		return 0
	case h265.NALUType_SPS_NUT:
		return 1
	case h265.NALUType_PPS_NUT:
		return 2
	}
	return -1
}

func h264Size(b []byte) (int, int, float64) {
	var s h264.SPS
	if s.Unmarshal(b) != nil {
		return 0, 0, 0
	}
	return s.Width(), s.Height(), s.FPS()
}

func h265Size(b []byte) (int, int, float64) {
	var s h265.SPS
	if s.Unmarshal(b) != nil {
		return 0, 0, 0
	}
	return s.Width(), s.Height(), s.FPS()
}
