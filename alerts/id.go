package alerts

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O, U, so ids read
// unambiguously and sort in byte order the same as in time order.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDLen is the length of an event id.
const IDLen = 26

// idGen makes time-sortable unique ids: 48 bits of Unix milliseconds then
// 80 random bits, 26 characters of Crockford base32 (the ULID layout).
// Within one millisecond the random part is incremented rather than
// redrawn, so ids from one generator are strictly increasing.
type idGen struct {
	mu     sync.Mutex
	lastMS uint64
	hi     uint16 // top 16 of the 80 random bits
	lo     uint64 // low 64 random bits
}

func (g *idGen) next(t time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(t.UnixMilli())
	if ms <= g.lastMS {
		// Same millisecond, or the clock went back: keep the last time and
		// count up so ids stay unique and increasing.
		ms = g.lastMS
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		if _, err := rand.Read(b[:]); err != nil {
			// crypto/rand does not fail on supported platforms; fall back to
			// the clock so ids stay unique anyway.
			binary.BigEndian.PutUint64(b[2:], uint64(time.Now().UnixNano()))
		}
		g.hi = binary.BigEndian.Uint16(b[:2])
		g.lo = binary.BigEndian.Uint64(b[2:])
		// Leave headroom so counting up within a millisecond never wraps.
		g.hi &= 0x7fff
	}
	g.lastMS = ms
	return encodeID(ms, g.hi, g.lo)
}

func encodeID(ms uint64, hi uint16, lo uint64) string {
	// 128 bits: 48 time + 16 hi + 64 lo; 26 chars × 5 bits = 130, so the top
	// two bits of the first character are zero.
	var out [IDLen]byte
	// Work on two 64-bit halves: a = ms<<16 | hi (64 bits), b = lo.
	a := ms<<16 | uint64(hi)
	b := lo
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = crockford[b&31]
		b = b>>5 | a<<59
		a >>= 5
	}
	return string(out[:])
}
