package replay

import (
	"net"
	"sync"
	"time"
)

// coalesceLimit caps what a coalescing conn holds before it writes anyway.
const coalesceLimit = 256 << 10

// coalesceHold is the longest an interleaved RTP packet waits for the rest
// of its access unit; the replay marks the end of every unit, so this only
// bounds the harm of a unit that never ends.
const coalesceHold = 5 * time.Millisecond

// coalesceListener hands out coalescingConns.
type coalesceListener struct {
	net.Listener
}

// Accept wraps each accepted connection in a coalescingConn.
func (l coalesceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newCoalescingConn(c, coalesceHold), nil
}

// coalescingConn writes the interleaved RTP packets of one access unit to
// the socket together. gortsplib writes every packet (at most 1.4 kB) on
// its own, about ten for a 720p frame of the benchmark clips and hundreds
// for a key frame: a reader then wakes several times per frame to find part
// of it, and each wake-up costs it a system call and a trip through its
// scheduler. Packets are held until one carries the RTP marker bit (the end
// of an access unit); anything else (RTSP responses, RTCP) is written at
// once, after whatever is held. Plain RTSP only: under rtsps the writes are
// TLS records.
type coalescingConn struct {
	net.Conn

	hold  time.Duration // the longest a packet is held
	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
	err   error // the first failed write; later ones return it
}

func newCoalescingConn(c net.Conn, hold time.Duration) *coalescingConn {
	cc := &coalescingConn{Conn: c, hold: hold}
	cc.timer = time.AfterFunc(time.Hour, cc.flushHeld)
	cc.timer.Stop()
	return cc
}

// Write holds b if it is one interleaved RTP packet that does not end an
// access unit, and otherwise writes everything held with it in one call.
func (c *coalescingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.buf) > 0 && len(c.buf)+len(b) > coalesceLimit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	if holdable(b) && len(b) <= coalesceLimit {
		if len(c.buf) == 0 {
			c.timer.Reset(c.hold)
		}
		c.buf = append(c.buf, b...)
		return len(b), nil
	}
	if len(c.buf) == 0 {
		n, err := c.Conn.Write(b)
		c.err = err
		return n, err
	}
	c.buf = append(c.buf, b...)
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return len(b), nil
}

// flushHeld writes what a unit without an end left held.
func (c *coalescingConn) flushHeld() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && len(c.buf) > 0 {
		_ = c.flushLocked()
	}
}

func (c *coalescingConn) flushLocked() error {
	c.timer.Stop()
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	c.err = err
	return err
}

// Close stops the hold timer; what is still held is dropped with the
// connection.
func (c *coalescingConn) Close() error {
	c.timer.Stop()
	return c.Conn.Close()
}

// holdable reports whether b is exactly one interleaved frame ('$',
// channel, 16-bit length) carrying an RTP packet without the marker bit.
// RTCP is never held: its packet types (200-204) sit where RTP has the
// marker bit, so that bit reads as set.
func holdable(b []byte) bool {
	if len(b) < 4+12 || b[0] != '$' || int(b[2])<<8|int(b[3]) != len(b)-4 || b[4]>>6 != 2 {
		return false
	}
	return b[5]&0x80 == 0
}
