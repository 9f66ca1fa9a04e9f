package daemon_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
)

type leaky struct{ URL string }

func TestLogRedaction(t *testing.T) {
	const pw = "Sup3r$ecret"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := daemon.NewRedactor()
			r.Set([]string{pw, "ab"})
			var level slog.LevelVar
			buf := &daemontest.Buffer{}
			log := daemon.NewLogger(buf, format, &level, r)
			url := "rtsp://admin:" + pw + "@10.0.0.1/s"
			log.Info("dialing "+url, "url", url)
			log.With("cam", url).WithGroup("g").Error("failed",
				"err", fmt.Errorf("camera a: %w", errors.New("connect "+url+": refused")),
				"raw", "password is "+pw,
				"struct", leaky{URL: url},
				slog.Group("nested", "u", url))
			log.Debug("hidden " + pw)
			out := buf.String()
			if strings.Contains(out, pw) {
				t.Errorf("secret logged:\n%s", out)
			}
			if strings.Count(out, "***") < 6 {
				t.Errorf("expected masks:\n%s", out)
			}
			if strings.Contains(out, "hidden") {
				t.Errorf("debug line logged at info level")
			}
			level.Set(slog.LevelDebug)
			log.Debug("now visible")
			if !strings.Contains(buf.String(), "now visible") {
				t.Errorf("level change not applied")
			}
		})
	}
}

// A camera left on its default credentials (admin:admin) must not show
// its password as the user name: URL masking keeps the user name, so the
// verbatim replacement of known secrets has to catch it.
func TestRedactorUserNameEqualToPassword(t *testing.T) {
	r := daemon.NewRedactor()
	r.Set([]string{"admin"})
	got := r.Redact("camera c: dial rtsp://admin:admin@10.0.0.1/s: refused")
	if want := "camera c: dial rtsp://***:***@10.0.0.1/s: refused"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
