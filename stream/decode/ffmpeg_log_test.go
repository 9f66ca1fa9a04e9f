package decode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongLogMessagesAreTruncated: FFmpeg logs the URL of an HLS segment
// while the playlist opens (during captureLog, at verbose level). A URL of
// nearly 3 KB once overflowed go-astiav's 1024-byte stack buffer and
// crashed the process; the callback now truncates each message.
func TestLongLogMessagesAreTruncated(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat(strings.Repeat("a", 200)+"/", 14) + "x.ts"
	m3u := "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n" + long + "\n#EXT-X-ENDLIST\n"
	p := filepath.Join(dir, "x.m3u8")
	if err := os.WriteFile(p, []byte(m3u), 0o644); err != nil {
		t.Fatal(err)
	}
	// OpenFile captures the log of the open (at verbose level) and quotes
	// it in its error.
	dm, err := OpenFile(p, DemuxOptions{})
	if err == nil {
		dm.Close()
		t.Fatal("a playlist of a missing segment opened")
	}
	if !strings.Contains(err.Error(), "aaaa") {
		t.Fatalf("the long URL was not logged, so this test proves nothing: %.300q", err)
	}
	for _, m := range strings.Split(err.Error(), "; ") {
		if len(m) > 1023+len(p)+64 {
			t.Fatalf("a captured message of %d bytes: not truncated", len(m))
		}
	}
}
