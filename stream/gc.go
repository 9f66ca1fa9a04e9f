package stream

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector target (GOGC) that the daemon and the
// ingest benchmarks run with unless the GOGC environment variable sets one.
//
// A camera's live Go heap is mostly its window of analysis images (about
// 8 MiB at the defaults), and Go lets the heap grow by GOGC percent of the
// live heap before it collects: at Go's default of 100 that headroom alone
// would cost about as much as the images themselves per camera. The images
// hold no pointers, so marking them costs nothing and collecting twice as
// often is cheap, while the headroom halves.
const GCPercent = 50

// TuneGC sets the collector's target to GCPercent unless the operator chose
// one with GOGC, and returns the target in effect. It changes process-wide
// state, so only main-level code (the daemon, the benchmarks) calls it.
func TuneGC() int {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
