package daemon

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks systemd's notify protocol ($NOTIFY_SOCKET). Without a
// socket (not under systemd, or Type= other than notify) every call is a
// no-op. A failed send is logged once: systemd would then kill a
// Type=notify service on its start timeout, and the log says why.
type notifier struct {
	log    *slog.Logger
	warned sync.Once
}

func (n *notifier) send(states ...string) {
	if _, err := sd.SdNotify(false, strings.Join(states, "\n")); err != nil {
		n.warned.Do(func() { n.log.Warn("systemd notify failed", "err", err) })
	}
}

func (n *notifier) ready(status string) { n.send(sd.SdNotifyReady, "STATUS="+status) }

func (n *notifier) reloading() {
	states := []string{sd.SdNotifyReloading}
	if m := strings.TrimSuffix(sd.SdNotifyMonotonicUsec(), "\n"); m != "" {
		states = append(states, m)
	}
	n.send(states...)
}

func (n *notifier) stopping() { n.send(sd.SdNotifyStopping, "STATUS=stopping") }

func (n *notifier) watchdog() { n.send(sd.SdNotifyWatchdog) }

// watchdogInterval is how often to check the control loop and ping: a
// quarter of WATCHDOG_USEC (sd_watchdog_enabled(3) advises at most half),
// so that one check that finds the loop busy is followed by another well
// before systemd's deadline; 0 when the watchdog is off.
func watchdogInterval() time.Duration {
	d, err := sd.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 4
}
