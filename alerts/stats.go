package alerts

// Stats are the publisher's counters and gauges, as plain values for the
// daemon to export.
type Stats struct {
	// Connected is true while a NATS connection is up.
	Connected bool
	// ScoresSubmitted counts Submit calls; ScoresIgnored those for unknown
	// cameras or rules; ScoresOutOfOrder segments older than the latest.
	ScoresSubmitted, ScoresIgnored, ScoresOutOfOrder uint64
	// EventsStarted, EventsUpdated and EventsEnded count messages made, by
	// kind; StatusMessages camera status messages; OpenEvents is a gauge.
	EventsStarted, EventsUpdated, EventsEnded, StatusMessages uint64
	OpenEvents                                                int
	// Published counts messages JetStream stored; Duplicates those it
	// acknowledged as already stored (resends after a failure or restart).
	Published, Duplicates uint64
	// PublishFailures counts delivery failures (each followed by a resend
	// from the spool).
	PublishFailures uint64
	// AcksPending is the number of publishes awaiting an ack.
	AcksPending int
	// SnapshotsStored and SnapshotFailures count Object Store puts.
	SnapshotsStored, SnapshotFailures uint64
	// SpoolRecords and SpoolBytes are what waits on disk for delivery.
	SpoolRecords int
	SpoolBytes   int64
	// SpoolFullDrops counts records dropped because the spool was full
	// (loud: also logged); SpoolErrors records dropped by write errors or
	// after shutdown; SpoolLost records lost to on-disk damage.
	SpoolFullDrops, SpoolErrors, SpoolLost uint64
	// Reconnects and Disconnects count connection changes; Heartbeats the
	// heartbeats sent.
	Reconnects, Disconnects, Heartbeats uint64
}

// Stats returns a snapshot of the counters.
func (p *Publisher) Stats() Stats {
	st := &p.st
	s := Stats{
		Connected:        p.connected.Load(),
		ScoresSubmitted:  st.scores.Load(),
		ScoresIgnored:    st.ignored.Load(),
		ScoresOutOfOrder: st.outOfOrder.Load(),
		EventsStarted:    st.started.Load(),
		EventsUpdated:    st.updated.Load(),
		EventsEnded:      st.ended.Load(),
		StatusMessages:   st.statuses.Load(),
		Published:        st.published.Load(),
		Duplicates:       st.duplicates.Load(),
		PublishFailures:  st.publishFailures.Load(),
		AcksPending:      int(st.acksPending.Load()),
		SnapshotsStored:  st.snapshots.Load(),
		SnapshotFailures: st.snapshotFailures.Load(),
		SpoolFullDrops:   st.spoolFull.Load(),
		SpoolErrors:      st.spoolErrors.Load(),
		SpoolLost:        st.lost.Load(),
		Reconnects:       st.reconnects.Load(),
		Disconnects:      st.disconnects.Load(),
		Heartbeats:       st.heartbeats.Load(),
	}
	s.OpenEvents = p.openEvents()
	p.mu.Lock()
	sp := p.spool
	if sp == nil {
		s.SpoolRecords = len(p.pre)
	}
	p.mu.Unlock()
	if sp != nil {
		s.SpoolRecords, s.SpoolBytes = sp.Depth()
	}
	return s
}
