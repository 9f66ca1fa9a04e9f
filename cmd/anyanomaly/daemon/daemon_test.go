package daemon_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/configs"
)

const camPassword = "Cam-Passw0rd-42"

const configA = `
global:
  node: test-node
  state_dir: /tmp/anyanomaly-test
  shutdown_timeout: 2s
cameras:
  - id: a
    name: Camera A
    url: rtsp://viewer:${TEST_CAM_PASSWORD}@127.0.0.1:8554/a
    rules:
      - {id: fall, texts: [person falling], threshold: 0.6}
`

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	t.Setenv("TEST_CAM_PASSWORD", camPassword)
	p := filepath.Join(t.TempDir(), "config.yaml")
	daemontest.WriteConfig(t, p, body)
	return p
}

func start(t *testing.T, path string, f *fakes) *daemontest.Daemon {
	t.Helper()
	var deps daemon.Deps
	if f != nil {
		deps.Factory = f.factory
	}
	return daemontest.Start(t, daemon.Options{ConfigPath: path, Version: "v-test", ReloadDebounce: 50 * time.Millisecond}, deps)
}

func metricValue(body, series string) string {
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			return strings.TrimPrefix(line, series+" ")
		}
	}
	return ""
}

// TestLifecycle boots the daemon with fake components, checks the HTTP
// endpoints and systemd notifications, and stops it as SIGTERM would.
func TestLifecycle(t *testing.T) {
	notes := daemontest.NotifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000") // check and ping every 50ms
	t.Setenv("WATCHDOG_PID", "")
	os.Unsetenv("WATCHDOG_PID")
	f := newFakes()
	d := start(t, writeConfig(t, configA), f)

	daemontest.Eventually(t, 5*time.Second, "READY=1", func() bool { return notes.Count("READY=1") == 1 })
	daemontest.Eventually(t, 5*time.Second, "WATCHDOG=1", func() bool { return notes.Count("WATCHDOG=1") >= 2 })

	if diff := f.cams.lastDiff(); diff == nil || len(diff.Cameras) != 1 || diff.Cameras[0].Change != configs.CameraAdded {
		t.Fatalf("initial reconcile = %+v, want camera a added", diff)
	}

	if code, body := d.Get(t, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body := d.Get(t, "/readyz")
	var ready daemon.Readiness
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 200 || !ready.Ready || len(ready.Checks) != 4 {
		t.Errorf("/readyz = %d %s (%v)", code, body, err)
	}
	_, metrics := d.Get(t, "/metrics")
	for series, want := range map[string]string{
		`anyanomaly_config_reload_success`:                                             "1",
		`anyanomaly_camera_state{camera="a",state="streaming"}`:                        "1",
		`anyanomaly_camera_state{camera="a",state="backoff"}`:                          "0",
		`anyanomaly_camera_frames_total{camera="a"}`:                                   "100",
		`anyanomaly_rule_score{camera="a",rule="fall"}`:                                "0.25",
		`anyanomaly_lvlm_calls_total{endpoint="127.0.0.1:11434",model="qwen2.5vl:3b"}`: "12",
		`anyanomaly_lvlm_queue_depth`:                                                  "2",
		`anyanomaly_events_total{kind="started"}`:                                      "1",
		`anyanomaly_nats_connected`:                                                    "1",
	} {
		if got := metricValue(metrics, series); got != want {
			t.Errorf("metric %s = %q, want %q", series, got, want)
		}
	}
	if !strings.Contains(metrics, `anyanomaly_build_info{goversion=`) || !strings.Contains(metrics, `version="v-test"`) {
		t.Errorf("build info missing")
	}
	if !strings.Contains(metrics, "anyanomaly_lvlm_call_duration_seconds_bucket") || !strings.Contains(metrics, "go_goroutines") {
		t.Errorf("latency histogram or Go collector missing")
	}
	_, body = d.Get(t, "/api/v1/status")
	var st daemon.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("status: %v\n%s", err, body)
	}
	if st.Node != "test-node" || st.State != "running" || len(st.Cameras) != 1 || st.Cameras[0].ID != "a" || st.Publisher == nil || len(st.NotWired) != 0 {
		t.Errorf("status = %+v", st)
	}

	if err := d.Stop(5 * time.Second); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	// Runs are launched concurrently; the stop order is strict.
	want := []string{"stop cameras", "stop detector", "stop publisher"}
	if got := f.rec.list(); len(got) != 6 || !reflect.DeepEqual(got[3:], want) {
		t.Errorf("component order = %v, want three starts then %v", got, want)
	}
	daemontest.Eventually(t, 2*time.Second, "STOPPING=1", func() bool { return notes.Count("STOPPING=1") == 1 })
}

// TestReload covers the reload paths: a valid change applied through the
// diff, a broken file keeping the running config, SIGHUP.
func TestReload(t *testing.T) {
	notes := daemontest.NotifySocket(t)
	path := writeConfig(t, configA)
	f := newFakes()
	d := start(t, path, f)
	before, _ := f.cams.stat("a")
	first := d.Config()

	// 1. A threshold change on a and a new camera b, by file change.
	changed := strings.Replace(configA, "threshold: 0.6", "threshold: 0.8", 1) + `
  - id: b
    url: rtsp://127.0.0.1:8554/b
    rules: [{id: bike, texts: [bicycle]}]
`
	daemontest.WriteConfig(t, path, changed)
	// The cameras are reconciled before the reload completes: wait for
	// the reload itself (counted last).
	waitReloads(t, d, "success", 1)
	diff := f.cams.lastDiff()
	if a := diff.Camera("a"); a == nil || a.Change != configs.CameraUpdated || !reflect.DeepEqual(a.RulesChanged, []string{"fall"}) {
		t.Errorf("camera a diff = %+v, want updated rule fall", a)
	}
	if b := diff.Camera("b"); b == nil || b.Change != configs.CameraAdded {
		t.Errorf("camera b diff = %+v, want added", b)
	}
	if after, _ := f.cams.stat("a"); after.Reconnects != before.Reconnects {
		t.Errorf("unchanged camera reconnected: %d → %d", before.Reconnects, after.Reconnects)
	}
	if _, ok := f.cams.stat("b"); !ok {
		t.Errorf("camera b not started")
	}
	if got := d.Config().Camera("a").Rules[0].Threshold; got != 0.8 {
		t.Errorf("running threshold = %g", got)
	}
	_, m := d.Get(t, "/metrics")
	if metricValue(m, "anyanomaly_config_reload_success") != "1" || metricValue(m, `anyanomaly_config_reloads_total{result="success"}`) != "1" {
		t.Errorf("reload metrics after success:\n%s", grep(m, "anyanomaly_config"))
	}
	if notes.Count("RELOADING=1") < 1 {
		t.Errorf("RELOADING=1 not sent: %q", notes.Messages())
	}

	// 2. A broken file: two problems, both logged; the config stays.
	running := d.Config()
	daemontest.WriteConfig(t, path, strings.Replace(changed, "threshold: 0.8", "threshold: 3", 1)+"    colour: red\n")
	daemontest.Eventually(t, 5*time.Second, "failed reload metric", func() bool {
		_, m := d.Get(t, "/metrics")
		return metricValue(m, "anyanomaly_config_reload_success") == "0"
	})
	if d.Config() != running {
		t.Errorf("a broken file replaced the running configuration")
	}
	log := d.Log.String()
	for _, want := range []string{"cameras[0].rules[0].threshold: must be in (0,1], got 3", "cameras[1].colour: unknown field"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	_, body := d.Get(t, "/api/v1/status")
	var st daemon.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Config.LastReload == nil || st.Config.LastReload.Success || len(st.Config.LastReload.Errors) != 2 {
		t.Errorf("status after failed reload: %v %s", err, body)
	}
	_, m = d.Get(t, "/metrics")
	if metricValue(m, `anyanomaly_config_reloads_total{result="failure"}`) != "1" || metricValue(m, "anyanomaly_config_last_reload_timestamp_seconds") == "" {
		t.Errorf("failure metrics:\n%s", grep(m, "anyanomaly_config"))
	}

	// 3. SIGHUP: camera a's URL changes (restart); the global NATS change
	// is reported by the publisher as needing a restart.
	n := f.cams.numReconciles()
	t.Setenv("TEST_CAM_PASSWORD", camPassword+"-new")
	daemontest.WriteConfig(t, path, changed+"nats: {urls: [\"nats://127.0.0.1:4222\"]}\n")
	// The file change may trigger first; either way exactly the new
	// content is applied. Signal and wait for the reconcile.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	daemontest.Eventually(t, 5*time.Second, "reload after SIGHUP", func() bool { return f.cams.numReconciles() > n })
	waitReloads(t, d, "success", 2)
	if a := f.cams.lastDiff().Camera("a"); a == nil || a.Change != configs.CameraRestart {
		t.Errorf("camera a after URL change: %+v", a)
	}
	if after, _ := f.cams.stat("a"); after.Reconnects != before.Reconnects+1 {
		t.Errorf("camera a restarts = %d, want %d", after.Reconnects, before.Reconnects+1)
	}
	_, body = d.Get(t, "/api/v1/status")
	if !strings.Contains(body, "takes effect after a restart") {
		t.Errorf("restart-pending setting not in status:\n%s", body)
	}
	if first == d.Config() {
		t.Errorf("config not replaced")
	}
	if strings.Contains(d.Log.String(), camPassword) {
		t.Errorf("password in log")
	}

	// 4. The NATS change still waits for a restart after a reload that
	// changes something else (the publisher sees no NATS change in that
	// diff), and no longer once the file is back to the start's NATS.
	base := reloadCount(t, d, "success")
	withNATS := changed + "nats: {urls: [\"nats://127.0.0.1:4222\"]}\n"
	daemontest.WriteConfig(t, path, strings.Replace(withNATS, "threshold: 0.8", "threshold: 0.7", 1))
	daemontest.Eventually(t, 5*time.Second, "reload of the threshold change", func() bool {
		return d.Config().Camera("a").Rules[0].Threshold == 0.7 && reloadCount(t, d, "success") > base
	})
	if _, body := d.Get(t, "/api/v1/status"); !strings.Contains(body, "nats settings: takes effect after a restart") {
		t.Errorf("restart-pending NATS change lost by a later reload:\n%s", body)
	}
	daemontest.WriteConfig(t, path, changed)
	daemontest.Eventually(t, 5*time.Second, "no restart pending with the start's NATS settings back", func() bool {
		_, body := d.Get(t, "/api/v1/status")
		return !strings.Contains(body, "takes effect after a restart")
	})
}

// waitReloads polls /metrics until at least n reloads with result were
// counted: the last step of a reload, after the status is updated.
func waitReloads(t *testing.T, d *daemontest.Daemon, result string, n int) {
	t.Helper()
	daemontest.Eventually(t, 5*time.Second, fmt.Sprintf("%d reloads (%s)", n, result), func() bool {
		return reloadCount(t, d, result) >= n
	})
}

func reloadCount(t *testing.T, d *daemontest.Daemon, result string) int {
	t.Helper()
	_, m := d.Get(t, "/metrics")
	n, _ := strconv.Atoi(metricValue(m, `anyanomaly_config_reloads_total{result="`+result+`"}`))
	return n
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSecretsNeverLeave checks logs, metrics, status and readiness for
// the camera password and the LVLM endpoint password.
func TestSecretsNeverLeave(t *testing.T) {
	f := newFakes()
	d := start(t, writeConfig(t, configA), f)
	f.cams.mu.Lock()
	f.cams.stats["a"].State = daemon.CameraBackoff // makes /readyz report LastError
	f.cams.mu.Unlock()
	var outputs []string
	for _, p := range []string{"/metrics", "/api/v1/status", "/readyz", "/healthz"} {
		_, body := d.Get(t, p)
		outputs = append(outputs, body)
	}
	if err := d.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, d.Log.String())
	if !strings.Contains(d.Log.String(), "rtsp://viewer:***@127.0.0.1:8554/a") {
		t.Errorf("expected the masked URL in the log:\n%s", d.Log.String())
	}
	for i, o := range outputs {
		for _, secret := range []string{camPassword, "lvlm-secret"} {
			if strings.Contains(o, secret) {
				t.Errorf("output %d contains %q:\n%s", i, secret, o)
			}
		}
	}
}

// TestStartSecretsStayMaskedAcrossReloads: NATS settings take effect only
// at a restart, so the connection keeps the first configuration's
// credentials however often the file is reloaded; the redactor must keep
// masking them. It once kept only the last two generations' secrets.
func TestStartSecretsStayMaskedAcrossReloads(t *testing.T) {
	withNATS := func(password string) string {
		return configA + "nats:\n  urls: [nats://127.0.0.1:4222]\n  user: alice\n  password: " + password + "\n"
	}
	path := writeConfig(t, withNATS("first-nats-secret"))
	f := newFakes()
	d := start(t, path, f)
	for i, pw := range []string{"second-nats-secret", "third-nats-secret"} {
		daemontest.WriteConfig(t, path, withNATS(pw))
		waitReloads(t, d, "success", i+1)
	}
	f.cams.log.Warn("connection still authenticated as alice:first-nats-secret")
	if err := d.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Log.String(), "first-nats-secret") {
		t.Errorf("the running connection's password is in the log:\n%s", d.Log.String())
	}
}

// TestComponentFailureStopsDaemon: a component whose Run returns on its
// own makes Run shut everything down and return the error.
func TestComponentFailureStopsDaemon(t *testing.T) {
	f := newFakes()
	d := start(t, writeConfig(t, configA), f)
	// The error leaves the process (the CLI prints it): no credential in it.
	f.det.failWith <- errors.New("endpoint exploded (password " + camPassword + ")")
	select {
	case <-d.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("daemon kept running after a component failed")
	}
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "detector: endpoint exploded (password ***)") {
		t.Errorf("Run = %v", err)
	}
	ev := f.rec.list()
	if ev[len(ev)-1] != "stop publisher" {
		t.Errorf("publisher not stopped last: %v", ev)
	}
}

// TestShutdownDeadline: a component that ignores cancellation cannot hold
// the daemon past shutdown_timeout, nor keep the publisher from stopping
// in order (ending open events, flushing) within the half of the budget
// kept for it.
func TestShutdownDeadline(t *testing.T) {
	f := newFakes()
	f.cams.stuck = true
	f.cams.release = make(chan struct{})
	defer close(f.cams.release)
	d := start(t, writeConfig(t, strings.Replace(configA, "shutdown_timeout: 2s", "shutdown_timeout: 300ms", 1)), f)
	t0 := time.Now()
	err := d.Stop(5 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "cameras did not stop within 150ms") {
		t.Errorf("Run = %v", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("shutdown took %s", el)
	}
	if ev := f.rec.list(); !slices.Contains(ev, "stop publisher") || !slices.Contains(ev, "stop detector") {
		t.Errorf("Run returned before the stages after the stuck one stopped: %v", ev)
	}
}

// TestInvalidConfigAtStart: Run refuses to start and lists every problem.
func TestInvalidConfigAtStart(t *testing.T) {
	path := writeConfig(t, strings.Replace(configA, "threshold: 0.6", "threshold: 0", 1)+"    hwaccel: opencl\n")
	err := daemon.New(daemon.Options{ConfigPath: path, Listen: "127.0.0.1:0", LogOutput: &daemontest.Buffer{}}, daemon.Deps{}).Run(t.Context())
	var errs configs.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Run = %v, want 2 configs.Errors", err)
	}
	if !strings.HasPrefix(err.Error(), "load configuration:\n") {
		t.Errorf("Run = %q, want the problems on lines of their own", err)
	}
	// A file that cannot be read is one problem: one line, naming the file.
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	err = daemon.New(daemon.Options{ConfigPath: missing, Listen: "127.0.0.1:0", LogOutput: &daemontest.Buffer{}}, daemon.Deps{}).Run(t.Context())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), missing) {
		t.Errorf("Run with a missing file = %q, want one line naming %s", err, missing)
	}
}

// TestWithoutPipeline: with no Factory the frame runs and says plainly
// that it is not ready.
func TestWithoutPipeline(t *testing.T) {
	d := start(t, writeConfig(t, configA), nil)
	code, body := d.Get(t, "/readyz")
	if code != 503 || !strings.Contains(body, "not wired into this build") {
		t.Errorf("/readyz = %d %s", code, body)
	}
	_, body = d.Get(t, "/api/v1/status")
	if !strings.Contains(body, `"not_wired"`) {
		t.Errorf("status: %s", body)
	}
	if err := d.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestStartFailure: a component failing at once makes Run return its
// error. (READY=1 is skipped when the failure is seen before it; the
// component's goroutine may also lose that race, so the test only checks
// that READY=1 is not repeated.)
func TestStartFailure(t *testing.T) {
	notes := daemontest.NotifySocket(t)
	f := newFakes()
	f.pub.failWith <- errors.New("cannot open spool")
	d := daemon.New(daemon.Options{ConfigPath: writeConfig(t, configA), Listen: "127.0.0.1:0", LogOutput: &daemontest.Buffer{}},
		daemon.Deps{Factory: f.factory})
	err := d.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "publisher: cannot open spool") {
		t.Fatalf("Run = %v", err)
	}
	if n := notes.Count("READY=1"); n > 1 {
		t.Errorf("READY=1 sent %d times", n)
	}
}

// TestStatusIsBounded: a component stuck in its stats (a publisher behind
// a stalled disk) makes /api/v1/status answer 503 after its timeout, and
// once a few requests are stuck, later ones are refused at once instead of
// piling up.
func TestStatusIsBounded(t *testing.T) {
	daemon.SetStatusTimeout(t, 200*time.Millisecond)
	f := newFakes()
	d := start(t, writeConfig(t, configA), f)
	daemontest.Eventually(t, 5*time.Second, "status served", func() bool { code, _ := d.Get(t, "/api/v1/status"); return code == 200 })
	gate := make(chan struct{})
	f.pub.mu.Lock()
	f.pub.statsGate = gate
	f.pub.mu.Unlock()
	defer close(gate)
	for i := range 4 {
		if code, body := d.Get(t, "/api/v1/status"); code != http.StatusServiceUnavailable || !strings.Contains(body, "timed out") {
			t.Fatalf("request %d with the publisher stuck: %d %q, want 503 timed out", i, code, body)
		}
	}
	if code, body := d.Get(t, "/api/v1/status"); code != http.StatusServiceUnavailable || !strings.Contains(body, "too many requests in flight") {
		t.Fatalf("fifth request: %d %q, want 503 too many in flight", code, body)
	}
}

// TestRestartPendingClearsDespiteLiveGlobalChange: docs/config.md says a
// restart-pending lvlm/nats note stays "until the file has the global
// settings the daemon started with again". A setting applied live
// (global.log.level) that differs from the start must not keep the note.
func TestRestartPendingClearsDespiteLiveGlobalChange(t *testing.T) {
	path := writeConfig(t, configA)
	f := newFakes()
	d := start(t, path, f)

	withNATS := configA + "nats: {urls: [\"nats://127.0.0.1:4222\"]}\n"
	daemontest.WriteConfig(t, path, withNATS)
	daemontest.Eventually(t, 5*time.Second, "NATS change pending", func() bool {
		_, body := d.Get(t, "/api/v1/status")
		return strings.Contains(body, "nats settings: takes effect after a restart")
	})
	// Back to the start's NATS settings, with only the live log level changed.
	live := strings.Replace(configA, "shutdown_timeout: 2s", "shutdown_timeout: 2s\n  log: {level: debug}", 1)
	daemontest.WriteConfig(t, path, live)
	daemontest.Eventually(t, 5*time.Second, "reload applied", func() bool { return d.Config().Global.Log.Level == "debug" })
	if _, body := d.Get(t, "/api/v1/status"); strings.Contains(body, "takes effect after a restart") {
		t.Errorf("NATS settings are back to the start's, yet restart_pending still lists them:\n%s", body)
	}
}

// TestComponentFailureReportedOnce: the error Run returns (which the CLI
// prints) names a failed component's error once, not a second time as a
// "stop" error of the same stage.
func TestComponentFailureReportedOnce(t *testing.T) {
	f := newFakes()
	d := start(t, writeConfig(t, configA), f)
	f.pub.failWith <- errors.New("connect to NATS: authorization failed")
	select {
	case <-d.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("daemon kept running after a component failed")
	}
	err := d.Err()
	if err == nil {
		t.Fatal("Run returned nil")
	}
	if n := strings.Count(err.Error(), "authorization failed"); n != 1 {
		t.Errorf("Run's error names the failure %d times, want once:\n%v", n, err)
	}
}

// TestRestartPendingPerComponent: the NATS settings go back to the
// start's while another restart-only setting (global.node) still differs.
// restart_pending must list global.node, and no longer the NATS note:
// the publisher runs exactly the NATS settings the file now has.
func TestRestartPendingPerComponent(t *testing.T) {
	path := writeConfig(t, configA)
	f := newFakes()
	d := start(t, path, f)

	node := strings.Replace(configA, "node: test-node", "node: other-node", 1)
	daemontest.WriteConfig(t, path, node+"nats: {urls: [\"nats://127.0.0.1:4222\"]}\n")
	daemontest.Eventually(t, 5*time.Second, "NATS change pending", func() bool {
		_, body := d.Get(t, "/api/v1/status")
		return strings.Contains(body, "nats settings: takes effect after a restart")
	})
	daemontest.WriteConfig(t, path, node+"\n")
	daemontest.Eventually(t, 5*time.Second, "reload applied", func() bool { return len(d.Config().NATS.URLs) == 0 })
	_, body := d.Get(t, "/api/v1/status")
	if !strings.Contains(body, "global.node") {
		t.Fatalf("global.node not pending:\n%s", body)
	}
	if strings.Contains(body, "nats settings") {
		t.Errorf("NATS settings are back to the start's, yet restart_pending still lists them:\n%s", body)
	}
}
