package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// DefaultSegmentFrames is N, the frames per segment, when none is configured.
const DefaultSegmentFrames = 24

// DefaultFolderFPS is the frame rate assumed for folders of JPEG frames
// (ShanghaiTech and Avenue are 24–25 fps; timestamps only matter when
// sampling).
const DefaultFolderFPS = 25

// FileOptions configures ReadFile.
type FileOptions struct {
	// CameraID labels frames and segments (default: the file's base name).
	CameraID string
	// SampleFPS is the analysis rate; 0 analyses every frame.
	SampleFPS float64
	// LongSide is the analysis size's long side in pixels (0 = 640).
	LongSide int
	// SegmentFrames is N (0 = 24).
	SegmentFrames int
	// Stride is the distance between segment starts (0 = SegmentFrames).
	Stride int
	// HWAccel is none (""), cuda, vaapi or auto.
	HWAccel string
	// FolderFPS is the frame rate of a JPEG folder (0 = 25).
	FolderFPS float64
	// Start is the wall-clock time of the first frame (zero = now).
	Start time.Time
	// Logger receives hwaccel fallback lines (nil discards them).
	Logger *slog.Logger
	// Consecutive requires a JPEG folder's frame numbers to follow each
	// other without a gap: where frames are matched to labels by position
	// (eval), a missing file would shift every later frame onto another
	// frame's label.
	Consecutive bool
	// RecycleImages takes the analysis images from a bounded pool: fn (or
	// whoever it hands the segment to) calls Segment.Release when done with
	// a segment, and later frames reuse its images. Segments never released
	// stay valid; their images are just not recycled. Without it every
	// frame gets a fresh image and Release does nothing.
	RecycleImages bool
}

// FileInfo describes what ReadFile read.
type FileInfo struct {
	// Frames counts every decoded source frame, including trailing frames
	// that did not fill a segment.
	Frames int64
	// FPS is the source frame rate (FolderFPS for folders).
	FPS float64
	// Width and Height are the picture's size as displayed: a file's
	// rotation (display matrix) applied.
	Width, Height int
	// Codec is the FFmpeg codec name ("mjpeg" for folders).
	Codec string
	// Analysed counts sampled frames; Segments the segments delivered.
	Analysed, Segments int64
	// DecodeErrors counts packets the decoder rejected (skipped, not fatal).
	DecodeErrors int64
	// Resized counts analysed frames whose size differed from the first
	// frame's (a resolution change, a folder of mixed sizes): they were
	// scaled to the first frame's analysis size, aspect not kept.
	Resized int64
	// HWAccel is the decoder's hardware device, or "none".
	HWAccel string
}

// offlineKeepsSize is false only in the test that runs ReadFile with a
// camera's behaviour at a size change.
var offlineKeepsSize = true

// ReadFile decodes a video file (mp4, mkv, raw .264/.265, anything FFmpeg
// reads) or a folder of numbered JPEG frames, and passes every complete
// segment to fn, in order. Offline nothing is dropped. fn owns each segment
// and its images. Trailing frames that do not fill a segment are not
// delivered; FileInfo.Frames still counts them. An error from fn stops the
// read and is returned.
func ReadFile(ctx context.Context, path string, opts FileOptions, fn func(*segment.Segment) error) (FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("read %s: %w", path, err)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		// A FIFO or device would block FFmpeg's open past any
		// cancellation.
		return FileInfo{}, fmt.Errorf("read %s: not a regular file or a folder (%s)", path, st.Mode().Type())
	}
	if opts.CameraID == "" {
		opts.CameraID = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	if !decode.ValidHWAccel(opts.HWAccel) {
		return FileInfo{}, fmt.Errorf("read %s: hwaccel %q: want none, cuda, vaapi or auto", path, opts.HWAccel)
	}
	fr, err := newFramer(opts.CameraID, opts.SampleFPS, opts.LongSide, opts.SegmentFrames, opts.Stride, opts.RecycleImages)
	if err != nil {
		return FileInfo{}, err
	}
	// Offline every frame counts (detect scores it, eval matches it to
	// its label): a frame of another size is scaled to the window's
	// instead of ending it, as the ffmpeg CLI scales to its first size.
	fr.keepSize = offlineKeepsSize
	defer fr.close()
	var info FileInfo
	if st.IsDir() {
		info, err = readFolder(ctx, path, opts, fr, fn)
	} else {
		info, err = readVideo(ctx, path, opts, fr, fn)
	}
	info.Analysed, info.Segments, info.Resized = fr.sampled, fr.segments, fr.resized
	return info, err
}

func readVideo(ctx context.Context, path string, opts FileOptions, fr *framer, fn func(*segment.Segment) error) (FileInfo, error) {
	dm, err := decode.OpenFile(path, decode.DemuxOptions{})
	if err != nil {
		return FileInfo{}, err
	}
	defer dm.Close()
	si := dm.Info()
	info := FileInfo{FPS: si.FPS, Width: si.Width, Height: si.Height, Codec: si.Codec}
	if si.Rotation == 90 || si.Rotation == 270 {
		info.Width, info.Height = si.Height, si.Width
	}
	fr.rotation, fr.mirror = si.Rotation, si.Mirrored
	dec, err := dm.NewDecoder(decode.Config{HWAccel: opts.HWAccel, Logger: opts.Logger, BandLongSide: fr.bandLongSide()})
	if err != nil {
		return info, fmt.Errorf("read %s: %w", path, err)
	}
	defer dec.Close()
	info.HWAccel = dec.HWAccel()
	tb := float64(si.TimeBaseNum) / float64(max(1, si.TimeBaseDen))
	frameDur := time.Second / 25
	if si.FPS > 0 {
		frameDur = time.Duration(float64(time.Second) / si.FPS)
	}
	var (
		first   int64         = decode.NoPTS
		lastPTS time.Duration = -1
	)
	onPic := func(p *decode.Picture) error {
		idx := info.Frames
		info.Frames++
		var pts time.Duration
		if p.PTS != decode.NoPTS {
			if first == decode.NoPTS {
				first = p.PTS
			}
			pts = time.Duration(float64(p.PTS-first) * tb * float64(time.Second))
		} else {
			pts = time.Duration(idx) * frameDur
		}
		// Raw elementary streams can carry missing or repeated timestamps;
		// keep PTS strictly increasing.
		if pts <= lastPTS {
			pts = lastPTS + frameDur
		}
		lastPTS = pts
		return deliver(fr, p, idx, pts, opts.Start.Add(pts), fn)
	}
	var yield decodeYielder
	packets := 0
	for {
		if err := ctx.Err(); err != nil {
			return info, err
		}
		pkt, err := dm.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return info, err
		}
		packets++
		if err := dec.DecodePacket(pkt, onPic); err != nil {
			var ce *callbackError
			if errors.As(err, &ce) {
				return info, ce.err
			}
			info.DecodeErrors++
		}
		yield.afterDecode(true)
	}
	if err := dec.Flush(onPic); err != nil {
		var ce *callbackError
		if errors.As(err, &ce) {
			return info, ce.err
		}
		info.DecodeErrors++
	}
	if info.Frames == 0 {
		// A silent success with nothing scored would read as "no anomaly".
		return info, fmt.Errorf("read %s: no frame could be decoded (%s stream, %d packets, %d rejected by the decoder)",
			path, si.Codec, packets, info.DecodeErrors)
	}
	return info, nil
}

// callbackError marks an error that came from the framer or the consumer
// rather than from the decoder, so it stops the read instead of being
// counted as corrupt data.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

func deliver(fr *framer, p *decode.Picture, idx int64, pts time.Duration, wall time.Time, fn func(*segment.Segment) error) error {
	seg, err := fr.push(p, idx, pts, wall)
	if err != nil {
		return &callbackError{err}
	}
	if seg == nil {
		return nil
	}
	if err := fn(seg); err != nil {
		return &callbackError{err}
	}
	return nil
}
