package alerts

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// spoolEvents decodes the event messages held in p's spool, in order.
func spoolEvents(t *testing.T, p *Publisher) []Event {
	t.Helper()
	var out []Event
	head, next := p.spool.Bounds()
	for q := head; q < next; q++ {
		b, err := p.spool.Read(q)
		if err != nil {
			t.Fatal(err)
		}
		r, err := decodeRecord(b)
		if err != nil || r.Kind != recMessage {
			continue
		}
		var ev Event
		if json.Unmarshal(r.Data, &ev) == nil && ev.ID != "" {
			out = append(out, ev)
		}
	}
	return out
}

// TestRetriedEndKeepsEventOrder: an event's ended message is refused by a
// full spool and waits. When the sender frees room (here: acks the spool),
// a new event on the same camera and rule is made before the sync loop's
// next tick. The waiting ended message must take the room first: once the
// new event's started message did, and the stream showed it before the
// old one ended ("Events reach the stream in the order they were made").
func TestRetriedEndKeepsEventOrder(t *testing.T) {
	_, _, h := offlinePub(t, 3)
	noImg := func(i int, sc float64) {
		s := seg(i, sc)
		s.Images.KeyFrame = nil
		h.p.Submit(s)
	}
	noImg(0, 0.9) // X started
	for h.p.CameraStatus("cam1", "online", "") == nil {
	}
	noImg(1, 0.1) // X ended: refused, waits in unsentEnds
	// The sender delivers the backlog (NATS back): room again.
	_, next := h.p.spool.Bounds()
	if err := h.p.spool.Ack(next - 1); err != nil {
		t.Fatal(err)
	}
	noImg(2, 0.9) // Y started, same camera and rule
	alertstest.Eventually(t, 5*time.Second, "retried end spooled", func() bool {
		h.p.mu.Lock()
		defer h.p.mu.Unlock()
		return len(h.p.unsentEnds) == 0
	})
	evs := spoolEvents(t, h.p)
	if len(evs) != 2 {
		t.Fatalf("spool events %v", eventKinds(evs))
	}
	if evs[0].Kind != KindEnded {
		t.Fatalf("spool order: %s #%d (event %s), then %s #%d (event %s): the new event starts before the old one on cam1/fall ends",
			evs[0].Kind, evs[0].Seq, evs[0].ID, evs[1].Kind, evs[1].Seq, evs[1].ID)
	}
}
