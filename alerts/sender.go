package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type flight struct {
	seq  uint64
	paf  jetstream.PubAckFuture // nil when already resolved
	done bool
}

// sender publishes the spool in order. While healthy it pipelines up to
// MaxInFlight asynchronous publishes and acknowledges the spool as acks
// arrive in order. On any failure it forgets what is in flight, goes back
// to the first unacknowledged record and sends that one synchronously
// before pipelining again: a message may thus be sent twice (JetStream
// drops the second by its Nats-Msg-Id) but never stored out of order
// behind a later one that was already accepted after a reconnect.
type sender struct {
	p        *Publisher
	js       jetstream.JetStream
	ojs      jetstream.JetStream
	nc       *nats.Conn
	objs     map[string]jetstream.ObjectStore
	objTries *snapshotTries

	inflight   []flight
	next       uint64
	recovering bool
	failures   int
}

// send runs the sender until ctx ends; with drain set it returns nil as
// soon as the spool is empty.
func (p *Publisher) send(ctx context.Context, js jetstream.JetStream, nc *nats.Conn, drain bool) error {
	ojs, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("alerts: jetstream: %w", err)
	}
	s := &sender{p: p, js: js, ojs: ojs, nc: nc, objs: map[string]jetstream.ObjectStore{}, objTries: newSnapshotTries(), recovering: true}
	s.next, _ = p.spool.Bounds()
	defer p.st.acksPending.Store(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if drain {
			if _, next := p.spool.Bounds(); p.durable.Load() < next {
				if _, err := p.syncOnce(); err != nil {
					return err
				}
			}
			if head, next := p.spool.Bounds(); head == next && len(s.inflight) == 0 {
				return nil
			}
		}
		if err := s.fill(ctx); err != nil {
			if werr := s.fail(ctx, err); werr != nil {
				return werr
			}
			continue
		}
		if err := s.retire(); err != nil {
			if werr := s.fail(ctx, err); werr != nil {
				return werr
			}
			continue
		}
		p.st.acksPending.Store(int64(len(s.inflight)))
		if len(s.inflight) < p.cfg.MaxInFlight && s.next < p.durable.Load() {
			continue // retire made room: fill before waiting
		}
		var wake <-chan struct{}
		if len(s.inflight) < p.cfg.MaxInFlight {
			wake = p.sendWake
		}
		if len(s.inflight) == 0 {
			if drain {
				continue // the check at the top ends the drain
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wake:
			}
			continue
		}
		front := s.inflight[0].paf
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case ack := <-front.Ok():
			s.acked(ack)
			s.inflight[0].done = true
		case err := <-front.Err():
			if werr := s.fail(ctx, fmt.Errorf("publish %s: %w", front.Msg().Subject, err)); werr != nil {
				return werr
			}
		}
	}
}

// fill sends durable records while there is room in flight.
func (s *sender) fill(ctx context.Context) error {
	p := s.p
	for len(s.inflight) < p.cfg.MaxInFlight && s.next < p.durable.Load() {
		seq := s.next
		if s.objTries.gaveUp[seq] {
			// Given up before a failure sent the sender back to the
			// spool head: not tried, counted or logged again.
			s.push(seq, nil)
			continue
		}
		data, err := p.spool.Read(seq)
		if errors.Is(err, errLostRecord) {
			p.st.lost.Add(1)
			p.log.Error("alerts: a spool record was lost to disk damage", "seq", seq)
			s.objTries.gaveUp[seq] = true
			s.push(seq, nil)
			continue
		}
		if err != nil {
			return err
		}
		rec, err := decodeRecord(data)
		if err != nil {
			p.st.lost.Add(1)
			p.log.Error("alerts: undecodable spool record skipped", "seq", seq, "err", err)
			s.objTries.gaveUp[seq] = true
			s.push(seq, nil)
			continue
		}
		switch rec.Kind {
		case recObject:
			if err := s.putObject(ctx, rec); err != nil {
				// No bucket, and setting it up failed: waiting
				// snapshotPatience would hold the events behind.
				missing := errors.Is(err, jetstream.ErrBucketNotFound) && p.noBucket.Load()
				if missing {
					s.objTries.done(seq)
					s.objTries.gaveUp[seq] = true
				}
				if !missing && !s.objTries.failed(seq, err, s.nc.IsConnected(), time.Now()) {
					return fmt.Errorf("snapshot %s: %w", rec.Key, err)
				}
				p.st.snapshotFailures.Add(1)
				p.log.Error("alerts: snapshot given up; the event will name an object that is missing", "object", rec.Key, "bucket", rec.Target, "err", err)
			} else {
				s.objTries.done(seq)
				p.st.snapshots.Add(1)
			}
			s.push(seq, nil)
		case recMessage:
			// Records spooled under an earlier subject prefix would get no
			// answer from the stream, now set up for this one, and block
			// every record behind them.
			levels := 2 // <prefix>.status.<camera>
			for _, h := range rec.Headers {
				if h[0] == HeaderKind {
					levels = 3 // <prefix>.events.<camera>.<rule>
				}
			}
			if subject := p.subj.Rebase(rec.Target, levels); subject != rec.Target {
				p.rl.log1s(slog.LevelWarn, "rebase", "alerts: a message spooled under another subject prefix is sent under the current one",
					"spooled", rec.Target, "subject", subject)
				rec.Target = subject
			}
			msg := &nats.Msg{Subject: rec.Target, Data: rec.Data, Header: nats.Header{}}
			msg.Header[nats.MsgIdHdr] = []string{rec.Key}
			for _, h := range rec.Headers {
				msg.Header[h[0]] = []string{h[1]}
			}
			if size := len(msg.Data) + headerSize(msg.Header); int64(size) > s.nc.MaxPayload() {
				// The server refuses it every time: resending would hold
				// every record behind it for ever.
				p.st.lost.Add(1)
				p.log.Error("alerts: message larger than the server's max_payload DROPPED",
					"subject", rec.Target, "msg_id", rec.Key, "bytes", size, "max_payload", s.nc.MaxPayload())
				s.objTries.gaveUp[seq] = true
				s.push(seq, nil)
				continue
			}
			if s.recovering {
				cctx, cancel := context.WithTimeout(ctx, p.cfg.AckTimeout)
				ack, err := s.js.PublishMsg(cctx, msg, noLibraryRetry)
				cancel()
				if err != nil {
					return fmt.Errorf("publish %s: %w", rec.Target, err)
				}
				s.acked(ack)
				s.recovering = false
				s.push(seq, nil)
				continue
			}
			paf, err := s.js.PublishMsgAsync(msg, noLibraryRetry)
			if err != nil {
				return fmt.Errorf("publish %s: %w", rec.Target, err)
			}
			s.push(seq, paf)
		}
	}
	return nil
}

// noLibraryRetry turns off nats.go's own resending on "no responders" (by
// default twice, 250 ms apart, for each publish on its own). The sender
// resends in spool order after recreating the stream; a library retry of a
// later record could land in the recreated stream before an earlier
// record's resend and reorder the events (seen in
// TestStreamDeletedIsRecreated: "ended" stored before "started").
var noLibraryRetry = jetstream.WithRetryAttempts(0)

func (s *sender) push(seq uint64, paf jetstream.PubAckFuture) {
	s.inflight = append(s.inflight, flight{seq: seq, paf: paf, done: paf == nil})
	s.next = seq + 1
}

func (s *sender) acked(ack *jetstream.PubAck) {
	s.failures = 0
	if ack != nil && ack.Duplicate {
		s.p.st.duplicates.Add(1)
		return
	}
	s.p.st.published.Add(1)
}

// retire acknowledges the spool up to the first record still in flight.
func (s *sender) retire() error {
	n := 0
	for n < len(s.inflight) {
		f := &s.inflight[n]
		if !f.done {
			select {
			case ack := <-f.paf.Ok():
				s.acked(ack)
				f.done = true
			case err := <-f.paf.Err():
				return fmt.Errorf("publish %s: %w", f.paf.Msg().Subject, err)
			default:
			}
			if !f.done {
				break
			}
		}
		n++
	}
	if n == 0 {
		return nil
	}
	last := s.inflight[n-1].seq
	s.inflight = s.inflight[n:]
	if len(s.inflight) == 0 {
		s.inflight = nil
	}
	s.objTries.acked(last)
	return s.p.spool.Ack(last)
}

func (s *sender) putObject(ctx context.Context, rec spoolRecord) error {
	cctx, cancel := context.WithTimeout(ctx, 2*s.p.cfg.AckTimeout)
	defer cancel()
	obs := s.objs[rec.Target]
	if obs == nil {
		var err error
		if obs, err = s.ojs.ObjectStore(cctx, rec.Target); err != nil {
			return err
		}
		s.objs[rec.Target] = obs
	}
	// Object store chunks (128 KiB by default) must fit the server's
	// max_payload, with room for the headers.
	chunk := uint32(128 << 10)
	if mp := s.nc.MaxPayload() - 1024; mp > 0 && mp < int64(chunk) {
		chunk = uint32(mp)
	}
	_, err := obs.Put(cctx, jetstream.ObjectMeta{Name: rec.Key, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunk}}, bytes.NewReader(rec.Data))
	return err
}

// headerSize is about what h adds to a message on the wire.
func headerSize(h nats.Header) int {
	n := len("NATS/1.0\r\n\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// fail resets to the first unacknowledged record and waits: for the
// connection when it is down, else a backoff.
func (s *sender) fail(ctx context.Context, err error) error {
	p := s.p
	p.st.publishFailures.Add(1)
	p.rl.log1s(slog.LevelWarn, "pubfail", "alerts: delivery failed; records stay in the spool and are resent in order", "err", err)
	s.inflight = nil
	s.next, _ = p.spool.Bounds()
	s.recovering = true
	p.st.acksPending.Store(0)
	s.failures++
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) {
		// The stream or bucket is gone (deleted, or a fresh server after
		// a reconnect): make them again before resending.
		if serr := p.setupOnce(ctx, s.js, p.streamConfig()); serr != nil {
			p.rl.log1s(slog.LevelWarn, "resetup", "alerts: recreating the stream failed", "err", serr)
		} else {
			s.objs = map[string]jetstream.ObjectStore{}
		}
	}
	if !s.nc.IsConnected() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.reconnect:
			return nil
		}
	}
	t := time.NewTimer(backoff(p.cfg.ReconnectWait, p.cfg.ReconnectMaxWait, s.failures-1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case <-p.reconnect:
		return nil
	}
}
