package daemon

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStopStagesKeepsThePublishersTime: with the camera stage and then
// the detector both ignoring cancellation, the publisher (the last stage,
// which ends open events) still gets the last quarter of the budget. The
// detector's wait once ran to the final deadline and left it nothing.
func TestStopStagesKeepsThePublishersTime(t *testing.T) {
	mk := func(name string, work time.Duration) *stage {
		ctx, cancel := context.WithCancel(context.Background())
		s := &stage{name: name, ctx: ctx, cancel: cancel, done: make(chan struct{})}
		go func() {
			<-ctx.Done()
			if work < 0 {
				return // stuck
			}
			time.Sleep(work) // the stage's own shutdown work, e.g. a flush
			close(s.done)
		}()
		return s
	}
	pub, det, cam := mk("publisher", 20*time.Millisecond), mk("detector", -1), mk("cameras", -1)
	timeout := 400 * time.Millisecond
	upstream, rest, deadline, stop := shutdownDeadlines(timeout)
	defer stop()
	err, stuck := (&Daemon{}).stopStages([]*stage{pub, det, cam}, upstream, rest, deadline, timeout)
	select {
	case <-pub.done:
	default:
		t.Fatalf("the publisher was given no time after a stuck camera and detector: %v", err)
	}
	if !stuck || err == nil || !strings.Contains(err.Error(), "cameras did not stop") || !strings.Contains(err.Error(), "detector did not stop") ||
		strings.Contains(err.Error(), "publisher") {
		t.Fatalf("stuck %v, err %v: want cameras and detector reported, not the publisher", stuck, err)
	}
}
