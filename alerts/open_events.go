package alerts

import (
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

// openEventsFile lists, in the spool directory, the events that are open:
// after a crash (OOM kill, power loss) the next start ends each of them,
// or an alarm that a consumer raised on `started` would stay on for ever.
const openEventsFile = "open-events.json"

// EndReasonRestart ends the events a crashed daemon left open.
const EndReasonRestart = "daemon restarted"

// openEvent is what ending an event needs once its lifecycle is gone: its
// last message (seq, texts, scores, span, node) and the last time above
// the closing level.
type openEvent struct {
	Last      Event     `json:"last"`
	LastAbove time.Time `json:"last_above"`
}

// openEvents is the publisher's list of open events, kept on disk. The
// list itself is guarded by the publisher's lock; it is written by one
// goroutine at a time (Run at start and at shutdown, the sync loop in
// between), each time after the spool holding its messages was synced, so
// that the list never names an event whose started message a crash lost.
type openEvents struct {
	dir    string
	log    *slog.Logger
	events map[string]openEvent // by event id
	dirty  bool                 // changed since the last snapshot
	failed bool                 // the last save failed (logged once)
}

func newOpenEvents(dir string, log *slog.Logger) *openEvents {
	return &openEvents{dir: dir, log: log, events: map[string]openEvent{}}
}

// note records a message just spooled: a started or updated message keeps
// its event listed, an ended one removes it.
func (o *openEvents) note(ev *Event, lastAbove time.Time) {
	if ev.Kind == KindEnded {
		if _, had := o.events[ev.ID]; had {
			delete(o.events, ev.ID)
			o.dirty = true
		}
		return
	}
	last := *ev
	last.Snapshots = nil // the objects belong to that message only
	o.events[ev.ID] = openEvent{Last: last, LastAbove: lastAbove}
	o.dirty = true
}

// snapshot returns the list to save, or nil and false when it has not
// changed since the last snapshot.
func (o *openEvents) snapshot() ([]openEvent, bool) {
	if !o.dirty {
		return nil, false
	}
	o.dirty = false
	list := make([]openEvent, 0, len(o.events))
	for _, id := range slices.Sorted(maps.Keys(o.events)) {
		list = append(list, o.events[id])
	}
	return list, true
}

// save writes a snapshot atomically and reports whether it did. The
// publisher goes on when it cannot (the events are spooled already); the
// failure is logged once until a save succeeds again, and the caller
// marks the list dirty for the next try.
func (o *openEvents) save(list []openEvent) bool {
	err := o.write(list)
	switch {
	case err != nil && !o.failed:
		o.log.Error("alerts: cannot record the open events; a crash now would leave them without an ended message", "err", err)
	case err == nil && o.failed:
		o.log.Info("alerts: open events recorded again", "file", filepath.Join(o.dir, openEventsFile))
	}
	o.failed = err != nil
	return err == nil
}

func (o *openEvents) write(list []openEvent) error {
	data, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	path := filepath.Join(o.dir, openEventsFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("open events %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("open events: %w", err)
	}
	return syncDir(o.dir)
}

// load reads the list a previous run left. A missing file is an empty
// list; an unreadable one is an error naming the file (the caller logs it
// and starts afresh).
func (o *openEvents) load() ([]openEvent, error) {
	path := filepath.Join(o.dir, openEventsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open events: %w", err)
	}
	var list []openEvent
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("open events %s: %w", path, err)
	}
	out := list[:0]
	for _, e := range list {
		// Fields that name a subject or an event must be usable; anything
		// else is rewritten below.
		if len(e.Last.ID) == IDLen && strings.Trim(e.Last.ID, crockford) == "" &&
			ValidateToken("camera", e.Last.Camera) == nil && ValidateToken("rule", e.Last.Rule) == nil {
			out = append(out, e)
		}
	}
	if len(out) < len(list) {
		return out, fmt.Errorf("open events %s: %d entries unusable, skipped", path, len(list)-len(out))
	}
	return out, nil
}

// ended is the message that ends e at now, after a restart.
func (e openEvent) ended(now time.Time) Event {
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
