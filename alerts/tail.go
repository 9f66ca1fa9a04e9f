package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// TailOptions configure Tail.
type TailOptions struct {
	// Server is the NATS URL, or a comma-separated list of them as
	// nats.go takes (default nats://127.0.0.1:4222).
	Server string
	// Prefix is the subject prefix (default "anyanomaly").
	Prefix string
	// Stream is the JetStream stream the events are stored in (default
	// "ANYANOMALY").
	Stream string
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

// Tail prints events as they arrive, one line each, until ctx ends. It
// first prints a line saying what it listens to.
//
// It reads the JetStream stream through an ordered consumer that starts
// after the stream's last message (by sequence, so that a reconnect of a
// tail that has printed nothing yet does not skip what the stream stored
// meanwhile; at new messages when the account may not read the stream's
// info): each event is printed once, as the stream stored it
// (resends the stream dropped as duplicates are not printed again), and
// after a lost connection the consumer resumes where it stopped, so
// events published meanwhile still appear. Where the stream does not
// exist it falls back to the live subjects and says so.
func Tail(ctx context.Context, o TailOptions, w io.Writer) error {
	if o.Server == "" {
		o.Server = "nats://127.0.0.1:4222"
	}
	if o.Prefix == "" {
		o.Prefix = DefaultSubjectPrefix
	}
	if o.Stream == "" {
		o.Stream = DefaultStream
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
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return errors.New("events tail: --tls-cert and --tls-key go together")
	}
	where, secrets := maskServers(o.Server)
	mask := func(err error) string { return redact.Text(err.Error(), secrets) }
	cfg := Config{
		Node: "tail", Token: o.Token, NKeySeedFile: o.NKeySeedFile, CredsFile: o.CredsFile,
		TLSCAFile: o.TLSCAFile, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile,
	}.WithDefaults()
	// Connection changes are reported in the output, by the loop below
	// (nats.go calls these on its own goroutine).
	notes := make(chan string, 16)
	note := func(s string) {
		select {
		case notes <- s:
		default:
		}
	}
	opts, err := natsOptions(cfg, o.User, o.Password, connHandlers{
		disconnected: func(_ *nats.Conn, err error) {
			if err != nil {
				note("# disconnected: " + mask(err) + "; reconnecting")
			}
		},
		reconnected: func(nc *nats.Conn) { note("# reconnected to " + redact.URL(nc.ConnectedUrl())) },
	})
	if err != nil {
		return err
	}
	opts = append(opts, nats.Name("anyanomaly-events-tail"))
	nc, err := nats.Connect(o.Server, opts...)
	if err != nil {
		return fmt.Errorf("events tail: connect to %s: %s", where, mask(err))
	}
	defer nc.Close()
	subject := Subjects{Prefix: o.Prefix}.Filter(o.Camera, o.Rule)
	msgs := make(chan tailMsg, 1024)
	stop, how, err := tailStream(ctx, nc, o.Stream, subject, msgs)
	if err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C while waiting for the stream
		}
		return fmt.Errorf("events tail: %w", err)
	}
	defer stop()
	fmt.Fprintf(w, "# listening on %s at %s, %s (Ctrl-C to stop)\n", subject, where, how)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-notes:
			fmt.Fprintln(w, n)
		case m := <-msgs:
			if o.JSON {
				fmt.Fprintf(w, "%s\n", m.data)
				continue
			}
			fmt.Fprintln(w, FormatEventLine(m.subject, m.data))
		}
	}
}

// streamWait is how long tail waits for the stream to appear.
const streamWait = 5 * time.Second

type tailMsg struct {
	subject string
	data    []byte
}

// tailStream starts delivering subject's messages into msgs: from the
// stream through an ordered consumer, or, where there is no such stream,
// from the live subjects. how says which, for the first line.
func tailStream(ctx context.Context, nc *nats.Conn, stream, subject string, msgs chan<- tailMsg) (stop func(), how string, err error) {
	deliver := func(subj string, data []byte) {
		select {
		case msgs <- tailMsg{subject: subj, data: data}:
		case <-ctx.Done():
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, "", err
	}
	// A daemon that has just started creates its stream a moment after
	// its server listens: give it that moment before falling back.
	var cons jetstream.Consumer
	deadline := time.Now().Add(streamWait)
	for {
		// Start after the stream's last message by sequence, not with
		// DeliverNew: the ordered consumer remakes itself after every
		// reconnect with its first policy while it has delivered nothing,
		// and DeliverNew then would skip what the stream stored meanwhile.
		ocfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
		// A viewer may be allowed to read the stream but not its info:
		// it still reads the stream, from new messages.
		ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
		st, ierr := js.Stream(ictx, stream)
		icancel()
		err = ierr
		if ierr == nil {
			ocfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			ocfg.OptStartSeq = st.CachedInfo().State.LastSeq + 1
		}
		if !errors.Is(ierr, jetstream.ErrStreamNotFound) && ctx.Err() == nil {
			cons, err = js.OrderedConsumer(ctx, stream, ocfg)
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(streamWait / 20):
		}
	}
	if err == nil {
		cc, err := cons.Consume(func(m jetstream.Msg) { deliver(m.Subject(), m.Data()) })
		if err != nil {
			return nil, "", fmt.Errorf("consume stream %s: %w", stream, err)
		}
		return cc.Stop, "stream " + stream, nil
	}
	// No stream, no JetStream (a server without it answers the API with
	// "no responders"), or no right to create a consumer (a viewer account
	// that may only subscribe: the request times out): the live subjects
	// still work. Only the caller's own cancellation ends here.
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	why := "stream " + stream + " not readable: " + err.Error()
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		why = "no stream " + stream
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrJetStreamNotEnabled),
		errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		why = "no JetStream on this server"
	}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) { deliver(m.Subject, m.Data) })
	if err != nil {
		return nil, "", fmt.Errorf("subscribe %s: %w", subject, err)
	}
	if err := nc.Flush(); err != nil {
		sub.Unsubscribe() //nolint:errcheck // failing anyway
		return nil, "", fmt.Errorf("subscribe %s: %w", subject, err)
	}
	return func() { sub.Unsubscribe() }, //nolint:errcheck // closing anyway
		"live subjects only (" + why + "; resends may repeat, and an outage loses what it missed)", nil
}

// maskServers masks a NATS server list as nats.go reads it: URLs
// separated by commas, each with or without a scheme. It also returns the
// credentials found, for masking error texts verbatim.
func maskServers(list string) (string, []string) {
	parts := strings.Split(list, ",")
	var secrets []string
	for i, p := range parts {
		p = strings.TrimSpace(p)
		u := p
		if !strings.Contains(u, "://") {
			u = "nats://" + u
		}
		secrets = append(secrets, redact.Credentials(u)...)
		m := redact.URL(u)
		if u != p {
			m = strings.TrimPrefix(m, "nats://")
		}
		parts[i] = m
	}
	return strings.Join(parts, ","), secrets
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
