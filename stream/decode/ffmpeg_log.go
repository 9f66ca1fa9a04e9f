package decode

/*
#include "ffmpeg_log.h"
*/
import "C"

import (
	"strings"
	"sync"

	"github.com/asticode/go-astiav"
)

// FFmpeg's log callback is process-wide. It is installed once; messages are
// dropped unless a capture is active. Captures are serialised by captureMu so
// the messages collected belong to the operation that asked for them (FFmpeg
// returns generic error codes, the real reason — "Cannot load libcuda.so.1" —
// only appears in its log).
var (
	logOnce   sync.Once
	captureMu sync.Mutex // held for the whole duration of a capture
	linesMu   sync.Mutex
	lines     *[]string
)

// installLogCallback installs ffmpeg_log.c's callback rather than
// astiav.SetLogCallback, whose C side formats into a fixed stack buffer
// without a bound.
func installLogCallback() {
	logOnce.Do(func() {
		astiav.SetLogLevel(astiav.LogLevelError)
		C.aa_log_install()
	})
}

// aaGoLogLine receives every FFmpeg log message at or above the current
// level, from any thread.
//
//export aaGoLogLine
func aaGoLogLine(_ C.int, line *C.char) {
	linesMu.Lock()
	defer linesMu.Unlock()
	if lines != nil && len(*lines) < 32 {
		if m := strings.TrimSpace(C.GoString(line)); m != "" {
			*lines = append(*lines, m)
		}
	}
}

// captureLog runs fn while collecting FFmpeg's error-level log messages and
// returns them joined with "; ".
func captureLog(fn func() error) (string, error) {
	installLogCallback()
	captureMu.Lock()
	defer captureMu.Unlock()
	var got []string
	linesMu.Lock()
	lines = &got
	linesMu.Unlock()
	// Some devices (vaapi) explain themselves only at verbose level.
	astiav.SetLogLevel(astiav.LogLevelVerbose)
	err := fn()
	astiav.SetLogLevel(astiav.LogLevelError)
	linesMu.Lock()
	lines = nil
	linesMu.Unlock()
	return strings.Join(got, "; "), err
}
