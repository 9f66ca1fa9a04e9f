package daemon

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// CheckResult is one readiness check's outcome in /readyz.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Readiness is the body of /readyz.
type Readiness struct {
	Ready  bool          `json:"ready"`
	Checks []CheckResult `json:"checks"`
}

// readiness runs every check concurrently, each with its own deadline.
func (d *Daemon) readiness(ctx context.Context) Readiness {
	checks := []Check{{Name: "daemon", Func: func(context.Context) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.state != stateRunning {
			return errors.New(d.state)
		}
		return nil
	}}}
	c := d.comps
	notWired := func(name string) Check {
		return Check{Name: name, Func: func(context.Context) error { return errors.New("not wired into this build") }}
	}
	if c.Publisher != nil {
		checks = append(checks, Check{Name: "publisher", Func: c.Publisher.Ready})
	} else {
		checks = append(checks, notWired("publisher"))
	}
	if c.Detector != nil {
		checks = append(checks, Check{Name: "detector", Func: c.Detector.Ready})
	} else {
		checks = append(checks, notWired("detector"))
	}
	if c.Cameras != nil {
		checks = append(checks, Check{Name: "cameras", Func: c.Cameras.Ready})
	} else {
		checks = append(checks, notWired("cameras"))
	}
	checks = append(checks, c.Checks...)
	res := Readiness{Ready: true, Checks: make([]CheckResult, len(checks))}
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			r := CheckResult{Name: ch.Name, OK: true}
			if err := ch.Func(cctx); err != nil {
				r.OK, r.Error = false, d.redactor.Redact(err.Error())
			}
			res.Checks[i] = r
		}()
	}
	wg.Wait()
	for _, r := range res.Checks {
		res.Ready = res.Ready && r.OK
	}
	return res
}

func (d *Daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	res := d.readiness(r.Context())
	code := http.StatusOK
	if !res.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, res)
}
