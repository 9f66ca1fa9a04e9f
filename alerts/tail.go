package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// TailOptions configure Tail.
type TailOptions struct {
	// Server is the NATS URL (default nats://127.0.0.1:4222).
	Server string
	// Prefix is the subject prefix (default "anyanomaly").
	Prefix string
	// Camera and Rule filter events; empty means all.
	Camera, Rule string
	// Credentials, as in Config.
	User                               string
	Password, Token                    Secret
	CredsFile, NKeySeedFile            string
	TLSCAFile, TLSCertFile, TLSKeyFile string
	// JSON prints each payload as it arrived instead of a summary line.
	JSON bool
}

// Tail prints events as they arrive on the live subjects, one line each,
// until ctx ends. It first prints a line saying what it listens to.
func Tail(ctx context.Context, o TailOptions, w io.Writer) error {
	if o.Server == "" {
		o.Server = "nats://127.0.0.1:4222"
	}
	if o.Prefix == "" {
		o.Prefix = DefaultSubjectPrefix
	}
	if err := ValidatePrefix(o.Prefix); err != nil {
		return err
	}
	if o.Camera != "" {
		if err := ValidateToken("camera", o.Camera); err != nil {
			return err
		}
	}
	if o.Rule != "" {
		if err := ValidateToken("rule", o.Rule); err != nil {
			return err
		}
	}
	cfg := Config{
		Node: "tail", Token: o.Token, NKeySeedFile: o.NKeySeedFile, CredsFile: o.CredsFile,
		TLSCAFile: o.TLSCAFile, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile,
	}.WithDefaults()
	opts, err := natsOptions(cfg, o.User, o.Password, connHandlers{})
	if err != nil {
		return err
	}
	opts = append(opts, nats.Name("anyanomaly-events-tail"))
	nc, err := nats.Connect(o.Server, opts...)
	if err != nil {
		return fmt.Errorf("events tail: connect to %s: %w", redact.URL(o.Server), err)
	}
	defer nc.Close()
	subject := Subjects{Prefix: o.Prefix}.Filter(o.Camera, o.Rule)
	msgs := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanSubscribe(subject, msgs)
	if err != nil {
		return fmt.Errorf("events tail: subscribe %s: %w", subject, err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // closing anyway
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("events tail: subscribe %s: %w", subject, err)
	}
	fmt.Fprintf(w, "# listening on %s at %s (Ctrl-C to stop)\n", subject, redact.URL(o.Server))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			if o.JSON {
				fmt.Fprintf(w, "%s\n", m.Data)
				continue
			}
			fmt.Fprintln(w, FormatEventLine(m.Subject, m.Data))
		}
	}
}

// FormatEventLine renders an event payload as one human-readable line:
// time, camera, rule, kind, score, peak and reason. Payloads that are not
// events are shown as such, never dropped silently.
func FormatEventLine(subject string, payload []byte) string {
	var ev Event
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Kind == "" {
		return fmt.Sprintf("?? %s: not an event payload (%d bytes)", subject, len(payload))
	}
	var b strings.Builder
	b.WriteString(ev.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "  %-12s %-12s %-7s score=%.2f peak=%.2f", clean(ev.Camera), clean(ev.Rule), clean(ev.Kind), ev.Score, ev.Peak)
	if ev.Kind == KindEnded && ev.EndReason != "" {
		fmt.Fprintf(&b, "  ended: %s", clean(ev.EndReason))
	}
	if ev.Reason != "" {
		b.WriteString("  " + strconv.Quote(ev.Reason))
	}
	return b.String()
}

// clean keeps terminal control characters from outside input off the
// operator's screen.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
