package daemon

import "time"

// SetStatusTimeout shortens the status bound for a test and restores it
// when the test ends.
func SetStatusTimeout(t interface{ Cleanup(func()) }, d time.Duration) {
	old := statusTimeout
	statusTimeout = d
	t.Cleanup(func() { statusTimeout = old })
}
