package rtsp

import "time"

// unwrapper turns 32-bit RTP timestamps into a 64-bit timeline relative to
// the first packet. Consecutive timestamps are assumed less than 2^31
// ticks apart (6.6 hours at 90 kHz), so the signed 32-bit difference
// unfolds wrap-around and also allows steps backwards (B-frames).
type unwrapper struct {
	started bool
	prev    uint32
	overall int64
}

func (u *unwrapper) unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.prev = true, ts
		return 0
	}
	u.overall += int64(int32(ts - u.prev))
	u.prev = ts
	return u.overall
}

// ticksToDuration converts a tick count at rate Hz to a duration. The
// plain ticks·10⁹/rate overflows int64 past 9.2·10⁹ ticks, which a 90 kHz
// camera reaches after 28.5 hours on one connection.
func ticksToDuration(ticks, rate int64) time.Duration {
	return time.Duration(ticks/rate)*time.Second + time.Duration(ticks%rate)*time.Second/time.Duration(rate)
}
