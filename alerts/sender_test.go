package alerts

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestSnapshotRefused: only a server's refusal costs one of a snapshot's
// objectAttempts; timeouts and connection trouble are retried for as long
// as they last, as messages are.
func TestSnapshotRefused(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		connected bool
		want      bool
	}{
		{"refused by the server", jetstream.ErrBadRequest, true, true},
		{"permission denied", errors.New("nats: permissions violation for publish to \"$O.snap.C.x\""), true, true},
		{"connection down", jetstream.ErrBadRequest, false, false},
		{"put timed out", fmt.Errorf("put: %w", context.DeadlineExceeded), true, false},
		{"request timed out", nats.ErrTimeout, true, false},
		{"no responders", nats.ErrNoResponders, true, false},
		{"connection closed", nats.ErrConnectionClosed, true, false},
		{"reconnecting", nats.ErrConnectionReconnecting, true, false},
		{"bucket gone", fmt.Errorf("object store: %w", jetstream.ErrBucketNotFound), true, false},
		{"stream gone", jetstream.ErrStreamNotFound, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := snapshotRefused(tc.err, tc.connected); got != tc.want {
				t.Errorf("snapshotRefused(%v, connected %v) = %v, want %v", tc.err, tc.connected, got, tc.want)
			}
		})
	}
}
