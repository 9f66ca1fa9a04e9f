package daemon

import (
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// metrics owns the daemon's private registry: its own reload metrics,
// build info, the Go and process collectors, and a collector that turns
// the components' snapshots into metrics at scrape time (components keep
// plain counters; nothing is registered globally).
type metrics struct {
	reg           *prometheus.Registry
	reloadSuccess prometheus.Gauge
	reloadTime    prometheus.Gauge
	reloads       *prometheus.CounterVec
}

func newMetrics(version string, snap func() snapshot) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "anyanomaly_config_reload_success",
			Help: "1 when the last configuration load or reload succeeded, 0 when it failed (the previous configuration keeps running).",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "anyanomaly_config_last_reload_timestamp_seconds",
			Help: "Unix time of the last configuration load or reload attempt.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anyanomaly_config_reloads_total",
			Help: "Configuration reload attempts (SIGHUP, file change) by result (success, failure).",
		}, []string{"result"}),
	}
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "anyanomaly_build_info",
		Help:        "Build information; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "revision": revision},
	})
	build.Set(1)
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	m.reg.MustRegister(m.reloadSuccess, m.reloadTime, m.reloads, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&snapshotCollector{snap: snap})
	return m
}

// loaded records the configuration loaded at start (not a reload).
func (m *metrics) loaded(at time.Time) {
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
	m.reloadSuccess.Set(1)
}

func (m *metrics) reloaded(ok bool, at time.Time) {
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
	if ok {
		m.reloadSuccess.Set(1)
		m.reloads.WithLabelValues("success").Inc()
	} else {
		m.reloadSuccess.Set(0)
		m.reloads.WithLabelValues("failure").Inc()
	}
}

// snapshot is what the components report at one scrape.
type snapshot struct {
	cameras   []CameraStats
	detector  *DetectorStats
	publisher *PublisherStats
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	cam = []string{"camera"}

	descCameraState      = desc("anyanomaly_camera_state", "1 for the camera's current state (connecting, streaming, backoff, failed, stopped), 0 for the others.", "camera", "state")
	descCameraFrames     = desc("anyanomaly_camera_frames_total", "Decoded frames.", cam...)
	descCameraDropped    = desc("anyanomaly_camera_dropped_frames_total", "Frames or access units dropped because a queue was full.", cam...)
	descCameraDecodeErrs = desc("anyanomaly_camera_decode_errors_total", "Corrupt data met while decoding (not fatal).", cam...)
	descCameraReconnects = desc("anyanomaly_camera_reconnects_total", "Reconnection attempts.", cam...)
	descCameraSegments   = desc("anyanomaly_camera_segments_total", "Segments cut.", cam...)
	descCameraGated      = desc("anyanomaly_camera_gated_segments_total", "Rule checks of a segment (one per segment and rule) that the motion gate answered without the LVLM.", cam...)
	descCameraSegDropped = desc("anyanomaly_camera_dropped_segments_total", "Segments dropped because the consumer lagged.", cam...)
	descRuleScore        = desc("anyanomaly_rule_score", "Latest fused score of the rule, in [0,1].", "camera", "rule")
	descRuleOpen         = desc("anyanomaly_rule_event_open", "1 while the rule has an open event.", "camera", "rule")

	ep = []string{"endpoint", "model"}

	descLVLMCalls     = desc("anyanomaly_lvlm_calls_total", "LVLM chat requests sent, retries included.", ep...)
	descLVLMErrors    = desc("anyanomaly_lvlm_errors_total", "Failed LVLM calls.", ep...)
	descLVLMParse     = desc("anyanomaly_lvlm_parse_failures_total", "LVLM answers without a usable score.", ep...)
	descLVLMInFlight  = desc("anyanomaly_lvlm_in_flight", "LVLM calls in progress.", ep...)
	descLVLMLatency   = desc("anyanomaly_lvlm_call_duration_seconds", "LVLM call latency.", ep...)
	descLVLMQueue     = desc("anyanomaly_lvlm_queue_depth", "Segments waiting for the LVLM.")
	descLVLMQueueCap  = desc("anyanomaly_lvlm_queue_capacity", "Capacity of the LVLM queue.")
	descLVLMDropped   = desc("anyanomaly_lvlm_dropped_segments_total", "Segments dropped from the full LVLM queue (oldest first).")
	descEvents        = desc("anyanomaly_events_total", "Events by kind (started, updated, ended).", "kind")
	descPublished     = desc("anyanomaly_published_total", "Events acknowledged by NATS.")
	descPublishFail   = desc("anyanomaly_publish_failures_total", "Failed publish attempts (the event stays in the spool).")
	descNATSConnected = desc("anyanomaly_nats_connected", "1 while NATS is connected.")
	descSpoolDepth    = desc("anyanomaly_spool_depth", "Events waiting in the on-disk spool.")
	descSpoolBytes    = desc("anyanomaly_spool_bytes", "Size of the on-disk spool.")
	descSpoolDropped  = desc("anyanomaly_spool_dropped_total", "Events lost because the spool was full.")
)

// snapshotCollector exports the components' snapshots. It is "unchecked"
// for the variable parts (cameras and endpoints come and go on reload),
// hence Describe sends the fixed descriptors only.
type snapshotCollector struct {
	snap func() snapshot
	mu   sync.Mutex
}

// Describe implements prometheus.Collector.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCameraState, descCameraFrames, descCameraDropped, descCameraDecodeErrs,
		descCameraReconnects, descCameraSegments, descCameraGated, descCameraSegDropped, descRuleScore, descRuleOpen,
		descLVLMCalls, descLVLMErrors, descLVLMParse, descLVLMInFlight, descLVLMLatency, descLVLMQueue, descLVLMQueueCap,
		descLVLMDropped, descEvents, descPublished, descPublishFail, descNATSConnected, descSpoolDepth, descSpoolBytes, descSpoolDropped} {
		ch <- d
	}
}

// Collect implements prometheus.Collector, reading the snapshots now.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap()
	// Collectors run in the registry's goroutines, where a panic would
	// take the daemon down: a value that cannot be exported (e.g. a label
	// that is not UTF-8) is left out instead.
	send := func(m prometheus.Metric, err error) {
		if err == nil {
			ch <- m
		}
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		send(prometheus.NewConstMetric(d, prometheus.CounterValue, float64(v), labels...))
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		send(prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	seenCam := map[string]bool{}
	for _, cs := range s.cameras {
		if seenCam[cs.ID] {
			continue // a duplicate would make the scrape fail as a whole
		}
		seenCam[cs.ID] = true
		for _, st := range CameraStates {
			v := 0.0
			if cs.State == st {
				v = 1
			}
			gauge(descCameraState, v, cs.ID, st)
		}
		counter(descCameraFrames, cs.Frames, cs.ID)
		counter(descCameraDropped, cs.FramesDropped, cs.ID)
		counter(descCameraDecodeErrs, cs.DecodeErrors, cs.ID)
		counter(descCameraReconnects, cs.Reconnects, cs.ID)
		counter(descCameraSegments, cs.Segments, cs.ID)
		counter(descCameraGated, cs.SegmentsGated, cs.ID)
		counter(descCameraSegDropped, cs.SegmentsDropped, cs.ID)
		seenRule := map[string]bool{}
		for _, r := range cs.Rules {
			if seenRule[r.ID] {
				continue
			}
			seenRule[r.ID] = true
			gauge(descRuleScore, r.LastScore, cs.ID, r.ID)
			open := 0.0
			if r.Open != nil {
				open = 1
			}
			gauge(descRuleOpen, open, cs.ID, r.ID)
		}
	}
	if d := s.detector; d != nil {
		gauge(descLVLMQueue, float64(d.QueueDepth))
		gauge(descLVLMQueueCap, float64(d.QueueCapacity))
		counter(descLVLMDropped, d.Dropped)
		// Endpoints that share host:port and model (paths behind one load
		// balancer) share one series: summed, not dropped.
		var order [][2]string
		sum := map[[2]string]*EndpointStats{}
		for _, e := range d.Endpoints {
			l := [2]string{endpointLabel(e.URL), e.Model}
			t := sum[l]
			if t == nil {
				t = &EndpointStats{Latency: Histogram{Buckets: map[float64]uint64{}}}
				sum[l] = t
				order = append(order, l)
			}
			t.Calls += e.Calls
			t.Errors += e.Errors
			t.ParseFailures += e.ParseFailures
			t.InFlight += e.InFlight
			t.Latency.Count += e.Latency.Count
			t.Latency.Sum += e.Latency.Sum
			for b, n := range e.Latency.Buckets {
				t.Latency.Buckets[b] += n
			}
		}
		for _, l := range order {
			e := sum[l]
			counter(descLVLMCalls, e.Calls, l[0], l[1])
			counter(descLVLMErrors, e.Errors, l[0], l[1])
			counter(descLVLMParse, e.ParseFailures, l[0], l[1])
			gauge(descLVLMInFlight, float64(e.InFlight), l[0], l[1])
			send(prometheus.NewConstHistogram(descLVLMLatency, e.Latency.Count, e.Latency.Sum, e.Latency.Buckets, l[0], l[1]))
		}
	}
	if p := s.publisher; p != nil {
		kinds := make([]string, 0, len(p.Events))
		for k := range p.Events {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			counter(descEvents, p.Events[k], k)
		}
		counter(descPublished, p.Published)
		counter(descPublishFail, p.PublishFailures)
		connected := 0.0
		if p.Connected {
			connected = 1
		}
		gauge(descNATSConnected, connected)
		gauge(descSpoolDepth, float64(p.SpoolDepth))
		gauge(descSpoolBytes, float64(p.SpoolBytes))
		counter(descSpoolDropped, p.SpoolDropped)
	}
}

// endpointLabel keeps only host:port of an endpoint URL: never userinfo,
// paths or queries in a label.
func endpointLabel(raw string) string {
	u, err := redact.ParseURL(raw)
	if err != nil || u.Host == "" {
		return "invalid"
	}
	return u.Host
}
