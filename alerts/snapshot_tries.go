package alerts

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// objectAttempts is how often the server may refuse a snapshot put before
// it is given up.
const objectAttempts = 3

// snapshotPatience is how long a snapshot put may keep failing otherwise
// (timeouts, a bucket that cannot be made), while connected, before it is
// given up. It is longer than the client's stale-connection detection
// (pingInterval × maxPingsOut), so that a half-open link is seen as a
// disconnection, which costs nothing, before it costs the snapshot.
const snapshotPatience = 2 * time.Minute

// snapshotTries decides when a snapshot that keeps failing is given up,
// so that a broken bucket cannot hold the events behind it forever, while
// an outage of any length costs no snapshot.
type snapshotTries struct {
	refusals map[uint64]int
	since    map[uint64]time.Time // first failure while connected
	// gaveUp are records given up (snapshots, and messages the server or
	// the disk can never deliver) but not yet behind the spool head: a
	// resend from the head after a later failure skips them rather than
	// try, count and log them again.
	gaveUp map[uint64]bool
}

func newSnapshotTries() *snapshotTries {
	return &snapshotTries{refusals: map[uint64]int{}, since: map[uint64]time.Time{}, gaveUp: map[uint64]bool{}}
}

// failed records a failed put of record seq and reports whether to give
// it up.
func (t *snapshotTries) failed(seq uint64, err error, connected bool, now time.Time) bool {
	if !connected {
		// An outage: whatever failed, it says nothing about the snapshot.
		delete(t.since, seq)
		return false
	}
	if snapshotRefused(err) {
		t.refusals[seq]++
		if t.refusals[seq] >= objectAttempts {
			t.done(seq)
			t.gaveUp[seq] = true
			return true
		}
		return false
	}
	first, ok := t.since[seq]
	if !ok {
		t.since[seq] = now
		return false
	}
	if now.Sub(first) >= snapshotPatience {
		t.done(seq)
		t.gaveUp[seq] = true
		return true
	}
	return false
}

// acked forgets the records given up up to seq (acknowledged).
func (t *snapshotTries) acked(seq uint64) {
	for q := range t.gaveUp {
		if q <= seq {
			delete(t.gaveUp, q)
		}
	}
}

// done forgets record seq (stored, or given up).
func (t *snapshotTries) done(seq uint64) {
	delete(t.refusals, seq)
	delete(t.since, seq)
}

// snapshotRefused reports whether a failed put was the server refusing
// it, rather than a timeout, a lost connection or a missing stream or
// bucket (which fail makes again).
func snapshotRefused(err error) bool {
	for _, transient := range []error{
		context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, nats.ErrConnectionClosed,
		nats.ErrDisconnected, nats.ErrConnectionReconnecting, jetstream.ErrNoStreamResponse,
		jetstream.ErrStreamNotFound, jetstream.ErrBucketNotFound,
	} {
		if errors.Is(err, transient) {
			return false
		}
	}
	return true
}
