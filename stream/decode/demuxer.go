package decode

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/asticode/go-astiav"
)

// StreamInfo describes the video stream of an opened file.
type StreamInfo struct {
	// Codec is FFmpeg's codec name (h264, hevc, mjpeg, ...).
	Codec string
	// Format is the container (demuxer) name.
	Format        string
	Width, Height int
	// FPS is the average frame rate, 0 when unknown.
	FPS float64
	// TimeBase is the unit of packet timestamps, in seconds.
	TimeBaseNum, TimeBaseDen int
	// Duration is the container's duration, 0 when unknown.
	Duration time.Duration
	// Frames is the container's frame count, 0 when unknown.
	Frames int64
	// Rotation is the clockwise rotation (0, 90, 180 or 270 degrees) the
	// stream's display matrix asks for: phones store portrait video
	// landscape with a matrix, and players turn it upright.
	Rotation int
	// Mirrored is true when the display matrix also mirrors the picture
	// horizontally (applied before Rotation).
	Mirrored bool
}

// DemuxOptions configures OpenFile.
type DemuxOptions struct {
	// AnnexB converts H.264/H.265 packets to annex-b with parameter sets in
	// front of every key frame (what an RTSP server must send).
	AnnexB bool
}

// Demuxer reads the packets of the first video stream of a file.
type Demuxer struct {
	path  string
	fc    *astiav.FormatContext
	st    *astiav.Stream
	pkt   *astiav.Packet
	out   *astiav.Packet
	bsf   *astiav.BitStreamFilterContext
	info  StreamInfo
	flush bool
}

// Packet is one compressed packet; its data stays valid until the next
// Read.
type Packet struct {
	// PTS and DTS are in the stream time base; NoPTS when unknown.
	PTS, DTS int64
	// Duration in the stream time base, 0 when unknown.
	Duration int64
	// Key is true for key frames.
	Key bool
	p   *astiav.Packet
}

// Data copies the packet payload into a Go slice.
func (p *Packet) Data() []byte { return p.p.Data() }

// OpenFile opens path and selects its first video stream.
func OpenFile(path string, opts DemuxOptions) (_ *Demuxer, err error) {
	installLogCallback()
	d := &Demuxer{path: path}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.fc = astiav.AllocFormatContext(); d.fc == nil {
		return nil, fmt.Errorf("open %s: allocate format context failed", path)
	}
	reason, err := captureLog(func() error { return d.fc.OpenInput(path, nil, nil) })
	if err != nil {
		d.fc.Free()
		d.fc = nil
		return nil, fmt.Errorf("open %s: %w%s", path, err, paren(reason))
	}
	if err := d.fc.FindStreamInfo(nil); err != nil {
		return nil, fmt.Errorf("open %s: find stream info: %w", path, err)
	}
	d.st = pickVideoStream(d.fc.Streams())
	if d.st == nil {
		return nil, fmt.Errorf("open %s: no video stream", path)
	}
	cp := d.st.CodecParameters()
	codecName := cp.CodecID().Name()
	tb := d.st.TimeBase()
	fr := d.st.AvgFrameRate()
	if fr.Num() <= 0 || fr.Den() <= 0 {
		fr = d.st.RFrameRate()
	}
	d.info = StreamInfo{
		Codec: codecName, Format: d.fc.InputFormat().Name(),
		Width: cp.Width(), Height: cp.Height(),
		TimeBaseNum: tb.Num(), TimeBaseDen: tb.Den(),
		Frames: d.st.NbFrames(),
	}
	if fr.Num() > 0 && fr.Den() > 0 {
		d.info.FPS = fr.Float64()
	}
	if dur := d.fc.Duration(); dur > 0 {
		d.info.Duration = time.Duration(dur) * time.Microsecond
	}
	if sd := d.st.SideData(astiav.PacketSideDataTypeDisplaymatrix); len(sd) >= 36 {
		if m, err := astiav.NewDisplayMatrixFromBytes(sd); err == nil {
			// A matrix with a negative determinant mirrors the picture
			// (av_display_rotation_get reads a plain horizontal mirror
			// as 180 degrees): take the rotation of the matrix without
			// its mirror (column 0 negated, as av_display_matrix_flip
			// does), so a mirrored clip is not turned upside down.
			a, b, c, dd := int64(int32(m[0])), int64(int32(m[1])), int64(int32(m[3])), int64(int32(m[4]))
			if a*dd-b*c < 0 {
				m[0], m[3] = uint32(-int32(m[0])), uint32(-int32(m[3]))
				d.info.Mirrored = true
			}
			// astiav gives the clockwise angle; round it to a
			// quarter turn (other angles are not worth a resampling).
			cw := int(math.Round(m.Rotation()/90)) * 90
			d.info.Rotation = ((cw % 360) + 360) % 360
		}
	}
	d.pkt = astiav.AllocPacket()
	d.out = astiav.AllocPacket()
	if opts.AnnexB && (codecName == "h264" || codecName == "hevc") {
		name := codecName + "_mp4toannexb"
		f := astiav.FindBitStreamFilterByName(name)
		if f == nil {
			return nil, fmt.Errorf("open %s: bitstream filter %s missing", path, name)
		}
		if d.bsf, err = astiav.AllocBitStreamFilterContext(f); err != nil {
			return nil, fmt.Errorf("open %s: %s: %w", path, name, err)
		}
		if err := cp.Copy(d.bsf.InputCodecParameters()); err != nil {
			return nil, fmt.Errorf("open %s: %s parameters: %w", path, name, err)
		}
		d.bsf.SetInputTimeBase(tb)
		if err := d.bsf.Initialize(); err != nil {
			return nil, fmt.Errorf("open %s: %s init: %w", path, name, err)
		}
	}
	return d, nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// Info describes the selected video stream.
func (d *Demuxer) Info() StreamInfo { return d.info }

// Read returns the next packet of the video stream, or io.EOF.
func (d *Demuxer) Read() (*Packet, error) {
	for {
		if d.bsf != nil {
			d.out.Unref()
			err := d.bsf.ReceivePacket(d.out)
			if err == nil {
				return d.wrap(d.out), nil
			}
			if errors.Is(err, astiav.ErrEof) {
				return nil, io.EOF
			}
			if !errors.Is(err, astiav.ErrEagain) {
				return nil, fmt.Errorf("read %s: bitstream filter: %w", d.path, err)
			}
			if d.flush {
				return nil, io.EOF
			}
		}
		pkt, err := d.readRaw()
		if errors.Is(err, io.EOF) && d.bsf != nil && !d.flush {
			d.flush = true
			if err := d.bsf.SendPacket(nil); err != nil {
				return nil, io.EOF
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if d.bsf == nil {
			return d.wrap(pkt), nil
		}
		if err := d.bsf.SendPacket(pkt); err != nil {
			return nil, fmt.Errorf("read %s: bitstream filter: %w", d.path, err)
		}
	}
}

func (d *Demuxer) readRaw() (*astiav.Packet, error) {
	for {
		d.pkt.Unref()
		if err := d.fc.ReadFrame(d.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read %s: %w", d.path, err)
		}
		if d.pkt.StreamIndex() == d.st.Index() {
			return d.pkt, nil
		}
	}
}

func (d *Demuxer) wrap(p *astiav.Packet) *Packet {
	return &Packet{PTS: p.Pts(), DTS: p.Dts(), Duration: p.Duration(),
		Key: p.Flags().Has(astiav.PacketFlagKey), p: p}
}

// NewDecoder opens a decoder for the file's video stream.
func (d *Demuxer) NewDecoder(cfg Config) (*Decoder, error) {
	cp := d.st.CodecParameters()
	codec := astiav.FindDecoder(cp.CodecID())
	if codec == nil {
		return nil, fmt.Errorf("decoder for %s: %w", d.info.Codec, ErrUnsupportedCodec)
	}
	return newDecoder(codec, cp, cfg)
}

// DecodePacket feeds a packet read from this file's demuxer to dec.
func (dec *Decoder) DecodePacket(p *Packet, fn func(*Picture) error) error {
	return dec.send(p.p, fn)
}

// Close releases the file. Safe to call more than once.
func (d *Demuxer) Close() {
	if d.bsf != nil {
		d.bsf.Free()
		d.bsf = nil
	}
	if d.pkt != nil {
		d.pkt.Free()
		d.pkt = nil
	}
	if d.out != nil {
		d.out.Free()
		d.out = nil
	}
	if d.fc != nil {
		d.fc.CloseInput()
		d.fc.Free()
		d.fc = nil
	}
}

// stillCodecs are the codecs of pictures that files attach to a video
// (cover art, thumbnails).
var stillCodecs = map[string]bool{"mjpeg": true, "png": true, "bmp": true, "gif": true, "webp": true, "tiff": true}

// pickVideoStream returns the file's video: the first video stream that is
// not a single still picture, else the first video stream (nil if none).
// A cover picture (disposition attached_pic, which go-astiav v0.16 cannot
// read) can come first, and reading it would make a one-frame "video" of
// the file.
func pickVideoStream(streams []*astiav.Stream) *astiav.Stream {
	var first *astiav.Stream
	for _, s := range streams {
		cp := s.CodecParameters()
		if cp.MediaType() != astiav.MediaTypeVideo {
			continue
		}
		if first == nil {
			first = s
		}
		if !(stillCodecs[cp.CodecID().Name()] && s.NbFrames() <= 1) {
			return s
		}
	}
	return first
}
