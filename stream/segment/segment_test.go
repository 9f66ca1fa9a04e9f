package segment

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestSegmentRelease(t *testing.T) {
	var nilSeg *Segment
	nilSeg.Release()
	(&Segment{}).Release() // producer that does not recycle

	var calls atomic.Int32
	s := &Segment{CameraID: "cam", Frames: make([]Frame, 2)}
	s.SetRelease(func() { calls.Add(1) })
	cp := *s // a copy shares the release: the images go back once
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(s.Release)
	}
	wg.Wait()
	cp.Release()
	if n := calls.Load(); n != 1 {
		t.Fatalf("release func ran %d times, want once", n)
	}

	s.SetRelease(nil)
	s.Release()
	if n := calls.Load(); n != 1 {
		t.Fatalf("release func ran %d times after SetRelease(nil), want 1", n)
	}
}
