package alerts

import (
	"testing"
	"time"
)

// TestRetriedEndWriteErrorCountedOnce: an ended message whose spool write
// fails (disk full, I/O error: not ErrSpoolFull) is retried every 200 ms;
// the retries must not count SpoolErrors again (nor log "record DROPPED"):
// it is one record.
func TestRetriedEndWriteErrorCountedOnce(t *testing.T) {
	_, _, h := offlinePub(t, 0)
	submitPlain(h.p, 0, 0.9) // started
	// The disk goes bad: every write of the active segment fails.
	h.p.spool.mu.Lock()
	h.p.spool.active().f.Close()
	h.p.spool.mu.Unlock()
	submitPlain(h.p, 1, 0.1) // ended: the write fails
	first := h.p.Stats().SpoolErrors
	if first != 1 {
		t.Fatalf("SpoolErrors %d after one failed write", first)
	}
	time.Sleep(time.Second) // a span to measure over, not synchronisation
	if got := h.p.Stats().SpoolErrors; got != first {
		t.Fatalf("one ended message that failed to write counted %d more SpoolErrors in a second of retries", got-first)
	}
}
