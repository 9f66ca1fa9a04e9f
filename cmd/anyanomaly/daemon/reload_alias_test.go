package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReloadSymlinkedDirSiblingTarget: /etc/anyanomaly is a symlink
// to the real directory, and config.yaml a symlink to a sibling file
// (config.yaml -> site.yaml). inotify keeps one watch per inode: the real
// directory's watch is registered under the symlinked directory's name, so
// events for site.yaml come as <dir>/site.yaml, which matches neither the
// configuration path nor d.real (<realdir>/site.yaml).
func TestReloadSymlinkedDirSiblingTarget(t *testing.T) {
	t.Setenv("TEST_CAM_PASSWORD", camPassword)
	root := t.TempDir()
	must(t, os.Mkdir(filepath.Join(root, "real"), 0o755))
	writeSite := func(th float64) {
		p := filepath.Join(root, "real", "site.yaml")
		must(t, os.WriteFile(p+".tmp", []byte(withThreshold(th)), 0o600))
		must(t, os.Rename(p+".tmp", p))
	}
	writeSite(0.6)
	must(t, os.Symlink("site.yaml", filepath.Join(root, "real", "config.yaml")))
	must(t, os.Symlink("real", filepath.Join(root, "etc")))
	d := start(t, filepath.Join(root, "etc", "config.yaml"), nil)
	waitThreshold(t, d, 0.6, "start")
	writeSite(0.7)
	waitThreshold(t, d, 0.7, "edit of the symlink's target in a symlinked directory")
}

// TestReloadRelative: a relative --config path in the working
// directory.
func TestReloadRelative(t *testing.T) {
	t.Setenv("TEST_CAM_PASSWORD", camPassword)
	root := t.TempDir()
	must(t, os.Mkdir(filepath.Join(root, "conf"), 0o755))
	t.Chdir(root)
	p := filepath.Join("conf", "config.yaml")
	must(t, os.WriteFile(p, []byte(withThreshold(0.6)), 0o600))
	d := start(t, p, nil)
	waitThreshold(t, d, 0.6, "start")
	must(t, os.WriteFile(p+".tmp", []byte(withThreshold(0.7)), 0o600))
	must(t, os.Rename(p+".tmp", p))
	waitThreshold(t, d, 0.7, "relative edit")
	must(t, os.RemoveAll("conf"))
	must(t, os.Mkdir("conf", 0o755))
	must(t, os.WriteFile(p, []byte(withThreshold(0.8)), 0o600))
	waitThreshold(t, d, 0.8, "relative dir re-created")
}
