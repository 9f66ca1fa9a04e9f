package realollama

import (
	"strings"
	"testing"
)

func TestHostFromEnv(t *testing.T) {
	tests := []struct {
		env, want, err string
	}{
		{"", "http://127.0.0.1:11434", ""},
		{"gpu-box", "http://gpu-box:11434", ""},
		{"gpu-box:8080", "http://gpu-box:8080", ""},
		{"http://10.0.0.5:11434", "http://10.0.0.5:11434", ""},
		{"https://ollama.example", "https://ollama.example:443", ""},
		{"http://[::1]:11434/", "http://[::1]:11434", ""},
		{":9999", "http://127.0.0.1:9999", ""},
		{"ftp://x", "", "scheme must be http or https"},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("OLLAMA_HOST", tc.env)
			u, err := HostFromEnv()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("HostFromEnv() error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("HostFromEnv() = %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

// FuzzHostFromEnv: any $OLLAMA_HOST gives an http(s) URL with a host or an
// error, never a panic.
func FuzzHostFromEnv(f *testing.F) {
	for _, s := range []string{"", "host", "host:1", "https://h", "http://[::1]:2/x", "::::", "http://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, env string) {
		u, err := parseHost(env)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("OLLAMA_HOST=%q gave %q", env, u)
		}
	})
}
