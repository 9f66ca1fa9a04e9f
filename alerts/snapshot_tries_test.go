package alerts

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestSnapshotTries: a snapshot is given up after three refusals from the
// server, or after failing otherwise for snapshotPatience while
// connected; an outage of any length costs nothing. A put that only ever
// timed out (a publish permission the client learns of asynchronously,
// a bucket without quorum) once blocked every event behind it forever.
func TestSnapshotTries(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	refused := jetstream.ErrBadRequest
	timeout := fmt.Errorf("put: %w", context.DeadlineExceeded)
	type try struct {
		err       error
		connected bool
		at        time.Duration
		giveUp    bool
	}
	tests := []struct {
		name  string
		tries []try
	}{
		{"three refusals", []try{{refused, true, 0, false}, {refused, true, time.Second, false}, {refused, true, 2 * time.Second, true}}},
		{"timeouts while connected, past the patience", []try{
			{timeout, true, 0, false}, {nats.ErrTimeout, true, time.Minute, false},
			{jetstream.ErrBucketNotFound, true, snapshotPatience, true},
		}},
		{"an outage costs nothing", []try{
			{timeout, true, 0, false}, {nats.ErrConnectionReconnecting, false, time.Minute, false},
			{refused, false, 10 * time.Minute, false}, {timeout, true, 11 * time.Minute, false},
			{timeout, true, 11*time.Minute + snapshotPatience - time.Second, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newSnapshotTries()
			for i, tr := range tc.tries {
				if got := st.failed(7, tr.err, tr.connected, t0.Add(tr.at)); got != tr.giveUp {
					t.Fatalf("try %d (%v, connected %v, +%v): give up %v, want %v", i, tr.err, tr.connected, tr.at, got, tr.giveUp)
				}
			}
		})
	}
	t.Run("a stored snapshot is forgotten", func(t *testing.T) {
		st := newSnapshotTries()
		st.failed(7, refused, true, t0)
		st.failed(7, timeout, true, t0)
		st.done(7)
		if len(st.refusals)+len(st.since) != 0 {
			t.Fatalf("state kept after done: %+v", st)
		}
	})
	for _, err := range []error{jetstream.ErrBadRequest, errors.New("nats: permissions violation")} {
		if !snapshotRefused(err) {
			t.Errorf("snapshotRefused(%v) = false", err)
		}
	}
}
