package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

// BenchmarkPublish measures events per second through the whole publisher
// (lifecycle, JSON, spool write + group fsync, async JetStream publish,
// ack, spool ack) against an in-process server on loopback with a file
// store. Each score makes one event message.
func BenchmarkPublish(b *testing.B) {
	srv := alertstest.StartServer(b, nil)
	cfg := testConfig(b, srv.URL())
	cfg.DisableSnapshots = true
	cfg.MaxInFlight = 1024
	h := startPub(b, cfg)
	alertstest.Eventually(b, 10*time.Second, "connected", h.p.Connected)
	b.ResetTimer()
	start := time.Now()
	feed(h.p, 0, b.N)
	waitDelivered(b, h.p, uint64(b.N))
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	if st := h.p.Stats(); st.Published != uint64(b.N) {
		b.Fatalf("published %d of %d", st.Published, b.N)
	}
}

// BenchmarkSpoolReplay measures how fast a publisher empties a spool left
// by an outage or a restart: b.N event records already on disk, sent in
// order with acks.
func BenchmarkSpoolReplay(b *testing.B) {
	srv := alertstest.StartServer(b, nil)
	cfg := testConfig(b, srv.URL())
	cfg.DisableSnapshots = true
	cfg.MaxInFlight = 1024
	sp, err := OpenSpool(cfg.SpoolDir, 1<<40, 1<<30, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"schema_version":1,"kind":"started","camera":"cam1","rule":"fall","score":0.9}`)
	for i := 0; i < b.N; i++ {
		r := spoolRecord{Kind: recMessage, Created: time.Now(), Target: "anyanomaly.events.cam1.fall",
			Key: fmt.Sprintf("bench-%d", i), Headers: [][2]string{{HeaderKind, KindStarted}}, Data: data}
		if _, err := sp.Append(r.encode()); err != nil {
			b.Fatal(err)
		}
	}
	if err := sp.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	h := startPub(b, cfg)
	waitDelivered(b, h.p, uint64(b.N))
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
}
