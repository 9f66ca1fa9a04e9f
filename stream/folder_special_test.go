package stream_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestSpecialFileInFramesFolder: a FIFO (or a link to a device)
// among a folder's frames blocked os.ReadFile past any cancellation, as a
// FIFO given as the path once did; a link to /dev/zero would read until
// memory runs out.
func TestSpecialFileInFramesFolder(t *testing.T) {
	spec := streamtest.ClipSpec{Width: 64, Height: 48, FPS: 25, Seconds: 1, Seed: 1}
	dir := streamtest.GenerateFrames(t, spec)
	ents, _ := os.ReadDir(dir)
	victim := filepath.Join(dir, ents[3].Name())
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(victim, 0o600); err != nil {
		t.Skip("cannot make a FIFO here: ", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := stream.ReadFile(ctx, dir, stream.FileOptions{SegmentFrames: 4}, func(s *segment.Segment) error { return nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), ents[3].Name()) {
			t.Fatalf("err = %v, want the FIFO named", err)
		}
	case <-time.After(5 * time.Second):
		if f, err := os.OpenFile(victim, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatalf("ReadFile on a frames folder blocked on the FIFO %s past its context's end", ents[3].Name())
	}
}
