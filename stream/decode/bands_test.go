package decode

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// encodeClip writes frames of a lavfi source as H.264 without B-frames
// (as most cameras send), with extra ffmpeg output options, into a
// temporary directory (streamtest cannot be used here: it imports
// this package).
func encodeClip(t *testing.T, name, lavfi string, frames int, opts ...string) string {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg CLI not found (scripts/setup.sh installs it)")
	}
	clip := filepath.Join(t.TempDir(), name)
	args := append([]string{"-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", lavfi,
		"-frames:v", itoa(frames), "-c:v", "libx264", "-preset", "veryfast", "-bf", "0"}, opts...)
	if out, err := exec.Command(ff, append(args, clip)...).CombinedOutput(); err != nil {
		t.Fatalf("generate %s: %v: %s", name, err, out)
	}
	return clip
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// scaleAll decodes every picture of clip and scales it to 640 px, with
// band scaling at bandLongSide (0: off), and returns the images' planes
// and how many pictures were banded.
func scaleAll(t *testing.T, clip string, bandLongSide int) ([][]byte, uint64) {
	return scaleAllThreads(t, clip, bandLongSide, 0)
}

// scaleAllThreads is scaleAll with the given decoder threads.
func scaleAllThreads(t *testing.T, clip string, bandLongSide, threads int) ([][]byte, uint64) {
	t.Helper()
	dm, err := OpenFile(clip, DemuxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dm.Close()
	dec, err := dm.NewDecoder(Config{BandLongSide: bandLongSide, Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	s := NewScaler(0)
	defer s.Close()
	var out [][]byte
	keep := func(p *Picture) error {
		img, err := s.Scale(p, nil)
		if err != nil {
			return err
		}
		out = append(out, bytes.Join([][]byte{img.Y, img.Cb, img.Cr}, nil))
		return nil
	}
	for {
		pkt, err := dm.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = dec.DecodePacket(pkt, keep) // corrupt input: errors are expected
	}
	if err := dec.Flush(keep); err != nil {
		t.Fatal(err)
	}
	return out, dec.BandedPictures()
}

// TestBandScalingMatchesWholeFrames holds band scaling (bands.c) to
// scaling the finished frames, byte for byte, on the streams it takes
// (each box kernel, several slices, no deblocking, full range, MBAFF
// interlacing) and on those it must leave alone (B-frames, corrupt data).
func TestBandScalingMatchesWholeFrames(t *testing.T) {
	src := func(size string) string { return "testsrc2=size=" + size + ":rate=25" }
	for _, tc := range []struct {
		name    string
		lavfi   string
		opts    []string
		corrupt bool
		// banded: every picture must be banded ("all"), some ("some"),
		// or it does not matter ("any").
		banded string
	}{
		{name: "720p.mp4", lavfi: src("1280x720"), banded: "all"},
		{name: "1080p.mp4", lavfi: src("1920x1080"), banded: "all"},
		{name: "1440p.mp4", lavfi: src("2560x1440"), banded: "all"},
		{name: "slices.mp4", lavfi: src("1920x1080"), opts: []string{"-x264-params", "slices=4"}, banded: "all"},
		{name: "nodeblock.mp4", lavfi: src("1280x720"), opts: []string{"-x264-params", "no-deblock=1"}, banded: "all"},
		{name: "fullrange.mp4", lavfi: src("1280x720"), opts: []string{"-pix_fmt", "yuvj420p"}, banded: "all"},
		{name: "mbaff.mp4", lavfi: src("1920x1080"), opts: []string{"-flags", "+ildct+ilme", "-x264-params", "interlaced=1"}, banded: "any"},
		{name: "bframes.mp4", lavfi: src("1280x720"), opts: []string{"-bf", "2"}, banded: "any"},
		{name: "raw.264", lavfi: src("1280x720"), opts: []string{"-f", "h264"}, banded: "all"},
		{name: "corrupt.264", lavfi: src("1280x720"), opts: []string{"-f", "h264"}, corrupt: true, banded: "some"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const frames = 12
			clip := encodeClip(t, tc.name, tc.lavfi, frames, tc.opts...)
			if tc.corrupt {
				data, err := os.ReadFile(clip)
				if err != nil {
					t.Fatal(err)
				}
				// Flip bytes past the first key frame's header, the
				// same ones for both decoders.
				r := rand.New(rand.NewPCG(1, 2))
				for i := 0; i < 3; i++ {
					data[2000+r.IntN(len(data)-2000)] ^= byte(1 + r.IntN(255))
				}
				if err := os.WriteFile(clip, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, none := scaleAll(t, clip, 0)
			got, banded := scaleAll(t, clip, DefaultLongSide)
			if none != 0 {
				t.Fatalf("%d pictures banded with band scaling off", none)
			}
			if len(got) != len(want) {
				t.Fatalf("%d pictures with band scaling, %d without", len(got), len(want))
			}
			if !tc.corrupt && len(want) != frames {
				t.Fatalf("%d pictures decoded, want %d", len(want), frames)
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("picture %d differs with band scaling", i)
				}
			}
			switch {
			case tc.banded == "all" && banded != uint64(len(want)):
				t.Fatalf("%d of %d pictures banded, want all", banded, len(want))
			case tc.banded == "some" && (banded == 0 || banded == uint64(len(want))):
				t.Fatalf("%d of %d pictures banded, want some but not all (the corrupt ones fall back)", banded, len(want))
			}
			t.Logf("%d of %d pictures banded", banded, len(want))
		})
	}
}

// TestBandScalingNeedsOneThread: with decoder threads, FFmpeg would call
// back from several threads at once, so no picture may be banded.
func TestBandScalingNeedsOneThread(t *testing.T) {
	clip := encodeClip(t, "720p.mp4", "testsrc2=size=1280x720:rate=25", 12)
	want, _ := scaleAll(t, clip, 0)
	for _, threads := range []int{2, 3} {
		got, banded := scaleAllThreads(t, clip, DefaultLongSide, threads)
		if banded != 0 {
			t.Fatalf("%d threads: %d pictures banded, want none", threads, banded)
		}
		if len(got) != len(want) {
			t.Fatalf("%d threads: %d pictures, want %d", threads, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%d threads: picture %d differs", threads, i)
			}
		}
	}
}
