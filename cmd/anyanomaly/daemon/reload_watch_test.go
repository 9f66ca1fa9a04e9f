package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
)

// withThreshold is configA with the rule's threshold replaced.
func withThreshold(th float64) string {
	return strings.Replace(configA, "threshold: 0.6", fmt.Sprint("threshold: ", th), 1)
}

// waitThreshold polls until the running configuration's rule threshold is
// want.
func waitThreshold(t *testing.T, d *daemontest.Daemon, want float64, what string) {
	t.Helper()
	daemontest.Eventually(t, 5*time.Second, fmt.Sprintf("%s: threshold %g", what, want), func() bool {
		return d.Config().Camera("a").Rules[0].Threshold == want
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// etcConfig lays out root/etc/config.yaml with threshold 0.6.
func etcConfig(t *testing.T, root string) string {
	must(t, os.Mkdir(filepath.Join(root, "etc"), 0o755))
	daemontest.WriteConfig(t, filepath.Join(root, "etc", "config.yaml"), withThreshold(0.6))
	return filepath.Join(root, "etc", "config.yaml")
}

// TestReloadFollowsReplacedFiles: deploy tools replace more than the file.
// A watch on the configuration's directory alone went stale when the
// directory itself was replaced, and never saw an edit behind a symlink:
// those changes were silently never applied, and after a replaced
// directory no later edit was either.
func TestReloadFollowsReplacedFiles(t *testing.T) {
	tests := []struct {
		name string
		// setup lays out the files under root with threshold 0.6 and
		// returns the --config path; change applies th.
		setup  func(t *testing.T, root string) string
		change func(t *testing.T, root string, th float64)
	}{
		{"directory re-created",
			etcConfig,
			func(t *testing.T, root string, th float64) {
				must(t, os.RemoveAll(filepath.Join(root, "etc")))
				must(t, os.Mkdir(filepath.Join(root, "etc"), 0o755))
				daemontest.WriteConfig(t, filepath.Join(root, "etc", "config.yaml"), withThreshold(th))
			}},
		{"directory swapped by renames",
			etcConfig,
			func(t *testing.T, root string, th float64) {
				staged := filepath.Join(root, "etc.new")
				must(t, os.Mkdir(staged, 0o755))
				daemontest.WriteConfig(t, filepath.Join(staged, "config.yaml"), withThreshold(th))
				must(t, os.RemoveAll(filepath.Join(root, "etc.old")))
				must(t, os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "etc.old")))
				must(t, os.Rename(staged, filepath.Join(root, "etc")))
			}},
		{"file a symlink into another directory",
			func(t *testing.T, root string) string {
				must(t, os.Mkdir(filepath.Join(root, "repo"), 0o755))
				must(t, os.Mkdir(filepath.Join(root, "etc"), 0o755))
				daemontest.WriteConfig(t, filepath.Join(root, "repo", "config.yaml"), withThreshold(0.6))
				must(t, os.Symlink(filepath.Join(root, "repo", "config.yaml"), filepath.Join(root, "etc", "config.yaml")))
				return filepath.Join(root, "etc", "config.yaml")
			},
			func(t *testing.T, root string, th float64) {
				daemontest.WriteConfig(t, filepath.Join(root, "repo", "config.yaml"), withThreshold(th))
			}},
		{"file a symlink in its own directory",
			func(t *testing.T, root string) string {
				daemontest.WriteConfig(t, filepath.Join(root, "site.yaml"), withThreshold(0.6))
				must(t, os.Symlink("site.yaml", filepath.Join(root, "config.yaml")))
				return filepath.Join(root, "config.yaml")
			},
			func(t *testing.T, root string, th float64) {
				daemontest.WriteConfig(t, filepath.Join(root, "site.yaml"), withThreshold(th))
			}},
		{"directory a release symlink switched",
			func(t *testing.T, root string) string {
				must(t, os.Mkdir(filepath.Join(root, "release0"), 0o755))
				daemontest.WriteConfig(t, filepath.Join(root, "release0", "config.yaml"), withThreshold(0.6))
				must(t, os.Symlink("release0", filepath.Join(root, "current")))
				return filepath.Join(root, "current", "config.yaml")
			},
			func(t *testing.T, root string, th float64) {
				rel := fmt.Sprint("release", th)
				must(t, os.Mkdir(filepath.Join(root, rel), 0o755))
				daemontest.WriteConfig(t, filepath.Join(root, rel, "config.yaml"), withThreshold(th))
				must(t, os.Symlink(rel, filepath.Join(root, "current.tmp")))
				must(t, os.Rename(filepath.Join(root, "current.tmp"), filepath.Join(root, "current")))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TEST_CAM_PASSWORD", camPassword)
			root := t.TempDir()
			d := start(t, tc.setup(t, root), nil)
			waitThreshold(t, d, 0.6, "start")
			// Twice: the second change proves the watch still holds
			// after the first replaced what it watched.
			for _, th := range []float64{0.7, 0.8} {
				tc.change(t, root, th)
				waitThreshold(t, d, th, tc.name)
			}
		})
	}
}

// TestRejectedReloadNamesFile: the log line of a rejected reload names the
// file, as config check does.
func TestRejectedReloadNamesFile(t *testing.T) {
	path := writeConfig(t, configA)
	d := start(t, path, nil)
	daemontest.WriteConfig(t, path, withThreshold(3))
	waitReloads(t, d, "failure", 1)
	lines := grep(d.Log.String(), "reload rejected")
	if lines == "" {
		t.Fatalf("no rejection logged:\n%s", d.Log.String())
	}
	for _, l := range strings.Split(lines, "\n") {
		if !strings.Contains(l, path) {
			t.Errorf("rejection does not name %s: %s", path, l)
		}
	}
}
