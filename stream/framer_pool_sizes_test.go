package stream

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// TestPoolBoundedWithManySizes: offline, a frame of another size is
// scaled to the first size and its own image handed to the pool, keyed by
// its size, where no later frame ever asks for it. A folder whose frames
// come in many sizes leaves one idle image per size in the pool, for the
// whole read: the pool is bounded per size, not in all.
func TestPoolBoundedWithManySizes(t *testing.T) {
	dir := t.TempDir()
	const frames = 120
	for i := range frames {
		m := image.NewGray(image.Rect(0, 0, 64, 16+i))
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, m, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const n = 4
	fr, err := newFramer("c", 0, 64, n, n, true)
	if err != nil {
		t.Fatal(err)
	}
	fr.keepSize = true
	defer fr.close()
	_, err = readFolder(context.Background(), dir, FileOptions{Start: time.Unix(0, 0)}, fr, func(s *segment.Segment) error {
		s.Release()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resized %d, pool holds %d images", fr.resized, fr.pool.size())
	if fr.pool.size() > 2*n {
		t.Fatalf("the pool holds %d idle images after %d frames of distinct sizes (segments of %d)", fr.pool.size(), frames, n)
	}
}
