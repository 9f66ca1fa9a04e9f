package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// Run opens the spool, starts the embedded server when no URL is
// configured, connects (retrying forever; an authorization failure is
// returned), sets up the stream and the snapshot bucket and delivers
// records until ctx ends. Then it ends open events with reason "shutdown",
// flushes for at most ShutdownTimeout, and closes everything. It returns
// nil after a clean shutdown.
func (p *Publisher) Run(ctx context.Context) error {
	if p.ran.Swap(true) {
		// Its spool, journal and lifecycles end with the first run.
		return errors.New("alerts: Run called twice; a publisher runs once")
	}
	p.started = p.now()
	sp, err := OpenSpool(p.cfg.SpoolDir, p.cfg.SpoolMaxBytes, p.cfg.SpoolMaxRecords, p.log)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	_, onDisk := sp.Bounds()
	p.durable.Store(onDisk)
	p.mu.Lock()
	p.spool = sp
	left := p.startJournalLocked() // before the records it covers are spooled
	pre := p.pre
	p.pre = nil
	for _, b := range pre {
		id, ended := endedEventID(b)
		if _, err := sp.Append(b); err != nil {
			if ended {
				// Its event started: the alarm must not stay on.
				if r, err := decodeRecord(b); err == nil {
					p.unsentEnds = append(p.unsentEnds, unsentEnd{id: id, rec: r})
					continue
				}
			}
			p.st.spoolFull.Add(1)
			p.log.Error("alerts: record from before start DROPPED", "err", err)
			continue
		}
		if ended {
			p.open.ended(id)
		}
	}
	p.endLeftOpenLocked(left, false)
	p.mu.Unlock()
	signal(p.wake)
	if n, bytes := sp.Depth(); n > 0 {
		p.log.Info("alerts: spool holds undelivered records; replaying them in order", "records", n, "bytes", bytes)
		p.warnOldSpool(sp)
	}

	var emb *EmbeddedServer
	urls := p.cfg.URLs
	user, password := p.cfg.User, p.cfg.Password
	if len(urls) == 0 {
		emb = NewEmbeddedServer(p.cfg.Embedded, p.cfg.Node, p.log)
		if err := emb.Start(); err != nil {
			p.mu.Lock()
			p.open.close()
			p.mu.Unlock()
			p.closeSpool()
			return err
		}
		urls = []string{emb.ClientURL()}
		user, password = p.cfg.Embedded.User, p.cfg.Embedded.Password
		if a := emb.MQTTAddr(); a != "" {
			p.mqttAddr.Store(&a)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.syncLoop(gctx) })
	conns := make(chan *nats.Conn, 1)
	g.Go(func() error { return p.deliver(gctx, urls, user, password, conns) })
	g.Go(func() error { return p.tickLoop(gctx) })
	runErr := g.Wait()
	if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
		runErr = nil
	}
	if p.killed.Load() {
		// As if the process died: nothing ended, flushed or checkpointed.
		p.connected.Store(false)
		select {
		case nc := <-conns:
			nc.Close()
		default:
		}
		p.mu.Lock()
		sp.abandon()
		p.open.abandon()
		p.stopped = true
		p.mu.Unlock()
		if emb != nil {
			emb.Shutdown()
		}
		return runErr
	}

	// Shutdown: end what is open, then give the sender a bounded time to
	// get the spool out.
	p.mu.Lock()
	for camID, cam := range p.cameras {
		for rid, rs := range cam.rules {
			p.forceEndLocked(camID, cam, rid, rs, "shutdown")
		}
	}
	p.mu.Unlock()
	var nc *nats.Conn
	select {
	case nc = <-conns:
	default:
	}
	if nc != nil && runErr == nil {
		fctx, cancel := context.WithTimeout(context.Background(), time.Duration(p.flushFor.Load()))
		if err := p.flush(fctx, nc); err != nil {
			n, _ := sp.Depth()
			p.log.Warn("alerts: shutdown flush incomplete; the rest stays in the spool for the next start", "records", n, "err", err)
		}
		cancel()
	}
	if nc != nil {
		nc.Close()
	}
	p.connected.Store(false)
	if _, err := p.syncOnce(); err != nil { // the shutdown's ends, also without a connection
		p.log.Error("alerts: spool fsync at shutdown failed", "err", err)
	}
	p.mu.Lock()
	p.open.close()
	p.mu.Unlock()
	p.closeSpool()
	if emb != nil {
		emb.Shutdown()
	}
	return runErr
}

// warnOldSpool says so when the oldest spooled record is older than the
// duplicate window: if it was stored just before the outage, JetStream no
// longer remembers its id and will store it a second time.
func (p *Publisher) warnOldSpool(sp *Spool) {
	head, _ := sp.Bounds()
	b, err := sp.Read(head)
	if err != nil {
		return
	}
	r, err := decodeRecord(b)
	if err != nil {
		return
	}
	if age := p.now().Sub(r.Created); age > p.cfg.DuplicateWindow {
		p.log.Warn("alerts: the oldest spooled record is older than the stream's duplicate window; a message in flight when delivery stopped may be stored twice",
			"age", age.Round(time.Second), "duplicate_window", p.cfg.DuplicateWindow)
	}
}

func (p *Publisher) closeSpool() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spool != nil {
		if err := p.spool.Close(); err != nil {
			p.log.Error("alerts: close spool", "err", err)
		}
	}
	p.stopped = true
}

// flush syncs the spool and sends until it is empty or ctx ends.
func (p *Publisher) flush(ctx context.Context, nc *nats.Conn) error {
	if _, err := p.syncOnce(); err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("alerts: jetstream: %w", err)
	}
	return p.send(ctx, js, nc, true)
}

// syncLoop is the group commit: whenever records were appended it fsyncs
// them and lets the sender go; it also checkpoints the spool head.
func (p *Publisher) syncLoop(ctx context.Context) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.wake:
			if _, err := p.syncOnce(); err != nil {
				p.rl.log1s(slog.LevelError, "fsync", "alerts: spool fsync failed", "err", err)
			}
		case <-t.C:
			p.mu.Lock()
			if len(p.leftOpen) > 0 {
				p.endLeftOpenLocked(p.leftOpen, true)
			}
			p.retryEndsLocked()
			p.mu.Unlock()
			// A failed fsync is retried here too: no new record may come
			// to wake the loop, and the sender waits for durable ones.
			if _, err := p.syncOnce(); err != nil {
				p.rl.log1s(slog.LevelError, "fsync", "alerts: spool fsync failed", "err", err)
			}
			if err := p.spool.Checkpoint(); err != nil {
				p.rl.log1s(slog.LevelError, "checkpoint", "alerts: spool checkpoint failed", "err", err)
			}
		}
	}
}

// syncOnce makes the open-events journal, then the spool durable (the
// journal first: see openEvents).
func (p *Publisher) syncOnce() (uint64, error) {
	// The fsync runs outside the lock, which emits take.
	p.mu.Lock()
	f, unsynced := p.open.f, p.open.unsynced
	p.open.unsynced = false
	ends := p.open.takeEnds()
	// Records appended after the journal's fsync may reach the disk with
	// the spool's, but are sent only once the next round synced their
	// journal lines.
	_, limit := p.spool.Bounds()
	p.mu.Unlock()
	if f != nil && unsynced {
		// Closed by a compaction meanwhile: that one was fsync'd.
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			p.rl.log1s(slog.LevelError, "journal", "alerts: open events journal fsync failed", "err", err)
			p.mu.Lock()
			p.open.unsynced = true
			p.mu.Unlock()
		}
	}
	d, err := p.spool.Sync()
	d = min(d, limit)
	if d > p.durable.Load() {
		p.durable.Store(d)
		signal(p.sendWake)
	}
	if err == nil && len(ends) > 0 {
		p.mu.Lock()
		p.open.confirmEnds(ends)
		p.mu.Unlock()
	}
	return d, err
}

// tickLoop sends heartbeats and ends events whose camera went quiet.
func (p *Publisher) tickLoop(ctx context.Context) error {
	hb := p.cfg.HeartbeatInterval
	var hbC <-chan time.Time
	if hb > 0 {
		t := time.NewTicker(hb)
		defer t.Stop()
		hbC = t.C
	}
	stale := time.NewTicker(max(p.cfg.StaleAfter/4, 10*time.Millisecond))
	defer stale.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-hbC:
			p.heartbeat()
		case <-stale.C:
			p.endStale()
		}
	}
}

func (p *Publisher) endStale() {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for camID, cam := range p.cameras {
		for rid, rs := range cam.rules {
			if rs.lc.phase != phaseIdle && now.Sub(rs.lastWall) >= p.cfg.StaleAfter {
				// A pending run is dropped too: a gap is not a high score.
				p.forceEndLocked(camID, cam, rid, rs, "no scores")
			}
		}
	}
}

func (p *Publisher) heartbeat() {
	nc := p.nc.Load()
	if nc == nil || !p.connected.Load() {
		return
	}
	now := p.now()
	n, _ := p.spool.Depth()
	hb := Heartbeat{
		SchemaVersion: SchemaVersion, Node: p.cfg.Node, Time: now.UTC(),
		UptimeSeconds: now.Sub(p.started).Seconds(), OpenEvents: p.openEvents(), SpoolRecords: n,
	}
	data, _ := json.Marshal(hb)
	// A heartbeat is only news while fresh: plain publish, not spooled.
	if err := nc.Publish(p.subj.Heartbeat(p.cfg.Node), data); err == nil {
		p.st.heartbeats.Add(1)
	}
}

func (p *Publisher) openEvents() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, cam := range p.cameras {
		for _, rs := range cam.rules {
			if rs.lc.open() {
				n++
			}
		}
	}
	return n
}

// deliver connects, prepares JetStream and runs the sender.
func (p *Publisher) deliver(ctx context.Context, urls []string, user string, password Secret, conns chan<- *nats.Conn) error {
	opts, err := natsOptions(p.cfg, user, password, connHandlers{
		disconnected: func(_ *nats.Conn, err error) {
			p.connected.Store(false)
			p.st.disconnects.Add(1)
			if err == nil || ctx.Err() != nil {
				// Our own close at shutdown (the client reports it with no
				// error): not an outage, so not a warning.
				p.log.Debug("alerts: NATS connection closed")
				return
			}
			p.rl.log1s(slog.LevelWarn, "disconnect", "alerts: NATS connection lost; spooling", "err", err)
		},
		reconnected: func(nc *nats.Conn) {
			p.st.reconnects.Add(1)
			p.connected.Store(true)
			u := redact.URL(nc.ConnectedUrl())
			p.serverURL.Store(&u)
			p.log.Info("alerts: NATS reconnected", "url", u)
			signal(p.reconnect)
		},
		asyncErr: func(_ *nats.Conn, _ *nats.Subscription, err error) {
			p.rl.log1s(slog.LevelWarn, "asyncerr", "alerts: NATS error", "err", err)
		},
	})
	if err != nil {
		return err
	}
	nc, err := dial(ctx, p.cfg, urls, opts, p.log)
	if err != nil {
		return err
	}
	conns <- nc
	p.nc.Store(nc)
	u := redact.URL(nc.ConnectedUrl())
	p.serverURL.Store(&u)
	p.connected.Store(nc.IsConnected())
	p.log.Info("alerts: NATS connected", "url", u)
	// The client's own cap is looser than ours: after a failure the sender
	// forgets its window at once while the client still counts those
	// publishes until they time out, and must not stall the resend.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4*p.cfg.MaxInFlight), jetstream.WithPublishAsyncTimeout(p.cfg.AckTimeout))
	if err != nil {
		return fmt.Errorf("alerts: jetstream: %w", err)
	}
	if err := p.setup(ctx, js); err != nil {
		return err
	}
	return p.send(ctx, js, nc, false)
}

// setup creates or updates the stream and the snapshot bucket, retrying
// while JetStream is not available yet.
func (p *Publisher) setup(ctx context.Context, js jetstream.JetStream) error {
	scfg := p.streamConfig()
	for attempt := 0; ; attempt++ {
		err := p.setupOnce(ctx, js, scfg)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := backoff(p.cfg.ReconnectWait, p.cfg.ReconnectMaxWait, attempt)
		p.log.Warn("alerts: JetStream setup failed; retrying", "stream", p.cfg.Stream, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// streamConfig is the stream the publisher needs.
func (p *Publisher) streamConfig() jetstream.StreamConfig {
	maxBytes := p.cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        p.cfg.Stream,
		Description: "AnyAnomaly events, camera status and heartbeats",
		Subjects:    p.subj.StreamSubjects(),
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		MaxAge:      max(p.cfg.MaxAge, 0), // negative: unlimited (0 to JetStream)
		MaxBytes:    maxBytes,
		Duplicates:  p.cfg.DuplicateWindow,
		MaxMsgs:     -1,
	}
}

func (p *Publisher) setupOnce(ctx context.Context, js jetstream.JetStream, scfg jetstream.StreamConfig) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Reading the existing stream needs STREAM.INFO, which a publisher
	// that may create and update the stream need not have: without it
	// the update goes ahead with the configuration's own replicas, as
	// before, rather than hold every event behind the setup for ever.
	ictx, icancel := context.WithTimeout(cctx, 3*time.Second)
	old, err := keepPlacement(ictx, js, &scfg)
	icancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.rl.log1s(slog.LevelWarn, "streaminfo", "alerts: cannot read the existing stream; its replicas and placement are not kept", "stream", scfg.Name, "err", err)
	}
	if _, err := js.CreateOrUpdateStream(cctx, scfg); err != nil {
		return fmt.Errorf("stream %s: %w", scfg.Name, err)
	}
	if old != nil {
		if changed := streamChanges(*old, scfg); len(changed) > 0 {
			// The configuration owns these settings; someone who set them
			// on the server by hand should hear that they were undone.
			p.log.Warn("alerts: existing stream updated to the configuration's settings", "stream", scfg.Name, "changed", strings.Join(changed, "; "))
		}
	}
	if p.cfg.DisableSnapshots {
		return nil
	}
	ocfg := jetstream.ObjectStoreConfig{
		Bucket:      p.cfg.SnapshotBucket,
		Description: "AnyAnomaly event snapshots (JPEG)",
		TTL:         max(p.cfg.SnapshotTTL, 0),
		Storage:     jetstream.FileStorage,
	}
	// The bucket is a stream too: keep what the operator chose there.
	bucketStream := jetstream.StreamConfig{Name: "OBJ_" + p.cfg.SnapshotBucket}
	_, err = keepPlacement(cctx, js, &bucketStream)
	if err == nil {
		ocfg.Replicas, ocfg.Placement = bucketStream.Replicas, bucketStream.Placement
		_, err = js.CreateOrUpdateObjectStore(cctx, ocfg)
	}
	p.noBucket.Store(err != nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The events do not need the bucket: a bucket that cannot be made
		// or changed costs the snapshots (given up by snapshotTries, or
		// stored in the bucket as it is), never the events behind them.
		p.rl.log1s(slog.LevelError, "bucket", "alerts: snapshot bucket cannot be set up; events are sent without waiting for it",
			"bucket", p.cfg.SnapshotBucket, "err", err)
	}
	return nil
}

// keepPlacement copies the replicas and placement of an existing stream
// named cfg.Name into cfg, and returns the existing configuration (nil
// when there is no such stream). The daemon has no setting for them, and
// an update with its own (one replica) would scale an operator's
// clustered R3 stream down to R1 at every start.
func keepPlacement(ctx context.Context, js jetstream.JetStream, cfg *jetstream.StreamConfig) (*jetstream.StreamConfig, error) {
	st, err := js.Stream(ctx, cfg.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	old := st.CachedInfo().Config
	cfg.Replicas, cfg.Placement = old.Replicas, old.Placement
	return &old, nil
}

// streamChanges lists the settings the publisher owns that differ between
// an existing stream's configuration and its own.
func streamChanges(old, cur jetstream.StreamConfig) []string {
	var out []string
	diff := func(name string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			out = append(out, fmt.Sprintf("%s %v -> %v", name, a, b))
		}
	}
	diff("subjects", old.Subjects, cur.Subjects)
	diff("retention", old.Retention, cur.Retention)
	diff("discard", old.Discard, cur.Discard)
	diff("storage", old.Storage, cur.Storage)
	diff("max_age", old.MaxAge, cur.MaxAge)
	// The server stores "no limit" as -1, whatever asked for it.
	diff("max_bytes", unlimited(old.MaxBytes), unlimited(cur.MaxBytes))
	diff("max_msgs", unlimited(old.MaxMsgs), unlimited(cur.MaxMsgs))
	diff("max_msg_size", unlimited(int64(old.MaxMsgSize)), unlimited(int64(cur.MaxMsgSize)))
	diff("duplicate_window", old.Duplicates, cur.Duplicates)
	return out
}

// unlimited maps every "no limit" (0 or negative) to -1.
func unlimited(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

// endedEventID reports whether an encoded spool record is an event's ended
// message, and which event's.
func endedEventID(b []byte) (string, bool) {
	r, err := decodeRecord(b)
	if err != nil || r.Kind != recMessage {
		return "", false
	}
	kind, id := "", ""
	for _, h := range r.Headers {
		switch h[0] {
		case HeaderKind:
			kind = h[1]
		case HeaderEventID:
			id = h[1]
		}
	}
	return id, kind == KindEnded && id != ""
}
