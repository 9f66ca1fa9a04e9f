package alerts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// openEventsFile is a journal, in the spool directory, of the events that
// are open: after a crash (OOM kill, power loss) the next start ends each
// of them, or an alarm that a consumer raised on `started` would stay on
// for ever.
const openEventsFile = "open-events.log"

// compactAfter is how many journal lines are written before the journal
// is rewritten with just the events open then.
const compactAfter = 4096

// EndReasonRestart ends the events a crashed daemon left open.
const EndReasonRestart = "daemon restarted"

// openEvent is what ending an event needs once its lifecycle is gone: its
// last message (seq, texts, scores, span, node) and the last time above
// the closing level.
type openEvent struct {
	Last      Event     `json:"last"`
	LastAbove time.Time `json:"last_above"`
}

// journalLine is one line of the journal: an event opened or updated, or
// an event ended.
type journalLine struct {
	Open *openEvent `json:"open,omitempty"`
	End  string     `json:"end,omitempty"`
}

// openEvents is the publisher's list of open events and its journal, all
// under the publisher's lock.
//
// The journal never lags the spool where it matters: a started or updated
// message is journaled before its spool record is appended (so the ended
// message a restart makes is numbered after every message the spool may
// hold, and JetStream cannot drop it as a duplicate of one), and fsync'd
// before the spool is; an ended message only once the spool holding it
// has been synced (so an event is never taken for ended while its ended
// message could still be lost).
type openEvents struct {
	dir      string
	log      *slog.Logger
	events   map[string]openEvent // by event id
	ending   map[string]openEvent // ended, not yet synced in the spool
	f        *os.File             // the journal, once Run opened it
	lines    int                  // lines written since the last compaction
	unsynced bool                 // lines written since the last fsync
	failed   bool                 // the last write failed (logged once)
	active   bool                 // Run started the journal (and has not closed it)
}

func newOpenEvents(dir string, log *slog.Logger) *openEvents {
	return &openEvents{dir: dir, log: log, events: map[string]openEvent{}, ending: map[string]openEvent{}}
}

// opening records a started or updated message about to be spooled.
func (o *openEvents) opening(ev *Event, lastAbove time.Time) {
	last := *ev
	last.Snapshots = nil // the objects belong to that message only
	e := openEvent{Last: last, LastAbove: lastAbove}
	o.events[ev.ID] = e
	o.write(journalLine{Open: &e})
}

// ended records an ended message just spooled; it is journaled by
// confirmEnds once the spool has been synced.
func (o *openEvents) ended(id string) {
	if e, ok := o.events[id]; ok {
		delete(o.events, id)
		o.ending[id] = e
	}
}

// takeEnds returns the events whose ended message is in the spool now.
func (o *openEvents) takeEnds() []string {
	return slices.Collect(maps.Keys(o.ending))
}

// confirmEnds journals the ends of ids, whose ended messages are synced.
func (o *openEvents) confirmEnds(ids []string) {
	for _, id := range ids {
		if _, ok := o.ending[id]; ok {
			delete(o.ending, id)
			o.write(journalLine{End: id})
		}
	}
}

// write appends one line. Before Run opened the journal the list lives in
// memory only; Run writes it out. A failed write is logged once until one
// succeeds again: the publisher goes on, its events are spooled.
func (o *openEvents) write(l journalLine) {
	if !o.active {
		return
	}
	var err error
	if o.f == nil || o.lines >= compactAfter {
		// Also a journal the start could not write: tried again here.
		err = o.compact()
	} else {
		var b []byte
		if b, err = json.Marshal(l); err == nil {
			_, err = o.f.Write(append(b, '\n'))
			o.lines++
			o.unsynced = true
		}
	}
	o.report(err)
}

func (o *openEvents) report(err error) {
	switch {
	case err != nil && !o.failed:
		o.log.Error("alerts: cannot journal the open events; a crash now would leave them without an ended message", "err", err)
	case err == nil && o.failed:
		o.log.Info("alerts: open events journaled again", "file", filepath.Join(o.dir, openEventsFile))
	}
	o.failed = err != nil
}

// compact rewrites the journal with the events open now, durably, and
// keeps it open for appending.
func (o *openEvents) compact() error {
	var buf bytes.Buffer
	all := maps.Clone(o.events)
	maps.Copy(all, o.ending) // still open as far as a power loss goes
	for _, id := range slices.Sorted(maps.Keys(all)) {
		e := all[id]
		b, err := json.Marshal(journalLine{Open: &e})
		if err != nil {
			return fmt.Errorf("open events: %w", err)
		}
		buf.Write(append(b, '\n'))
	}
	path := filepath.Join(o.dir, openEventsFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	_, werr := f.Write(buf.Bytes())
	if err := errors.Join(werr, f.Sync()); err != nil {
		f.Close()
		return fmt.Errorf("open events %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		return fmt.Errorf("open events: %w", err)
	}
	if err := syncDir(o.dir); err != nil {
		f.Close()
		return err
	}
	if o.f != nil {
		o.f.Close()
	}
	// The renamed file, still open, is the journal: appends go to it.
	o.f, o.lines, o.unsynced = f, 0, false
	return nil
}

// abandon closes the journal without syncing it, as a killed process
// leaves it (tests).
func (o *openEvents) abandon() {
	o.active = false
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
}

func (o *openEvents) close() {
	o.active = false
	if o.f != nil {
		if err := o.f.Sync(); err != nil {
			o.log.Error("alerts: open events journal", "err", err)
		}
		o.f.Close()
		o.f = nil
	}
}

// load reads the journal a previous run left and returns the events it
// left open. A missing journal is an empty list. Lines that do not read
// (a line torn by a power loss, a damaged file) are skipped and reported
// in the error, naming the file, with the events read from the others.
func (o *openEvents) load() ([]openEvent, error) {
	path := filepath.Join(o.dir, openEventsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open events: %w", err)
	}
	open := map[string]openEvent{}
	bad := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			bad++
			continue
		}
		switch {
		case l.Open != nil && usable(l.Open):
			open[l.Open.Last.ID] = *l.Open
		case l.End != "":
			delete(open, l.End)
		default:
			bad++
		}
	}
	if sc.Err() != nil {
		bad++
	}
	list := make([]openEvent, 0, len(open))
	for _, id := range slices.Sorted(maps.Keys(open)) {
		list = append(list, open[id])
	}
	if bad > 0 {
		return list, fmt.Errorf("open events %s: %d lines unreadable, skipped", path, bad)
	}
	return list, nil
}

// usable reports whether an entry names an event that a message can end:
// a well-formed id, camera and rule (they make up its subject).
func usable(e *openEvent) bool {
	return len(e.Last.ID) == IDLen && strings.Trim(e.Last.ID, crockford) == "" &&
		ValidateToken("camera", e.Last.Camera) == nil && ValidateToken("rule", e.Last.Rule) == nil
}

// endMessage is the message that ends e at now, after a restart.
func (e openEvent) endMessage(now time.Time) Event {
	ev := e.Last
	ev.Seq++
	ev.Kind = KindEnded
	ev.EndReason = EndReasonRestart
	ev.Time = now.UTC()
	at := e.LastAbove.UTC()
	if at.IsZero() {
		at = ev.Time
	}
	ev.EndedAt = &at
	ev.Snapshots = nil
	if ev.Texts == nil {
		ev.Texts = []string{}
	}
	return ev
}
