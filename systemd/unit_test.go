package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const installedBinary = "/usr/local/bin/anyanomaly"

// unitCopy writes the unit, with ExecStart pointing at an executable that
// exists (systemd-analyze verify checks it), into a temporary directory,
// after applying edits.
func unitCopy(t *testing.T, edits ...string) string {
	t.Helper()
	data, err := os.ReadFile("anyanomaly.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(data), installedBinary, self)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(unit, edits[i]) {
			t.Fatalf("unit lacks %q", edits[i])
		}
		unit = strings.ReplaceAll(unit, edits[i], edits[i+1])
	}
	p := filepath.Join(t.TempDir(), "anyanomaly.service")
	if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func analyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package: systemd); unit not verified")
	}
	return p
}

// cudaEdits applies anyanomaly.service.d/cuda.conf to the unit text.
func cudaEdits(t *testing.T) []string {
	data, err := os.ReadFile("anyanomaly.service.d/cuda.conf")
	if err != nil {
		t.Fatal(err)
	}
	var edits []string
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=.*$`)
		data, _ := os.ReadFile("anyanomaly.service")
		cur := re.FindString(string(data))
		if cur == "" {
			t.Fatalf("cuda.conf sets %s, which the unit does not", key)
		}
		edits = append(edits, cur, key+"="+val)
	}
	return edits
}

func TestUnitVerifies(t *testing.T) {
	sa := analyze(t)
	for name, edits := range map[string][]string{"default": nil, "cuda drop-in": cudaEdits(t)} {
		t.Run(name, func(t *testing.T) {
			unit := unitCopy(t, edits...)
			out, err := exec.Command(sa, "verify", unit).CombinedOutput()
			if err != nil {
				t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
			}
			if len(out) > 0 {
				t.Logf("systemd-analyze verify says:\n%s", out)
			}
		})
	}
}

var exposure = regexp.MustCompile(`Overall exposure level for [^:]+: ([0-9.]+)`)

// TestUnitSecurityExposure keeps `systemd-analyze security` at or under
// 2.0 ("OK"), for the default unit and with the CUDA drop-in.
func TestUnitSecurityExposure(t *testing.T) {
	sa := analyze(t)
	ver, _ := exec.Command(sa, "--version").Output()
	m := regexp.MustCompile(`systemd (\d+)`).FindSubmatch(ver)
	if m == nil {
		t.Skipf("cannot read the systemd version from %q", ver)
	}
	if v, _ := strconv.Atoi(string(m[1])); v < 252 {
		t.Skipf("systemd %d: `security --offline` needs systemd 252 or later", v)
	}
	for name, edits := range map[string][]string{"default": nil, "cuda drop-in": cudaEdits(t)} {
		t.Run(name, func(t *testing.T) {
			out, _ := exec.Command(sa, "security", "--offline=true", "--no-pager", unitCopy(t, edits...)).CombinedOutput()
			m := exposure.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no exposure level in:\n%s", out)
			}
			level, err := strconv.ParseFloat(string(m[1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("exposure %s: %.1f", name, level)
			if level > 2.0 {
				t.Errorf("exposure %.1f > 2.0:\n%s", level, out)
			}
		})
	}
}
