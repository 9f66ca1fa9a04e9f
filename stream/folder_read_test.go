package stream_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestFolderFrameProblemsNamed: a frames folder's problems name the file
// and say what is wrong: an empty frame (an interrupted copy) once read
// "does not decode as JPEG: <nil>"; a gap in the numbering is refused
// where frames are matched to labels by position.
func TestFolderFrameProblemsNamed(t *testing.T) {
	spec := streamtest.ClipSpec{Width: 64, Height: 48, FPS: 8, Seconds: 1, Seed: 3}
	read := func(dir string, opts stream.FileOptions) error {
		opts.SegmentFrames = 4
		_, err := stream.ReadFile(context.Background(), dir, opts, func(*segment.Segment) error { return nil })
		return err
	}
	frameFiles := func(t *testing.T, dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) < 4 {
			t.Fatalf("frames %s: %d files, %v", dir, len(entries), err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	t.Run("empty frame", func(t *testing.T) {
		dir := streamtest.GenerateFrames(t, spec)
		name := frameFiles(t, dir)[3]
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := read(dir, stream.FileOptions{}); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "empty or truncated") {
			t.Fatalf("err = %v, want one naming %s as empty or truncated", err, name)
		}
	})
	t.Run("gap", func(t *testing.T) {
		dir := streamtest.GenerateFrames(t, spec)
		name := frameFiles(t, dir)[2]
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if err := read(dir, stream.FileOptions{}); err != nil {
			t.Fatalf("a gap without Consecutive: %v", err)
		}
		if err := read(dir, stream.FileOptions{Consecutive: true}); err == nil || !strings.Contains(err.Error(), "is missing") {
			t.Fatalf("err = %v, want the missing frame named", err)
		}
	})
	t.Run("first frames missing", func(t *testing.T) {
		dir := streamtest.GenerateFrames(t, spec)
		names := frameFiles(t, dir)
		// Numbered from 1 is a dataset's choice, not a loss.
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			t.Fatal(err)
		}
		if err := read(dir, stream.FileOptions{Consecutive: true}); err != nil {
			t.Fatalf("frames numbered from 1: %v", err)
		}
		if err := os.Remove(filepath.Join(dir, names[1])); err != nil {
			t.Fatal(err)
		}
		if err := read(dir, stream.FileOptions{}); err != nil {
			t.Fatalf("a late first frame without Consecutive: %v", err)
		}
		if err := read(dir, stream.FileOptions{Consecutive: true}); err == nil || !strings.Contains(err.Error(), names[2]) || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("err = %v, want %s named as a late first frame", err, names[2])
		}
	})
}
