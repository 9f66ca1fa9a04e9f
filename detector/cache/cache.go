// Package cache is the detector's on-disk answer cache: one small JSON file
// per LVLM answer, keyed by a hash of everything that determines the answer.
// An interrupted offline run resumes without repeating calls, and a warm
// rerun makes none. Writes are atomic (temporary file + rename), so a crash
// never leaves a torn entry.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// Key names one answer. Source is chosen by the caller and should pin down
// the frames: dataset and video, plus anything that changes how segments
// are cut (segment length, stride, sampling, context geometry).
type Key struct {
	Source  string
	Seq     uint64
	Texts   []string
	Context string
	Model   string
	// Prompt is the exact prompt text and Format the request format; both
	// are hashed.
	Prompt string
	Format string
}

// Hash is the key's file name stem.
func (k Key) Hash() string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("anyanomaly-answer-v1")
	field(k.Source)
	field(strconv.FormatUint(k.Seq, 10))
	field(strconv.Itoa(len(k.Texts)))
	for _, t := range k.Texts {
		field(t)
	}
	field(k.Context)
	field(k.Model)
	ph := sha256.Sum256([]byte(k.Prompt + "\x00" + k.Format))
	field(hex.EncodeToString(ph[:]))
	return hex.EncodeToString(h.Sum(nil))
}

// Cache is a directory of answers. It is safe for concurrent use, also by
// several processes (last writer wins with identical content).
type Cache struct {
	dir          string
	hits, misses atomic.Uint64
}

// Open creates dir if needed.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: directory is empty")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(k Key) string {
	h := k.Hash()
	return filepath.Join(c.dir, h[:2], h+".json")
}

type entry struct {
	Answers []vqa.Answer `json:"answers"`
}

// Get returns the answers stored under k (one per text of the key). A
// missing or unreadable entry is a miss.
func (c *Cache) Get(k Key) ([]vqa.Answer, bool) {
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		c.misses.Add(1)
		return nil, false
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || len(e.Answers) != max(1, len(k.Texts)) {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e.Answers, true
}

// Put stores answers under k.
func (c *Cache) Put(k Key, answers []vqa.Answer) error {
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := json.Marshal(entry{Answers: answers})
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: write %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Stats are hit and miss counts since Open.
type Stats struct{ Hits, Misses uint64 }

// Stats returns the counters.
func (c *Cache) Stats() Stats { return Stats{Hits: c.hits.Load(), Misses: c.misses.Load()} }

// Len counts stored entries (for tests and reports).
func (c *Cache) Len() (int, error) {
	n := 0
	err := filepath.WalkDir(c.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Ext(d.Name()) == ".json" {
			n++
		}
		return nil
	})
	return n, err
}
