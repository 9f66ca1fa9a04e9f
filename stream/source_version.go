package stream

import (
	"crypto/sha256"
	"fmt"
	"os"
)

// SourceVersion fingerprints a video file or a frames folder for answer
// caches (detect, eval): a file by its size and modification time, a
// folder by the name, size and modification time of every entry, so that
// frames extracted again into the same folder, whose own size and time
// stay the same, give another fingerprint.
func SourceVersion(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return fmt.Sprintf("%d|%d", st.Size(), st.ModTime().UnixNano()), nil
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
