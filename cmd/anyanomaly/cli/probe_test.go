package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestProbeCommand(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 2})
	rep := streamtest.NewReplay(t, clip, streamtest.Loop(), streamtest.Credentials("op", "pa55"))
	good := rep.URL()

	var stdout, stderr bytes.Buffer
	if code := Main([]string{"probe", good, "--duration", "1500ms", "--json", "--transport", "tcp"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"codec", "width", "height", "fps", "transport", "hwaccel", "frames_received", "frames_decoded", "frames_dropped", "frames_skipped"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "pa55") {
		t.Fatal("password printed")
	}

	failures := []struct{ name, url string }{
		{"unreachable", "rtsp://" + streamtest.FreePort(t) + "/cam"},
		{"wrong path", strings.Replace(good, "/cam", "/other", 1)},
		{"wrong credentials", strings.Replace(good, "pa55", "nope", 1)},
	}
	reasons := map[string]string{}
	codes := map[int]bool{}
	for _, tc := range failures {
		var out, errw bytes.Buffer
		code := Main([]string{"probe", tc.url, "--duration", "1s", "--timeout", "5s", "--transport", "tcp"}, nil, &out, &errw)
		msg := strings.TrimSpace(errw.String())
		if code == 0 || strings.Count(msg, "\n") != 0 || msg == "" {
			t.Fatalf("%s: exit %d, stderr %q: want non-zero and one line", tc.name, code, msg)
		}
		if prev, dup := reasons[msg]; dup {
			t.Fatalf("%s and %s give the same reason %q", tc.name, prev, msg)
		}
		reasons[msg] = tc.name
		codes[code] = true
		t.Logf("%s: exit %d: %s", tc.name, code, msg)
	}
	if len(codes) != 3 {
		t.Fatalf("exit codes %v are not distinct", codes)
	}
}
