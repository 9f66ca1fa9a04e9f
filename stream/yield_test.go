package stream

import (
	"testing"
	"time"
)

func TestDecodeYielderThrottles(t *testing.T) {
	var y decodeYielder
	if !y.afterDecode(true) {
		t.Fatal("first call did not yield")
	}
	// Decoding a frame takes milliseconds; a burst of calls well inside
	// yieldEvery must not yield again (each Gosched wakes a thread).
	if y.afterDecode(true) {
		t.Fatal("yielded twice within yieldEvery")
	}
	y.last = y.last.Add(-yieldEvery)
	if !y.afterDecode(true) {
		t.Fatalf("did not yield %s after the last yield", yieldEvery)
	}
	// With nothing waiting the loop blocks next, so no yield, and the
	// busy stretch starts again from here.
	y.last = y.last.Add(-yieldEvery)
	if y.afterDecode(false) {
		t.Fatal("yielded with no work waiting")
	}
	if y.afterDecode(true) {
		t.Fatal("yielded right after the loop was idle")
	}
	if yieldEvery >= 10*time.Millisecond {
		t.Fatalf("yieldEvery %s must stay under sysmon's 10 ms forced-preemption limit", yieldEvery)
	}
}
