package eval

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// videoExtensions are tried, in order, when a test video is not a folder of
// frames (Avenue ships its test set as testing_videos/01.avi …).
var videoExtensions = []string{".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg"}

// FileSourceConfig configures FileSource.
type FileSourceConfig struct {
	// Root is the dataset folder holding one entry per test video: a
	// folder of numbered JPEG frames named like the video, or a video file
	// named like it with one of the usual extensions.
	Root string
	// LongSide is the analysis size's long side (0 = stream's default).
	LongSide int
	// HWAccel selects hardware decoding for video files.
	HWAccel string
	// Logger receives the decoder's notices.
	Logger *slog.Logger
}

// FileSource reads test videos from a dataset folder with stream.ReadFile:
// every frame, no sampling, non-overlapping segments.
type FileSource struct{ cfg FileSourceConfig }

// NewFileSource returns a source over cfg.Root; it does no I/O.
func NewFileSource(cfg FileSourceConfig) *FileSource { return &FileSource{cfg: cfg} }

// Path finds the file or folder holding video under the root.
func (f *FileSource) Path(video string) (string, error) {
	dir := filepath.Join(f.cfg.Root, video)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, nil
	}
	for _, ext := range videoExtensions {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			p := dir + e
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	if _, err := os.Stat(f.cfg.Root); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("dataset root %s does not exist", f.cfg.Root)
	}
	return "", fmt.Errorf("test video %s not found under %s (want a frame folder %s/ or a file %s.avi, .mp4, …)", video, f.cfg.Root, video, video)
}

// Read implements Source.
func (f *FileSource) Read(ctx context.Context, video string, segmentFrames int, fn func(*segment.Segment) error) (int, error) {
	path, err := f.Path(video)
	if err != nil {
		return 0, err
	}
	info, err := stream.ReadFile(ctx, path, stream.FileOptions{
		CameraID:      video,
		LongSide:      f.cfg.LongSide,
		SegmentFrames: segmentFrames,
		Stride:        segmentFrames,
		HWAccel:       f.cfg.HWAccel,
		Logger:        f.cfg.Logger,
		Consecutive:   true,
		RecycleImages: true,
	}, fn)
	if err != nil {
		return 0, err
	}
	return int(info.Frames), nil
}

// Version fingerprints a test video for the answer cache
// (stream.SourceVersion), so that frames extracted again are asked about
// again. (A dataset copied with its times kept, cp -a or rsync -a, keeps
// its cached answers.)
func (f *FileSource) Version(video string) (string, error) {
	path, err := f.Path(video)
	if err != nil {
		return "", err
	}
	return stream.SourceVersion(path)
}
