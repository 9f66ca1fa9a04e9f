package alerts

import (
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
)

func TestEmbeddedServerWithMQTT(t *testing.T) {
	cfg := testConfig(t) // no URL: the embedded server starts
	cfg.Embedded = EmbeddedConfig{StateDir: t.TempDir(), Port: -1, MQTT: true, MQTTPort: -1, User: "ha", Password: "mqtt-pw"}
	h := startPub(t, cfg)
	p := h.p
	alertstest.Eventually(t, 30*time.Second, "embedded server up and connected", func() bool {
		return p.Connected() && p.MQTTAddr() != ""
	})

	got := make(chan []byte, 4)
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + p.MQTTAddr()).SetClientID("home-assistant-test").
		SetUsername("ha").SetPassword("mqtt-pw").SetConnectTimeout(10 * time.Second).SetAutoReconnect(false)
	opts.SetDefaultPublishHandler(func(mqtt.Client, mqtt.Message) {})
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("MQTT connect to %s: %v", p.MQTTAddr(), tok.Error())
	}
	defer c.Disconnect(100)
	tok := c.Subscribe("anyanomaly/events/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		if m.Topic() == "anyanomaly/events/cam1/fall" {
			got <- m.Payload()
		}
	})
	if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("MQTT subscribe: %v", tok.Error())
	}

	feed(p, 0, 1)
	select {
	case b := <-got:
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil || ev.Kind != KindStarted || ev.Camera != "cam1" {
			t.Fatalf("MQTT payload %s: %v", b, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the MQTT client received no event")
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}
