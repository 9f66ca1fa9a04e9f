package alerts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrSpoolFull is returned by Append when the spool is at its byte or
// record limit.
var ErrSpoolFull = errors.New("spool full")

// Spool file layout: segment files "<first seq, 20 digits>.spool" holding
// frames [u32 length][u32 CRC-32C of payload][payload], and a "head" file
// holding the first unacknowledged sequence number. Sequence numbers are
// implicit: a segment's first record has the number in its name.
const (
	spoolSuffix    = ".spool"
	spoolHeadFile  = "head"
	spoolFrameHdr  = 8
	spoolRollBytes = 4 << 20
)

// errLostRecord marks a record lost to on-disk damage.
var errLostRecord = errors.New("lost to spool damage")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type spoolSegment struct {
	first uint64
	path  string
	f     *os.File
	size  int64
	count uint64
}

type spoolLoc struct {
	seg *spoolSegment
	off int64 // start of the payload
	n   int
	mem []byte // the payload, while it fits the read cache
}

// spoolCacheBytes bounds the payloads kept in memory so the sender does
// not read back from disk what was just written; a backlog beyond it (and
// everything after a restart) is read from the files.
const spoolCacheBytes = 16 << 20

// Spool is a bounded, ordered, append-only on-disk queue of records with
// an acknowledged head. Appends are written straight to the file (they
// survive the process dying) and made durable by Sync; Ack advances the
// head, Checkpoint persists it. Records between the persisted head and the
// real one are delivered again after a crash, which JetStream's duplicate
// window absorbs. Safe for concurrent use.
type Spool struct {
	dir      string
	maxBytes int64
	maxRecs  int
	log      *slog.Logger

	mu           sync.Mutex
	segs         []*spoolSegment
	index        []spoolLoc // index[i] is seq head+i
	head, next   uint64
	bytes        int64
	synced       uint64 // records below are fsync'd
	dirSync      bool   // a segment was created since the last Sync
	checkpointed uint64
	closed       bool
	cached       int64
	lock         *os.File // holds the directory's lock while open
}

// OpenSpool opens (creating if needed) the spool in dir, reading every
// unacknowledged record's position. A torn record at the end of the last
// segment (a crash mid-write) is cut off; damage elsewhere is logged and
// the damaged rest of that segment skipped.
func OpenSpool(dir string, maxBytes int64, maxRecords int, log *slog.Logger) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, maxRecs: maxRecords, log: log, lock: lock}
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	if b, err := os.ReadFile(filepath.Join(dir, spoolHeadFile)); err == nil {
		h, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil {
			return nil, fmt.Errorf("spool %s: head file: %w", dir, perr)
		}
		s.head = h
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	s.checkpointed = s.head
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	var firsts []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, spoolSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, spoolSuffix), 10, 64)
		if err != nil {
			log.Warn("spool: ignoring a file with a bad name", "file", filepath.Join(dir, name))
			continue
		}
		firsts = append(firsts, first)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	s.next = s.head
	for i, first := range firsts {
		if err := s.load(first, i == len(firsts)-1); err != nil {
			return nil, err
		}
	}
	// The segments, not the checkpoint, say where unacknowledged records
	// start: acknowledgements after the last checkpoint may have deleted
	// segments, and a torn tail may leave none of them (head = next).
	s.head = s.next - uint64(len(s.index))
	s.synced = s.next
	ok = true
	return s, nil
}

// spoolLockFile is locked (flock) by the process that has the spool open.
const spoolLockFile = "LOCK"

// lockDir takes dir's lock, or says which directory is in use: two
// daemons on one state directory would deliver each other's records and
// end each other's open events as left by a crash.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, spoolLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool %s: lock: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("spool %s is in use by another process (another daemon with the same state_dir?)", dir)
		}
		return nil, fmt.Errorf("spool %s: lock: %w", dir, err)
	}
	return f, nil
}

func (s *Spool) load(first uint64, last bool) error {
	path := filepath.Join(s.dir, fmt.Sprintf("%020d%s", first, spoolSuffix))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("spool %s: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("spool %s: %w", path, err)
	}
	if first < s.next && len(s.segs) > 0 {
		s.log.Error("spool: segment overlaps the previous one; skipping it", "file", path)
		f.Close()
		return nil
	}
	seg := &spoolSegment{first: first, path: path, f: f}
	if first > s.next && len(s.index) > 0 {
		// Damage earlier lost records; keep the numbering with holes that
		// Read reports as lost.
		s.log.Error("spool: records missing before segment", "file", path, "missing_from", s.next, "missing_to", first-1)
		for q := s.next; q < first; q++ {
			s.index = append(s.index, spoolLoc{})
		}
		s.next = first
	}
	if len(s.index) == 0 && first > s.next {
		s.next = first
	}
	seq := first
	off := 0
	for off < len(data) {
		n, ok := parseFrame(data[off:])
		if !ok {
			if last {
				s.log.Warn("spool: cutting off a torn record at the end", "file", path, "offset", off, "bytes", len(data)-off)
				if err := f.Truncate(int64(off)); err != nil {
					f.Close()
					return fmt.Errorf("spool %s: truncate torn tail: %w", path, err)
				}
			} else {
				s.log.Error("spool: damaged record; the rest of this segment is lost", "file", path, "offset", off, "seq", seq)
			}
			break
		}
		if seq >= s.head {
			s.index = append(s.index, spoolLoc{seg: seg, off: int64(off + spoolFrameHdr), n: n})
			s.bytes += int64(n + spoolFrameHdr)
		}
		off += spoolFrameHdr + n
		seq++
	}
	seg.size, seg.count = int64(off), seq-first
	if seq > s.next {
		s.next = seq
	}
	if seq <= s.head && !last {
		// Fully acknowledged: the crash came before the delete.
		f.Close()
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("spool %s: %w", path, err)
		}
		return nil
	}
	if _, err := f.Seek(seg.size, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("spool %s: %w", path, err)
	}
	s.segs = append(s.segs, seg)
	return nil
}

// parseFrame returns the payload length of the frame at b's start, or
// false when the frame is truncated or its checksum is wrong.
func parseFrame(b []byte) (int, bool) {
	if len(b) < spoolFrameHdr {
		return 0, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-spoolFrameHdr) || n > maxRecordField {
		return 0, false
	}
	p := b[spoolFrameHdr : spoolFrameHdr+int(n)]
	if crc32.Checksum(p, castagnoli) != binary.BigEndian.Uint32(b[4:]) {
		return 0, false
	}
	return int(n), true
}

// Append writes payload as the next record and returns its sequence
// number, or ErrSpoolFull.
func (s *Spool) Append(payload []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("spool %s: closed", s.dir)
	}
	need := int64(len(payload) + spoolFrameHdr)
	if len(s.index)+1 > s.maxRecs || s.bytes+need > s.maxBytes {
		return 0, ErrSpoolFull
	}
	seg := s.active()
	if seg == nil || seg.size >= spoolRollBytes {
		var err error
		if seg, err = s.roll(); err != nil {
			return 0, err
		}
	}
	buf := make([]byte, spoolFrameHdr+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(payload, castagnoli))
	copy(buf[spoolFrameHdr:], payload)
	if _, err := seg.f.Write(buf); err != nil {
		// The file may hold a partial frame now; cut it back so later
		// appends stay parseable.
		_ = seg.f.Truncate(seg.size)
		_, _ = seg.f.Seek(seg.size, io.SeekStart)
		return 0, fmt.Errorf("spool %s: write: %w", seg.path, err)
	}
	loc := spoolLoc{seg: seg, off: seg.size + spoolFrameHdr, n: len(payload)}
	if s.cached+int64(len(payload)) <= spoolCacheBytes {
		loc.mem = buf[spoolFrameHdr:]
		s.cached += int64(len(payload))
	}
	s.index = append(s.index, loc)
	seg.size += need
	seg.count++
	s.bytes += need
	seq := s.next
	s.next++
	return seq, nil
}

func (s *Spool) active() *spoolSegment {
	if len(s.segs) == 0 {
		return nil
	}
	return s.segs[len(s.segs)-1]
}

func (s *Spool) roll() (*spoolSegment, error) {
	path := filepath.Join(s.dir, fmt.Sprintf("%020d%s", s.next, spoolSuffix))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: new segment: %w", err)
	}
	if old := s.active(); old != nil {
		// The old segment must be durable before records after it are.
		if err := old.f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("spool %s: fsync: %w", old.path, err)
		}
	}
	seg := &spoolSegment{first: s.next, path: path, f: f}
	s.segs = append(s.segs, seg)
	s.dirSync = true
	return seg, nil
}

// Sync makes every appended record durable (fsync of the active segment,
// and of the directory when a segment was created). It returns the number
// of the first record not yet appended: all below it are durable. The
// fsync runs outside the lock so appends go on meanwhile (group commit).
func (s *Spool) Sync() (uint64, error) {
	s.mu.Lock()
	if s.closed || s.synced == s.next {
		d := s.synced
		s.mu.Unlock()
		return d, nil
	}
	target, seg, needDir := s.next, s.active(), s.dirSync
	s.dirSync = false
	s.mu.Unlock()
	if seg != nil {
		// A segment rolled or deleted meanwhile was synced (or fully
		// acknowledged) already, so a closed file is not an error.
		if err := seg.f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			if needDir {
				s.mu.Lock()
				s.dirSync = true // still owed: the next Sync must not skip it
				s.mu.Unlock()
			}
			return s.durable(), fmt.Errorf("spool %s: fsync: %w", seg.path, err)
		}
	}
	if needDir {
		if err := syncDir(s.dir); err != nil {
			s.mu.Lock()
			s.dirSync = true
			s.mu.Unlock()
			return s.durable(), err
		}
	}
	s.mu.Lock()
	if target > s.synced {
		s.synced = target
	}
	d := s.synced
	s.mu.Unlock()
	return d, nil
}

func (s *Spool) durable() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool %s: fsync directory: %w", dir, err)
	}
	return nil
}

// Read returns the payload of record seq, which must be unacknowledged.
func (s *Spool) Read(seq uint64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.head || seq >= s.next {
		return nil, fmt.Errorf("spool %s: record %d not in [%d, %d)", s.dir, seq, s.head, s.next)
	}
	loc := s.index[seq-s.head]
	if loc.seg == nil {
		return nil, fmt.Errorf("spool %s: record %d: %w", s.dir, seq, errLostRecord)
	}
	if loc.mem != nil {
		return loc.mem, nil // callers do not modify it
	}
	b := make([]byte, loc.n)
	if _, err := loc.seg.f.ReadAt(b, loc.off); err != nil {
		return nil, fmt.Errorf("spool %s: read record %d: %w", loc.seg.path, seq, err)
	}
	return b, nil
}

// Ack acknowledges every record up to and including seq, deleting
// segments that hold nothing unacknowledged.
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.head {
		return nil
	}
	if seq >= s.next {
		return fmt.Errorf("spool %s: ack of record %d beyond the last (%d)", s.dir, seq, s.next)
	}
	n := seq - s.head + 1
	for _, loc := range s.index[:n] {
		if loc.seg != nil {
			s.bytes -= int64(loc.n + spoolFrameHdr)
		}
		s.cached -= int64(len(loc.mem))
	}
	clear(s.index[:n]) // drop cached payloads
	s.index = s.index[n:]
	if len(s.index) == 0 {
		s.index = nil // let the backing array go
	}
	s.head = seq + 1
	var keep []*spoolSegment
	var errs []error
	for i, seg := range s.segs {
		last := i == len(s.segs)-1
		if seg.first+seg.count <= s.head && (!last || seg.size >= spoolRollBytes) {
			seg.f.Close()
			if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("spool: remove %s: %w", seg.path, err))
			}
			continue
		}
		keep = append(keep, seg)
	}
	s.segs = keep
	return errors.Join(errs...)
}

// Checkpoint persists the head so a restart does not deliver acknowledged
// records again (those it would are absorbed by the duplicate window).
func (s *Spool) Checkpoint() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpointLocked()
}

func (s *Spool) checkpointLocked() error {
	if s.head == s.checkpointed {
		return nil
	}
	tmp := filepath.Join(s.dir, spoolHeadFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("spool %s: head: %w", s.dir, err)
	}
	_, werr := fmt.Fprintf(f, "%d\n", s.head)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("spool %s: head: %w", s.dir, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, spoolHeadFile)); err != nil {
		return fmt.Errorf("spool %s: head: %w", s.dir, err)
	}
	s.checkpointed = s.head
	return nil
}

// Bounds returns the first unacknowledged record and the next to append:
// the spool holds [head, next).
func (s *Spool) Bounds() (head, next uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head, s.next
}

// Depth returns the number of unacknowledged records and their bytes on
// disk.
func (s *Spool) Depth() (records int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index), s.bytes
}

// Close syncs, checkpoints and closes the spool.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	var errs []error
	if seg := s.active(); seg != nil && s.synced != s.next {
		if err := seg.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("spool %s: fsync: %w", seg.path, err))
		}
	}
	errs = append(errs, s.checkpointLocked())
	s.closeFiles()
	s.closed = true
	return errors.Join(errs...)
}

func (s *Spool) closeFiles() {
	for _, seg := range s.segs {
		seg.f.Close()
	}
	s.segs = nil
	if s.lock != nil {
		s.lock.Close() // releases the lock
		s.lock = nil
	}
}

// abandon closes the files without syncing or checkpointing, as a crash
// would leave them (tests use it to simulate a killed process).
func (s *Spool) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeFiles()
	s.closed = true
}

func crc32Of(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
