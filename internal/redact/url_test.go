package redact

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"password", "rtsp://admin:hunter2@10.0.0.1:554/s", "rtsp://admin:***@10.0.0.1:554/s"},
		{"unescaped @ in password", "rtsp://admin:p@ss@10.0.0.1/s", "rtsp://admin:***@10.0.0.1/s"},
		{"unescaped / in password", "rtsp://admin:p/w@10.0.0.1/s", "rtsp://admin:***@10.0.0.1/s"},
		{"@ in query", "rtsp://admin:pw@h/s?x=@y", "rtsp://admin:***@h/s?x=@y"},
		{"percent-encoded password", "rtsps://a:p%40ss@host/x?y=1", "rtsps://a:***@host/x?y=1"},
		{"unparseable host", "rtsp://a:b@[::1", "rtsp://a:***@[::1"},
		{"user name is the password", "rtsp://admin:admin@h/s", "rtsp://***:***@h/s"},
		{"user name contains the password", "rtsp://admin1:admin@h/s", "rtsp://***:***@h/s"},
		{"password only", "rtsp://:pw@h/s", "rtsp://:***@h/s"},
		{"empty password", "rtsp://admin:@h/s", "rtsp://admin:@h/s"},
		{"user without password", "rtsp://admin@h/s", "rtsp://admin@h/s"},
		{"NATS token", "nats://s3cr3t@h:4222", "nats://***@h:4222"},
		{"NATS token, upper-case scheme", "TLS://s3cr3t@h:4222", "TLS://***@h:4222"},
		{"NATS user and password", "nats://u:pw@h:4222", "nats://u:***@h:4222"},
		{"HTTP", "http://u:pw@ollama:11434", "http://u:***@ollama:11434"},
		{"no credentials", "rtsp://h/s", "rtsp://h/s"},
		{"not a URL", "not a url", "not a url"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestPasswordAndCredentials: Password is the password alone; Credentials
// is what URL masks (a NATS token too), both as written.
func TestPasswordAndCredentials(t *testing.T) {
	for _, tc := range []struct{ in, password, credentials string }{
		{"rtsp://u:p%40ss@h/", "p%40ss", "p%40ss"},
		{"rtsp://u:p@ss@h/", "p@ss", "p@ss"},
		{"rtsp://u@h/", "", ""},
		{"rtsp://u:@h/", "", ""},
		{"rtsp://h/", "", ""},
		{"nats://tok3n@h:4222", "", "tok3n"},
		{"nats://u:pw@h:4222", "pw", "pw"},
		{"garbage", "", ""},
	} {
		if got := Password(tc.in); got != tc.password {
			t.Errorf("Password(%q) = %q, want %q", tc.in, got, tc.password)
		}
		if got := strings.Join(Credentials(tc.in), ","); got != tc.credentials {
			t.Errorf("Credentials(%q) = %q, want %q", tc.in, got, tc.credentials)
		}
	}
}

func TestURLsInText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"two URLs", `dial rtsp://a:hunter2@h/s failed; retry "nats://u:p@ss@n:4222" later`,
			`dial rtsp://a:***@h/s failed; retry "nats://u:***@n:4222" later`},
		{"user name is the password", `401 from rtsp://admin:admin@cam/live`, `401 from rtsp://***:***@cam/live`},
		{"NATS token", `connect nats://tok3n@n:4222: refused`, `connect nats://***@n:4222: refused`},
		{"slash in password", `parse "rtsp://u:pa/ss@h/x": bad`, `parse "rtsp://u:***@h/x": bad`},
		{"@ in a path is not userinfo", `GET http://h/x?mail=a@b ok`, `GET http://h/x?mail=a@b ok`},
		{"e-mail address", `contact ops@example.com`, `contact ops@example.com`},
		{"no URL", `no url here`, `no url here`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URLsInText(tc.in); got != tc.want {
				t.Errorf("URLsInText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ name, in, wantErr string }{
		{"valid", "rtsp://u:pw@h:554/x", ""},
		{"slash in password", "rtsp://admin:pa/ss@10.0.0.1/x", `invalid URL "rtsp://admin:***@10.0.0.1/x": the password has characters that must be percent-encoded`},
		{"bad escape in password", "rtsp://admin:pa%zz@10.0.0.1/x", `invalid URL "rtsp://admin:***@10.0.0.1/x": the password has characters`},
		{"hash in password", "rtsp://admin:p#ss@10.0.0.1/x", `the password has characters`},
		{"question mark in password", "rtsp://admin:p?ss@10.0.0.1/x", `the password has characters`},
		{"bad escape in NATS token", "nats://t%zzok@h:4222", `invalid URL "nats://***@h:4222": the token has characters`},
		{"NATS token misread as a host", "nats://tok/en@h:4222", `invalid URL "nats://***@h:4222": a '/', '?' or '#' before the '@' makes it ambiguous`},
		{"bad host, password kept out", "rtsp://u:hunter2@[::1/x", `invalid URL "rtsp://u:***@[::1/x": missing ']' in host`},
		{"no credentials", "rtsp://h:port/x", `invalid URL "rtsp://h:port/x": invalid port ":port" after host`},
		{"numeric password start parses as a port", "rtsp://admin:1234/5678@cam/live", `invalid URL "rtsp://admin:***@cam/live": a '/', '?' or '#' before the '@' makes it ambiguous`},
		{"@ in a path after a port", "rtsp://cam:554/a@b", `invalid URL "rtsp://cam:***@b": a '/', '?' or '#' before the '@' makes it ambiguous`},
		{"@ in a path", "rtsp://cam/a@b", ""},
		{"@ in a query", "http://h/x?mail=a@b", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseURL(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("ParseURL(%q): %v", tc.in, err)
			case tc.wantErr == "":
				return
			case err == nil:
				t.Fatalf("ParseURL(%q) succeeded, want %q", tc.in, tc.wantErr)
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("ParseURL(%q) = %q, want it to contain %q", tc.in, err, tc.wantErr)
			}
			if p := Password(tc.in); p != "" && strings.Contains(err.Error(), p) {
				t.Fatalf("ParseURL(%q) error %q shows the password", tc.in, err)
			}
		})
	}
}

// FuzzURL: camera, NATS and Ollama URLs come from operators' configuration
// files and command lines; the password must never survive masking,
// parsing errors or masking in free text, whatever the URL looks like.
func FuzzURL(f *testing.F) {
	f.Add("rtsp://admin:secret@10.0.0.2:554/live")
	f.Add("rtsps://u:p%3Aw@host/x?q=1#frag")
	f.Add("rtsp://:onlypass@h/")
	f.Add("rtsp://admin:pa/ss@10.0.0.1/x")
	f.Add("nats://t%zzok@h:4222")
	f.Fuzz(func(t *testing.T, raw string) {
		ui, ok := split(raw)
		if !ok || !ui.hasPass || ui.pass == "" || strings.Contains(Mask, ui.pass) {
			return
		}
		p := ui.pass
		// Only meaningful when the password is not also part of the rest,
		// nor made of it ("//:" in "0://:***@"), nor of the mask.
		if strings.Contains(ui.prefix+ui.user+":", p) || strings.Contains(ui.suffix, p) || strings.ContainsRune(p, '*') {
			return
		}
		if out := URL(raw); strings.Contains(out, p) {
			t.Fatalf("URL(%q) = %q shows the password", raw, out)
		}
		if len(p) < 6 {
			return // a short password turns up in any error text ("a")
		}
		// The fragments net/url quotes ("invalid port \":pa\" after
		// host") are covered by TestParseURL: ParseURL only ever quotes
		// the masked URL.
		// (Quoting may spell the password out of the rest: "@\x00" and
		// "00000" quote as \x0000000.)
		quoted := strconv.Quote(ui.prefix + ui.user + ":" + Mask + ui.suffix)
		if _, err := ParseURL(raw); err != nil && strings.Contains(err.Error(), p) && !strings.Contains(quoted, p) {
			t.Fatalf("ParseURL(%q) error %q shows the password", raw, err)
		}
		if strings.ContainsAny(raw, " \t\r\n\v\f\u0085\u00a0") || !scheme.MatchString(raw) {
			return // in free text, white space ends a URL and a scheme starts one
		}
		if out := URLsInText("x " + raw + " y"); strings.Contains(out, p) {
			t.Fatalf("URLsInText(%q) = %q shows the password", raw, out)
		}
	})
}
