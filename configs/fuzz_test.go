package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

// FuzzLoad feeds arbitrary text to the parser. Whatever the input, Parse
// must not panic; what it accepts must validate again, diff as unchanged
// against itself, and never put the environment's secret in an error.
// Seeds: testdata/fuzz/FuzzLoad plus the examples.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("examples/*.yaml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(base))
	env := testEnv()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := configs.Parse("fuzz.yaml", data, env)
		if err != nil {
			if strings.Contains(err.Error(), "s3cr3t-pw") || strings.Contains(err.Error(), "cred-pw") {
				t.Fatalf("secret in error: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		if d := configs.Diff(c, c); !d.Empty() {
			t.Fatalf("Diff(c, c) = %s", d.Summary())
		}
	})
}
