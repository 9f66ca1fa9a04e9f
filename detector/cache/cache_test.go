package cache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

func TestKeyHashCoversEveryField(t *testing.T) {
	base := Key{Source: "ds/v1", Seq: 3, Texts: []string{"a"}, Context: "frame", Model: "m", Prompt: "p", Format: ""}
	variants := map[string]Key{}
	k := base
	k.Source = "ds/v2"
	variants["source"] = k
	k = base
	k.Seq = 4
	variants["seq"] = k
	k = base
	k.Texts = []string{"b"}
	variants["text"] = k
	k = base
	k.Texts = []string{"a", ""}
	variants["texts count"] = k
	k = base
	k.Context = "position"
	variants["context"] = k
	k = base
	k.Model = "m2"
	variants["model"] = k
	k = base
	k.Prompt = "p2"
	variants["prompt"] = k
	k = base
	k.Format = "{}"
	variants["format"] = k
	for name, v := range variants {
		if v.Hash() == base.Hash() {
			t.Errorf("changing %s keeps the hash", name)
		}
	}
	// Field boundaries are unambiguous.
	if (Key{Source: "ab", Model: "c"}).Hash() == (Key{Source: "a", Model: "bc"}).Hash() {
		t.Error("fields run into each other")
	}
}

func TestPutGet(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "answers"))
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Source: "s", Texts: []string{"a", "b"}, Context: "temporal", Model: "m", Prompt: "p"}
	if _, ok := c.Get(k); ok {
		t.Fatal("hit in an empty cache")
	}
	want := []vqa.Answer{{Score: 0.7, Reason: "r"}, {ParseFailed: true}}
	if err := c.Put(k, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(k)
	if !ok || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v %v", got, ok)
	}
	if n, err := c.Len(); err != nil || n != 1 {
		t.Fatalf("Len %d %v", n, err)
	}
	// A torn or foreign file is a miss, not an error.
	if err := os.WriteFile(c.path(k), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(k); ok {
		t.Fatal("corrupt entry served")
	}
	if st := c.Stats(); st.Hits != 1 || st.Misses != 2 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := Open(""); err == nil {
		t.Fatal("empty dir accepted")
	}
}
