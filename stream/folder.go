package stream

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

type numberedFile struct {
	num  int64
	name string
}

// frameNumber extracts the last run of digits in a file name's stem:
// "000123.jpg" → 123, "frame_0042.jpeg" → 42. ok is false when there is
// none; the error is errFrameNumberRange when it exceeds int64.
func frameNumber(name string) (int64, bool, error) {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	end := len(stem)
	for end > 0 && (stem[end-1] < '0' || stem[end-1] > '9') {
		end--
	}
	start := end
	for start > 0 && stem[start-1] >= '0' && stem[start-1] <= '9' {
		start--
	}
	if start == end {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(stem[start:end], 10, 64)
	if err != nil {
		// Only a range error is possible on a run of digits.
		return 0, false, errFrameNumberRange
	}
	return n, true, nil
}

// errFrameNumberRange: the digits of a frame's name exceed int64.
var errFrameNumberRange = errors.New("frame number too large")

// listFrames returns the folder's JPEG files sorted by the number in their
// names (not lexically: 10.jpg comes after 9.jpg).
func listFrames(dir string) ([]numberedFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read frames %s: %w", dir, err)
	}
	var out []numberedFile
	seen := map[int64]string{}
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".jpg" && ext != ".jpeg") {
			continue
		}
		n, ok, err := frameNumber(e.Name())
		if err != nil {
			return nil, fmt.Errorf("read frames %s: the frame number in %s is too large (at most %d)", dir, e.Name(), int64(math.MaxInt64))
		}
		if !ok {
			return nil, fmt.Errorf("read frames %s: %s has no frame number in its name", dir, e.Name())
		}
		if !e.Type().IsRegular() {
			// A FIFO would block os.ReadFile past any cancellation, a
			// link to /dev/zero read until memory runs out.
			st, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read frames %s: %w", dir, err)
			}
			if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("read frames %s: %s is not a regular file (%s)", dir, e.Name(), st.Mode().Type())
			}
		}
		if prev, dup := seen[n]; dup {
			return nil, fmt.Errorf("read frames %s: %s and %s have the same frame number %d", dir, prev, e.Name(), n)
		}
		seen[n] = e.Name()
		out = append(out, numberedFile{n, e.Name()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read frames %s: no .jpg files", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].num < out[j].num })
	return out, nil
}

func readFolder(ctx context.Context, dir string, opts FileOptions, fr *framer, fn func(*segment.Segment) error) (FileInfo, error) {
	files, err := listFrames(dir)
	if err != nil {
		return FileInfo{}, err
	}
	if opts.Consecutive {
		// Datasets number their frames from 0 (ShanghaiTech) or 1; a
		// folder starting later lost its first frames, which no gap shows.
		if first := files[0]; first.num > 1 {
			return FileInfo{}, fmt.Errorf("read frames %s: the first frame is number %d (%s): frames are numbered from 0 or 1, so frames before it are missing",
				dir, first.num, first.name)
		}
		for i := 1; i < len(files); i++ {
			if prev := files[i-1]; files[i].num != prev.num+1 {
				return FileInfo{}, fmt.Errorf("read frames %s: frame numbers jump from %d (%s) to %d (%s): frame %d is missing",
					dir, prev.num, prev.name, files[i].num, files[i].name, prev.num+1)
			}
		}
	}
	fps := opts.FolderFPS
	if fps <= 0 {
		fps = DefaultFolderFPS
	}
	info := FileInfo{FPS: fps, Codec: "mjpeg", HWAccel: decode.HWNone}
	// JPEG frames are intra-only; a hardware device would not help.
	dec, err := decode.NewDecoder(decode.Config{Codec: "mjpeg"})
	if err != nil {
		return info, fmt.Errorf("read frames %s: %w", dir, err)
	}
	defer dec.Close()
	frameDur := time.Duration(float64(time.Second) / fps)
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return info, err
		}
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return info, fmt.Errorf("read frames %s: %w", dir, err)
		}
		got := false
		err = dec.Decode(data, int64(i), func(p *decode.Picture) error {
			got = true
			if info.Width == 0 {
				info.Width, info.Height = p.Width(), p.Height()
			}
			idx := info.Frames
			info.Frames++
			pts := time.Duration(idx) * frameDur
			return deliver(fr, p, idx, pts, opts.Start.Add(pts), fn)
		})
		var ce *callbackError
		if errors.As(err, &ce) {
			return info, ce.err
		}
		if err == nil && !got {
			err = errors.New("no picture in it (empty or truncated file)")
		}
		if err != nil {
			// A frame file that does not decode would shift every later
			// frame's index and break the label alignment: fail loudly.
			return info, fmt.Errorf("read frames %s: %s does not decode as JPEG: %v", dir, f.name, err)
		}
	}
	return info, nil
}
