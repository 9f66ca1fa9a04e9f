package stream

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	for _, tc := range []struct {
		name, gogc string
		set        bool
		runtime    int
		want       int
	}{
		{"default", "", false, 100, GCPercent},
		{"operator_choice_kept", "80", true, 80, 80},
		{"empty_means_default", "", true, 100, GCPercent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set {
				t.Setenv("GOGC", tc.gogc)
			} else {
				t.Setenv("GOGC", "")
			}
			// The runtime reads GOGC at start-up; stand in for that here.
			debug.SetGCPercent(tc.runtime)
			if got := TuneGC(); got != tc.want {
				t.Fatalf("TuneGC() = %d, want %d", got, tc.want)
			}
			if got := debug.SetGCPercent(tc.runtime); got != tc.want {
				t.Fatalf("collector target %d after TuneGC, want %d", got, tc.want)
			}
		})
	}
}
