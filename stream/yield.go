package stream

import (
	"runtime"
	"time"
)

// decodeYielder lets the scheduler see a decoding goroutine every few
// milliseconds.
//
// A decode loop spends nearly all its time in cgo calls and, between them,
// takes work from a ready channel or a demuxer without ever passing
// through the scheduler. The runtime's sysmon thread takes that for a
// goroutine hogging its P: after 10 ms on the same scheduling tick it
// retakes the P in the middle of a cgo call, the decoder has to wake
// sysmon on its way back, and sysmon restarts polling every 20 µs. A
// Gosched moves the tick on, but it also wakes an idle thread to look for
// work, so it is done once per yieldEvery rather than per access unit:
// often enough that sysmon never sees the same tick twice 10 ms apart.
type decodeYielder struct{ last time.Time }

// yieldEvery stays under sysmon's 10 ms forced-preemption limit.
const yieldEvery = 8 * time.Millisecond

// afterDecode yields if yieldEvery has passed since the last yield, and
// says whether it did. more reports whether work is already waiting: when
// it is not, the loop is about to block, which passes through the
// scheduler anyway, so a paced camera (one unit every 40 ms) never pays
// for a Gosched.
func (y *decodeYielder) afterDecode(more bool) bool {
	now := time.Now()
	if !more {
		y.last = now
		return false
	}
	if now.Sub(y.last) < yieldEvery {
		return false
	}
	y.last = now
	runtime.Gosched()
	return true
}
