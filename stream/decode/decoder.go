package decode

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/asticode/go-astiav"
)

// ErrUnsupportedCodec is returned for codecs this build cannot decode.
var ErrUnsupportedCodec = errors.New("unsupported codec")

// Config configures a Decoder.
type Config struct {
	// Codec is the FFmpeg codec name: "h264", "hevc" or "mjpeg". Ignored when
	// the decoder is created from a Demuxer.
	Codec string
	// Extradata is optional out-of-band codec configuration (annex-b
	// parameter sets for streams).
	Extradata []byte
	// HWAccel is none (""), cuda, vaapi or auto.
	HWAccel string
	// Threads is the decoder thread count; 0 means 1, because frame
	// threading adds a frame of latency per extra thread.
	Threads int
	// KeyframesOnly makes FFmpeg skip every non-key frame (skip_frame=nokey).
	KeyframesOnly bool
	// Logger receives the hwaccel fallback lines. Nil discards them.
	Logger *slog.Logger
	// BandLongSide, when positive, has a software H.264 decoder box-scale
	// each picture to this long side band by band as it decodes, for a
	// Scaler of the same long side to pick up (see bands.c): for
	// pipelines that scale every picture. Ignored for other codecs, for
	// hardware decoding and where no box ratio applies.
	BandLongSide int
}

// Decoder turns compressed packets into Pictures. It is not safe for
// concurrent use; one camera owns one decoder.
type Decoder struct {
	cc    *astiav.CodecContext
	hw    *hwDevice
	pkt   *astiav.Packet
	frame *astiav.Frame
	sw    *astiav.Frame
	pic   Picture
	name  string
	bands *bandScaler
	// padded is the reusable staging buffer for Decode.
	padded []byte
}

// inputPadding is FFmpeg's AV_INPUT_BUFFER_PADDING_SIZE (64 in FFmpeg 5.1).
const inputPadding = 64

var zeroPadding [inputPadding]byte

// Picture is one decoded picture, valid only during the callback it is
// passed to.
type Picture struct {
	// PTS is in the time base of the packets fed to the decoder;
	// NoPTS when unknown.
	PTS int64
	// Key is true for key frames.
	Key   bool
	frame *astiav.Frame
	// bands holds the picture already scaled, when it was banded.
	bands *bandScaler
}

// NoPTS marks an unknown timestamp.
const NoPTS = astiav.NoPtsValue

// Width is the picture width in pixels.
func (p *Picture) Width() int { return p.frame.Width() }

// Height is the picture height in pixels.
func (p *Picture) Height() int { return p.frame.Height() }

// NewDecoder opens a decoder for a stream whose codec is known by name.
func NewDecoder(cfg Config) (*Decoder, error) {
	codec := astiav.FindDecoderByName(cfg.Codec)
	if codec == nil {
		return nil, fmt.Errorf("decoder %q: %w", cfg.Codec, ErrUnsupportedCodec)
	}
	return newDecoder(codec, nil, cfg)
}

func newDecoder(codec *astiav.Codec, params *astiav.CodecParameters, cfg Config) (_ *Decoder, err error) {
	installLogCallback()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Decoder{name: codec.Name()}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.cc = astiav.AllocCodecContext(codec); d.cc == nil {
		return nil, fmt.Errorf("decoder %s: allocate context failed", codec.Name())
	}
	if params != nil {
		if err := params.ToCodecContext(d.cc); err != nil {
			return nil, fmt.Errorf("decoder %s: codec parameters: %w", codec.Name(), err)
		}
	}
	if len(cfg.Extradata) > 0 {
		if err := d.cc.SetExtraData(cfg.Extradata); err != nil {
			return nil, fmt.Errorf("decoder %s: extradata: %w", codec.Name(), err)
		}
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = 1
	}
	d.cc.SetThreadCount(threads)
	if d.hw, err = pickHW(codec, cfg.HWAccel, log); err != nil {
		return nil, err
	}
	if d.hw != nil {
		d.cc.SetHardwareDeviceContext(d.hw.ctx)
		want := d.hw.pixFmt
		d.cc.SetPixelFormatCallback(func(pfs []astiav.PixelFormat) astiav.PixelFormat {
			for _, pf := range pfs {
				if pf == want {
					return pf
				}
			}
			// The hardware cannot take this stream (profile, size): let
			// FFmpeg fall back to its first software format.
			return pfs[len(pfs)-1]
		})
	}
	var opts *astiav.Dictionary
	if cfg.KeyframesOnly {
		opts = astiav.NewDictionary()
		defer opts.Free()
		_ = opts.Set("skip_frame", "nokey", 0)
	}
	reason, err := captureLog(func() error { return d.cc.Open(codec, opts) })
	if err != nil {
		if reason != "" {
			return nil, fmt.Errorf("decoder %s: open: %s (%w)", codec.Name(), reason, err)
		}
		return nil, fmt.Errorf("decoder %s: open: %w", codec.Name(), err)
	}
	d.pkt = astiav.AllocPacket()
	d.frame = astiav.AllocFrame()
	d.sw = astiav.AllocFrame()
	if cfg.BandLongSide > 0 && d.hw == nil {
		d.bands = newBandScaler(d.cc, cfg.BandLongSide)
	}
	return d, nil
}

// Codec is the FFmpeg decoder name.
func (d *Decoder) Codec() string { return d.name }

// HWAccel is the hardware device in use, or "none".
func (d *Decoder) HWAccel() string {
	if d.hw == nil {
		return HWNone
	}
	return d.hw.name
}

// Decode feeds one access unit (annex-b for H.264/H.265) with its PTS and
// calls fn for every picture the decoder outputs. A decode error is
// returned but leaves the decoder usable: corrupt data is not fatal.
func (d *Decoder) Decode(data []byte, pts int64, fn func(*Picture) error) error {
	d.pkt.Unref()
	if len(data) == 0 {
		return nil
	}
	// FFmpeg's bitstream readers may read up to inputPadding bytes past
	// the end of a packet, and astiav's FromData allocates the exact size:
	// hand it the unit with a zeroed tail and shrink the size afterwards,
	// so no decoder reads beyond the buffer on outside (RTSP) input.
	d.padded = append(append(d.padded[:0], data...), zeroPadding[:]...)
	if err := d.pkt.FromData(d.padded); err != nil {
		return fmt.Errorf("decoder %s: packet: %w", d.name, err)
	}
	d.pkt.SetSize(len(data))
	d.pkt.SetPts(pts)
	d.pkt.SetDts(pts)
	return d.send(d.pkt, fn)
}

// Flush drains the pictures still buffered in the decoder (end of file or
// of a connection). The decoder is finished afterwards: every Decode
// returns end of file, so callers close it.
func (d *Decoder) Flush(fn func(*Picture) error) error {
	if err := d.cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("decoder %s: flush: %w", d.name, err)
	}
	return d.drain(fn)
}

// BandedPictures counts the pictures scaled band by band as they decoded.
func (d *Decoder) BandedPictures() uint64 {
	if d.bands == nil {
		return 0
	}
	return d.bands.banded
}

func (d *Decoder) send(pkt *astiav.Packet, fn func(*Picture) error) error {
	if d.bands != nil {
		d.bands.begin(d.cc)
	}
	if err := d.cc.SendPacket(pkt); err != nil {
		if errors.Is(err, astiav.ErrEagain) {
			// Output is full: drain and retry once.
			if err := d.drain(fn); err != nil {
				return err
			}
			if err := d.cc.SendPacket(pkt); err != nil {
				return fmt.Errorf("decoder %s: %w", d.name, err)
			}
		} else {
			// Still drain: earlier packets may have produced pictures.
			if derr := d.drain(fn); derr != nil {
				return derr
			}
			return fmt.Errorf("decoder %s: %w", d.name, err)
		}
	}
	return d.drain(fn)
}

func (d *Decoder) drain(fn func(*Picture) error) error {
	for {
		d.frame.Unref()
		if err := d.cc.ReceiveFrame(d.frame); err != nil {
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				return nil
			}
			return fmt.Errorf("decoder %s: receive: %w", d.name, err)
		}
		out := d.frame
		if d.hw != nil && d.frame.PixelFormat() == d.hw.pixFmt {
			d.sw.Unref()
			if err := d.frame.TransferHardwareData(d.sw); err != nil {
				return fmt.Errorf("decoder %s: download from %s: %w", d.name, d.hw.name, err)
			}
			out = d.sw
		}
		d.pic = Picture{PTS: d.frame.Pts(), Key: d.frame.KeyFrame(), frame: out}
		if d.bands != nil && out == d.frame && d.bands.done(out) {
			d.pic.bands = d.bands
		}
		if err := fn(&d.pic); err != nil {
			return err
		}
	}
}

// Close frees the decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	if d.pkt != nil {
		d.pkt.Free()
		d.pkt = nil
	}
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	if d.sw != nil {
		d.sw.Free()
		d.sw = nil
	}
	if d.cc != nil {
		if d.hw != nil {
			// go-astiav keeps the get_format callback in a global map
			// keyed by the codec context, until it is reset: one entry
			// per hardware decoder (per reconnect) otherwise.
			d.cc.SetPixelFormatCallback(nil)
		}
		// Free also drops the codec context's reference to the hardware
		// device (go-astiav v0.16.0, CodecContext.Free).
		d.cc.Free()
		d.cc = nil
	}
	if d.bands != nil {
		d.bands.free()
		d.bands = nil
	}
	d.hw = nil
}
