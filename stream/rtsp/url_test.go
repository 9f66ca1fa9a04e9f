package rtsp

import (
	"strings"
	"testing"
)

// TestValidateURL: the errors name the URL with its password masked, even
// when the password is what makes the URL unreadable (net/url quotes the
// part it cannot read, e.g. `invalid port ":pa" after host`).
func TestValidateURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"valid", "rtsp://admin:secret@10.0.0.2:554/live", ""},
		{"valid rtsps", "rtsps://cam.example/live", ""},
		{"slash in password", "rtsp://admin:pa/ss@10.0.0.1/x", `camera URL rtsp://admin:***@10.0.0.1/x: the password has characters that must be percent-encoded`},
		{"bad escape in password", "rtsp://admin:pa%zz@10.0.0.1/x", `camera URL rtsp://admin:***@10.0.0.1/x: the password has characters`},
		{"question mark in password", "rtsp://admin:pa?ss@10.0.0.1/x", `camera URL rtsp://admin:***@10.0.0.1/x: the password has characters`},
		{"password misread as a port", "rtsp://admin:1234/5678@10.0.0.1/x", `camera URL rtsp://admin:***@10.0.0.1/x: a '/', '?' or '#' before the '@' makes it ambiguous`},
		{"bad host", "rtsp://admin:hunter2@[::1/x", `camera URL rtsp://admin:***@[::1/x: missing ']' in host`},
		{"scheme", "http://admin:hunter2@h/x", `camera URL http://admin:***@h/x: scheme must be rtsp or rtsps`},
		{"no host", "rtsp:///x", `camera URL rtsp:///x: no host`},
		{"user name is the password", "http://admin:admin@h/x", `camera URL http://***:***@h/x: scheme must be`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateURL(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateURL(%q): %v", tc.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidateURL(%q) = %v, want it to contain %q", tc.in, err, tc.want)
			}
			for _, p := range []string{"pa/ss", "pa%zz", "pa?ss", "hunter2", "admin:admin", "1234"} {
				if strings.Contains(err.Error(), p) {
					t.Fatalf("ValidateURL(%q) = %q shows the password", tc.in, err)
				}
			}
		})
	}
}

// TestRedactor: errors from gortsplib and the network may echo the URL or
// the password alone, as written, decoded or re-encoded.
func TestRedactor(t *testing.T) {
	r := newRedactor("rtsp://op:p%40ss w@cam/live")
	for _, in := range []string{
		"401 for rtsp://op:p%40ss w@cam/live",
		"auth failed with password p%40ss w",
		"auth failed with password p@ss w",
		"auth failed with password p%2540ss+w",
	} {
		if out := r.clean(in); strings.Contains(out, "ss w") || strings.Contains(out, "ss+w") || !strings.Contains(out, "***") {
			t.Errorf("clean(%q) = %q", in, out)
		}
	}
	if out := newRedactor("rtsp://cam/live").clean("plain text"); out != "plain text" {
		t.Errorf("no credentials: clean changed %q", out)
	}
}
