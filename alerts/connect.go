package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// natsOptions turns the connection settings into nats.go options: every
// auth mode, TLS, and reconnecting forever with capped exponential backoff.
// The reconnect buffer is off so a publish while disconnected fails at once
// and the record stays in the spool (which keeps the order).
// The client's stale-connection detection: a ping every pingInterval,
// and the connection is given up after maxPingsOut unanswered ones.
const (
	pingInterval = 20 * time.Second
	maxPingsOut  = 3
)

func natsOptions(cfg Config, user string, password Secret, h connHandlers) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name("anyanomaly-" + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(-1),
		nats.IgnoreAuthErrorAbort(),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return backoff(cfg.ReconnectWait, cfg.ReconnectMaxWait, attempts)
		}),
		nats.Timeout(5 * time.Second),
		// A link that drops without a clean close (a router reboot, a
		// radio link) is noticed within about a minute rather than
		// nats.go's default of up to four: until then every put times
		// out on a connection that looks fine.
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(maxPingsOut),
	}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, password.Value()))
	}
	if cfg.Token != "" {
		opts = append(opts, nats.Token(cfg.Token.Value()))
	}
	if cfg.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("alerts: NKey seed file %s: %w", cfg.NKeySeedFile, err)
		}
		opts = append(opts, o)
	}
	// A file setting that cannot be read is a configuration mistake, not
	// an outage: said at once, like the NKey seed file above, rather than
	// retried for ever as "NATS unreachable".
	for _, f := range []struct{ what, path string }{
		{"creds file", cfg.CredsFile}, {"TLS CA file", cfg.TLSCAFile},
		{"TLS certificate file", cfg.TLSCertFile}, {"TLS key file", cfg.TLSKeyFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			return nil, fmt.Errorf("alerts: NATS %s: %w", f.what, err)
		}
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCAFile))
	}
	if cfg.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCertFile, cfg.TLSKeyFile))
	}
	if h.disconnected != nil {
		opts = append(opts, nats.DisconnectErrHandler(h.disconnected))
	}
	if h.reconnected != nil {
		opts = append(opts, nats.ReconnectHandler(h.reconnected))
	}
	if h.asyncErr != nil {
		opts = append(opts, nats.ErrorHandler(h.asyncErr))
	}
	return opts, nil
}

type connHandlers struct {
	disconnected func(*nats.Conn, error)
	reconnected  func(*nats.Conn)
	asyncErr     func(*nats.Conn, *nats.Subscription, error)
}

// backoff is min(max, first·2^attempts) with ±20 % jitter.
func backoff(first, maxWait time.Duration, attempts int) time.Duration {
	d := first
	for i := 0; i < attempts && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(j, time.Millisecond)
}

// isAuthError tells configuration mistakes, which retrying cannot fix,
// from network trouble.
func isAuthError(err error) bool {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "authorization violation") || strings.Contains(s, "authentication")
}

// dial connects to urls, retrying network failures with backoff until ctx
// ends; an authorization failure is returned at once as a clear error.
func dial(ctx context.Context, cfg Config, urls []string, opts []nats.Option, log *slog.Logger) (*nats.Conn, error) {
	joined := strings.Join(urls, ",")
	masked := make([]string, len(urls))
	for i, u := range urls {
		masked[i] = redact.URL(u)
	}
	where := strings.Join(masked, ",")
	for attempt := 0; ; attempt++ {
		nc, err := nats.Connect(joined, opts...)
		if err == nil {
			return nc, nil
		}
		if isAuthError(err) {
			return nil, fmt.Errorf("alerts: connect to NATS %s: authorization failed (check user/password, token, NKey or creds): %w", where, err)
		}
		wait := backoff(cfg.ReconnectWait, cfg.ReconnectMaxWait, attempt)
		log.Warn("alerts: NATS unreachable; events go to the spool until it is", "servers", where, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
