package alerts

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// rateLog lets each kind of repeated warning through at most once a second,
// with the number suppressed since the last one.
type rateLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	last map[string]time.Time
	skip map[string]int
}

func newRateLog(log *slog.Logger) *rateLog {
	return &rateLog{log: log, last: map[string]time.Time{}, skip: map[string]int{}}
}

func (r *rateLog) log1s(level slog.Level, key, msg string, args ...any) {
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.last[key]) < time.Second {
		r.skip[key]++
		r.mu.Unlock()
		return
	}
	n := r.skip[key]
	r.last[key], r.skip[key] = now, 0
	r.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	r.log.Log(context.Background(), level, msg, args...)
}
