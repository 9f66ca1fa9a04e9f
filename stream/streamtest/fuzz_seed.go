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
