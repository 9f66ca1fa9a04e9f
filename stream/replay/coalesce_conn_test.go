package replay

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// interleaved returns an interleaved frame on channel ch carrying an RTP
// packet (payload type 96) with the given marker bit and payload size.
func interleaved(ch byte, marker bool, size int) []byte {
	b := make([]byte, 4+12+size)
	b[0], b[1] = '$', ch
	b[2], b[3] = byte((12+size)>>8), byte(12+size)
	b[4], b[5] = 0x80, 96
	if marker {
		b[5] |= 0x80
	}
	for i := 16; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// writeRecorder is a net.Conn that records each Write call.
type writeRecorder struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	err    error
}

func (w *writeRecorder) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, bytes.Clone(b))
	return len(b), nil
}

func (w *writeRecorder) Close() error { return nil }

func (w *writeRecorder) recorded() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.writes...)
}

func TestHoldable(t *testing.T) {
	rtcp := interleaved(1, false, 20)
	rtcp[5] = 200 // sender report
	twoFrames := append(interleaved(0, false, 10), interleaved(0, false, 10)...)
	badVersion := interleaved(0, false, 10)
	badVersion[4] = 0x40
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"rtp without marker", interleaved(0, false, 100), true},
		{"rtp with marker", interleaved(0, true, 100), false},
		{"rtcp", rtcp, false},
		{"rtsp response", []byte("RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n"), false},
		{"two frames in one write", twoFrames, false},
		{"header only", []byte{'$', 0, 0, 0}, false},
		{"not rtp version 2", badVersion, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := holdable(tc.b); got != tc.want {
				t.Fatalf("holdable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCoalescingConnWritesUnitsWhole(t *testing.T) {
	rec := &writeRecorder{}
	c := newCoalescingConn(rec, time.Hour) // only unit ends and responses flush
	defer c.Close()
	var unit []byte
	for i := 0; i < 3; i++ {
		p := interleaved(0, false, 1400)
		unit = append(unit, p...)
		if n, err := c.Write(p); n != len(p) || err != nil {
			t.Fatalf("write = %d, %v", n, err)
		}
	}
	if w := rec.recorded(); len(w) != 0 {
		t.Fatalf("%d writes reached the socket before the unit's end", len(w))
	}
	last := interleaved(0, true, 300)
	unit = append(unit, last...)
	if n, err := c.Write(last); n != len(last) || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	w := rec.recorded()
	if len(w) != 1 || !bytes.Equal(w[0], unit) {
		t.Fatalf("got %d writes, want the whole unit (%d bytes) in one", len(w), len(unit))
	}
	// A response is written at once, after what is held.
	held := interleaved(0, false, 50)
	res := []byte("RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n")
	_, _ = c.Write(held)
	_, _ = c.Write(res)
	w = rec.recorded()
	if len(w) != 2 || !bytes.Equal(w[1], append(bytes.Clone(held), res...)) {
		t.Fatalf("response not written at once after the held packet: %d writes", len(w))
	}
}

func TestCoalescingConnBoundsWhatItHolds(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		rec := &writeRecorder{}
		c := newCoalescingConn(rec, time.Hour) // only the size limit flushes
		defer c.Close()
		p := interleaved(0, false, 60000)
		for i := 0; i < 5; i++ {
			_, _ = c.Write(p)
		}
		w := rec.recorded()
		if len(w) != 1 {
			t.Fatalf("%d writes after holding 5×60 kB, want 1 (the limit is %d bytes)", len(w), coalesceLimit)
		}
		if len(w[0]) > coalesceLimit {
			t.Fatalf("wrote %d bytes at once, more than the limit %d", len(w[0]), coalesceLimit)
		}
	})
	t.Run("time", func(t *testing.T) {
		rec := &writeRecorder{}
		c := newCoalescingConn(rec, coalesceHold)
		defer c.Close()
		p := interleaved(0, false, 100)
		_, _ = c.Write(p) // a unit that never ends
		deadline := time.Now().Add(5 * time.Second)
		for len(rec.recorded()) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("a held packet was not written within 5 s (hold %v)", coalesceHold)
			}
			time.Sleep(time.Millisecond)
		}
		if w := rec.recorded(); !bytes.Equal(w[0], p) {
			t.Fatal("the timed write is not the held packet")
		}
	})
}

func TestCoalescingConnReportsWriteErrors(t *testing.T) {
	rec := &writeRecorder{err: errors.New("broken pipe")}
	c := newCoalescingConn(rec, coalesceHold)
	defer c.Close()
	if _, err := c.Write(interleaved(0, false, 10)); err != nil {
		t.Fatalf("held write failed: %v", err)
	}
	if _, err := c.Write(interleaved(0, true, 10)); err == nil {
		t.Fatal("the unit's write succeeded on a failing socket")
	}
	if _, err := c.Write([]byte("RTSP/1.0 200 OK\r\n\r\n")); err == nil {
		t.Fatal("a write after a failed one succeeded")
	}
}
