package streamtest

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// NeedFFmpeg skips the test, saying why, when the ffmpeg CLI is missing.
func NeedFFmpeg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg CLI not found on PATH (run scripts/setup.sh): ", err)
	}
	return p
}

// GenerateClip encodes the scene described by spec with the ffmpeg CLI into
// t.TempDir() and returns the file's path.
func GenerateClip(t testing.TB, spec ClipSpec) string {
	t.Helper()
	path, err := WriteClip(t.TempDir(), spec)
	if err != nil {
		if _, lerr := exec.LookPath("ffmpeg"); lerr != nil {
			t.Skip("ffmpeg CLI not found on PATH (run scripts/setup.sh): ", lerr)
		}
		t.Fatal(err)
	}
	return path
}

// WriteClip is GenerateClip for benchmarks and scripts: it writes the clip
// into dir and returns its path.
func WriteClip(dir string, spec ClipSpec) (string, error) {
	spec = spec.withDefaults()
	var enc, ext, rawFmt string
	var extra []string
	switch spec.Codec {
	case "h264":
		enc, rawFmt = "libx264", "h264"
		extra = []string{"-x264-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:bframes=%d:log-level=error", spec.GOP, spec.GOP, spec.BFrames)}
	case "h265":
		enc, rawFmt = "libx265", "hevc"
		extra = []string{"-x265-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:bframes=%d:log-level=error:repeat-headers=1", spec.GOP, spec.GOP, spec.BFrames), "-tag:v", "hvc1"}
	default:
		return "", fmt.Errorf("streamtest: codec %q: want h264 or h265", spec.Codec)
	}
	var format []string
	switch spec.Container {
	case "mp4":
		ext, format = "mp4", []string{"-f", "mp4"}
	case "mkv":
		ext, format = "mkv", []string{"-f", "matroska"}
	case "raw":
		ext, format = map[string]string{"h264": "264", "h265": "265"}[spec.Codec], []string{"-f", rawFmt}
	default:
		return "", fmt.Errorf("streamtest: container %q: want mp4, mkv or raw", spec.Container)
	}
	if spec.Container != "mp4" && spec.Codec == "h265" {
		extra = extra[:len(extra)-2] // the hvc1 tag is for mp4 only
	}
	out := filepath.Join(dir, fmt.Sprintf("clip_%dx%d_%s.%s", spec.Width, spec.Height, spec.Codec, ext))
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", spec.Width, spec.Height),
		"-r", strconv.Itoa(spec.FPS), "-i", "-",
		"-c:v", enc, "-preset", "veryfast", "-pix_fmt", "yuv420p"}
	args = append(args, extra...)
	args = append(args, format...)
	args = append(args, out)
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("streamtest: start ffmpeg: %w", err)
	}
	bg := Background(spec)
	shs := shapes(spec.Seed)
	frame := Background(spec)
	var werr error
	for i := 0; i < spec.Frames() && werr == nil; i++ {
		copy(frame.Pix, bg.Pix)
		drawOn(frame, spec, shs, i)
		_, werr = stdin.Write(frame.Pix)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("streamtest: ffmpeg %v: %w: %s", args, err, stderr.String())
	}
	if werr != nil {
		return "", fmt.Errorf("streamtest: feed ffmpeg: %w", werr)
	}
	return out, nil
}

// GenerateFrames writes the scene as a folder of numbered JPEG frames
// (000.jpg, 001.jpg, … — four digits from 1000 frames on, the ShanghaiTech
// layout) into t.TempDir() and returns the folder.
func GenerateFrames(t testing.TB, spec ClipSpec) string {
	t.Helper()
	spec = spec.withDefaults()
	dir := filepath.Join(t.TempDir(), "frames")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	digits := 3
	if spec.Frames() > 1000 {
		digits = 4
	}
	bg := Background(spec)
	shs := shapes(spec.Seed)
	frame := Background(spec)
	for i := 0; i < spec.Frames(); i++ {
		copy(frame.Pix, bg.Pix)
		drawOn(frame, spec, shs, i)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("%0*d.jpg", digits, i))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
