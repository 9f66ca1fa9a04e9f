package configs_test

import (
	"strings"
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
