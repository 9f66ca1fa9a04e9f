package stream

import (
	"crypto/sha256"
	"fmt"
	"os"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

// SourceVersion fingerprints a video file or a frames folder for answer
// caches (detect, eval): a file by its size and modification time (and
// its display matrix, when it turns or mirrors the picture), a
// folder by the name, size and modification time of every entry, so that
// frames extracted again into the same folder, whose own size and time
// stay the same, give another fingerprint.
func SourceVersion(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		v := fmt.Sprintf("%d|%d", st.Size(), st.ModTime().UnixNano())
		// The display matrix changes the frames ReadFile makes, and
		// answers cached before it was applied were about pictures on
		// their side. A file that does not open is ReadFile's to report.
		if dm, err := decode.OpenFile(path, decode.DemuxOptions{}); err == nil {
			if si := dm.Info(); si.Rotation != 0 || si.Mirrored {
				v += fmt.Sprintf("|turn %d mirror %t", si.Rotation, si.Mirrored)
			}
			dm.Close()
		}
		return v, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s|%d|%d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return fmt.Sprintf("dir:%x", h.Sum(nil)), nil
}
