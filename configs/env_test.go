package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

// TestSubstitution exercises the ${…} forms through Parse, on the one
// value that accepts any text (a camera name).
func TestSubstitution(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${CAM1_PASSWORD}", "s3cr3t-pw", ""},
		{"a${CAM1_PASSWORD}b", "as3cr3t-pwb", ""},
		{"${NOPE:-fallback}", "fallback", ""},
		{"${EMPTY:-fallback}", "fallback", ""},
		{"${EMPTY}", "", ""},
		{"${file:/etc/anyanomaly/secret}", "from-file", ""},
		{"${cred:cam}", "cred-pw", ""},
		{"pa$word", "pa$word", ""},
		{"$$${CAM1_PASSWORD}", "$s3cr3t-pw", ""},
		{"${NOPE}", "", "environment variable NOPE is not set"},
		{"${1BAD}", "", "invalid variable name"},
		{"${cred:../x}", "", "invalid credential name"},
		{"${file:/missing}", "", "read secret file"},
		{"${OPEN", "", "unterminated"},
		{"${NOPE:-${CAM1_PASSWORD}}", "", "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			y := strings.Replace(base, "id: cam1", "id: cam1\n    name: \""+tt.in+"\"", 1)
			c, err := configs.Parse("t.yaml", []byte(y), testEnv())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), "cameras[0].name: ") || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Cameras[0].Name != tt.want {
				t.Errorf("got %q, want %q", c.Cameras[0].Name, tt.want)
			}
		})
	}
	t.Run("cred without CREDENTIALS_DIRECTORY", func(t *testing.T) {
		env := testEnv()
		inner := env.Lookup
		env.Lookup = func(k string) (string, bool) {
			if k == "CREDENTIALS_DIRECTORY" {
				return "", false
			}
			return inner(k)
		}
		_, err := configs.Parse("t.yaml", []byte(strings.Replace(base, "${CAM1_PASSWORD}", "${cred:cam}", 1)), env)
		if err == nil || !strings.Contains(err.Error(), "LoadCredential=") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestSecretFilesFromDisk: ${file:…} reads regular files only, and no more
// than the limit: /dev/zero once exhausted memory and a FIFO blocked the
// (re)load for good.
func TestSecretFilesFromDisk(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	if err := os.WriteFile(ok, []byte("pw-from-disk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want, err string }{
		{ok, "pw-from-disk", ""},
		{big, "", "larger than"},
		{fifo, "", "not a regular file"},
		{"/dev/zero", "", "not a regular file"},
		{dir, "", "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			env := testEnv()
			env.ReadFile = nil // the real file system
			y := strings.Replace(base, "id: cam1", "id: cam1\n    name: \"${file:"+tt.path+"}\"", 1)
			c, err := configs.Parse("t.yaml", []byte(y), env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Cameras[0].Name != tt.want {
				t.Errorf("got %q, want %q", c.Cameras[0].Name, tt.want)
			}
		})
	}
}
