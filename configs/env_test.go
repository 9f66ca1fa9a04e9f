package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

// checkName parses the base configuration with value as the camera's name
// (the one value that accepts any text) and checks the substituted name,
// or that the error names the field and contains wantErr.
func checkName(t *testing.T, env configs.Env, value, want, wantErr string) {
	t.Helper()
	y := strings.Replace(base, "id: cam1", "id: cam1\n    name: \""+value+"\"", 1)
	c, err := configs.Parse("t.yaml", []byte(y), env)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), "cameras[0].name: ") || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.Cameras[0].Name != want {
		t.Errorf("got %q, want %q", c.Cameras[0].Name, want)
	}
}

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
		t.Run(tt.in, func(t *testing.T) { checkName(t, testEnv(), tt.in, tt.want, tt.err) })
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
			checkName(t, env, "${file:"+tt.path+"}", tt.want, tt.err)
		})
	}
}
