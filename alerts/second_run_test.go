package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// TestSecondRunRefused: a second Run of one Publisher (nothing in the
// daemon does it) once ran while dropping every record as "after
// shutdown"; it is refused at once.
func TestSecondRunRefused(t *testing.T) {
	srv := alertstest.StartServer(t, nil)
	h := startPub(t, testConfig(t, srv.URL()))
	waitSpoolOpen(t, h.p)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.p.Run(ctx); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("second Run: %v, want it refused", err)
	}
}
