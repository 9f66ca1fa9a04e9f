package streamtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSeedDir is for the tests that regenerate a committed seed corpus
// from generated clips: it skips t unless ANYANOMALY_WRITE_FUZZ_SEEDS is
// set, and returns the fuzz target's corpus folder (testdata/fuzz/TARGET
// of the package under test), created.
func FuzzSeedDir(t testing.TB, target string) string {
	t.Helper()
	if os.Getenv("ANYANOMALY_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("seed corpus is committed; set ANYANOMALY_WRITE_FUZZ_SEEDS=1 to regenerate it")
	}
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// WriteFuzzSeed writes one seed in go test's corpus format. The values are
// the fuzz function's arguments after *testing.T, each a byte or a []byte.
func WriteFuzzSeed(t testing.TB, dir, name string, values ...any) {
	t.Helper()
	body := []byte("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case byte:
			body = fmt.Appendf(body, "byte(%q)\n", v)
		case []byte:
			body = fmt.Appendf(body, "[]byte(%q)\n", v)
		default:
			t.Fatalf("WriteFuzzSeed: %T: want byte or []byte", v)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteClipSeeds writes, for each seed, the clip base describes in the
// seed's codec and container as one seed (kind, clip bytes) and, when cut
// is set, also its first two thirds as NAME_cut: the seeds of the fuzz
// targets that read whole video files.
func WriteClipSeeds(t testing.TB, dir string, base ClipSpec, cut bool, seeds []ClipSeed) {
	t.Helper()
	for _, s := range seeds {
		spec := base
		spec.Codec, spec.Container = s.Codec, s.Container
		data, err := os.ReadFile(GenerateClip(t, spec))
		if err != nil {
			t.Fatal(err)
		}
		WriteFuzzSeed(t, dir, s.Name, s.Kind, data)
		if cut {
			WriteFuzzSeed(t, dir, s.Name+"_cut", s.Kind, data[:len(data)*2/3])
		}
	}
}

// ClipSeed is one of WriteClipSeeds' seeds: the fuzz target's kind byte
// and the clip's codec and container.
type ClipSeed struct {
	Name, Codec, Container string
	Kind                   byte
}
