package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// checkTimeout bounds each readiness check.
const checkTimeout = 2 * time.Second

// statusTimeout bounds an /api/v1/status request, as /metrics scrapes
// are bounded; a variable so that tests need not wait as long.
var statusTimeout = 10 * time.Second

// bounded answers 503 when h has not answered within timeout, or when
// inFlight requests are already being served. The in-flight slot is held
// by h itself, so requests stuck behind a blocked component stay bounded
// even after their clients were answered.
func bounded(h http.Handler, timeout time.Duration, inFlight int) http.Handler {
	slots := make(chan struct{}, inFlight)
	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		default:
			http.Error(w, "too many requests in flight: a component is not answering", http.StatusServiceUnavailable)
		}
	})
	return http.TimeoutHandler(limited, timeout, "timed out: a component is not answering\n")
}

func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	// A component blocked in its stats (a stalled disk under the
	// publisher's lock) must not pile up scrapes: they time out with 503,
	// and only a few run at once.
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{Timeout: 10 * time.Second, MaxRequestsInFlight: 4}))
	mux.HandleFunc("GET /healthz", d.serveHealth)
	mux.HandleFunc("GET /readyz", d.serveReady)
	// The status reads the same stats: the same bounds.
	mux.Handle("GET /api/v1/status", bounded(http.HandlerFunc(d.serveStatus), statusTimeout, 4))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "anyanomaly: /metrics /healthz /readyz /api/v1/status")
	})
	return mux
}

// serveHealth is liveness: the process answers and its control loop is
// not wedged. It says nothing about cameras or NATS (that is /readyz).
func (d *Daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
	defer cancel()
	if err := d.alive(ctx); err != nil {
		http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (d *Daemon) serveStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, d.Status())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}
