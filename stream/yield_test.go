package stream

import (
	"testing"
	"time"
)

func TestDecodeYielderThrottles(t *testing.T) {
	var y decodeYielder
	if !y.afterDecode() {
		t.Fatal("first call did not yield")
	}
	// Decoding a frame takes milliseconds; a burst of calls well inside
	// yieldEvery must not yield again (each Gosched wakes a thread).
	if y.afterDecode() {
		t.Fatal("yielded twice within yieldEvery")
	}
	y.last = y.last.Add(-yieldEvery)
	if !y.afterDecode() {
		t.Fatalf("did not yield %s after the last yield", yieldEvery)
	}
	if yieldEvery >= 10*time.Millisecond {
		t.Fatalf("yieldEvery %s must stay under sysmon's 10 ms forced-preemption limit", yieldEvery)
	}
}
