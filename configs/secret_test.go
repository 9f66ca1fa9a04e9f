package configs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/anyanomaly/anyanomaly/configs"
)

// TestSecretsNeverPrint covers every way a value is commonly printed.
func TestSecretsNeverPrint(t *testing.T) {
	const pw = "hunter2"
	type holder struct {
		P configs.Secret
		U configs.SecretURL
	}
	h := holder{P: pw, U: configs.SecretURL("rtsp://u:" + pw + "@h/s")}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		outs = append(outs, fmt.Sprintf(verb, h), fmt.Sprintf(verb, h.P), fmt.Sprintf(verb, h.U))
	}
	j, _ := json.Marshal(h)
	y, _ := yaml.Marshal(h)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "p", h.P, "u", h.U, "h", h)
	outs = append(outs, string(j), string(y), logs.String(), h.P.String(), h.U.String())
	for _, o := range outs {
		if strings.Contains(o, pw) {
			t.Errorf("secret printed: %s", o)
		}
	}
	if h.P.Reveal() != pw || h.U.Password() != pw {
		t.Errorf("Reveal/Password lost the value")
	}
	if configs.Secret("").String() != "" {
		t.Errorf("empty secret should print empty")
	}
}

func TestConfigSecrets(t *testing.T) {
	c := mustParse(t, `
nats: {urls: ["nats://u:natspw@h:4222", "nats://natstoken@h2:4222"]}
cameras:
  - {id: a, url: "rtsp://u:campw@h/a", rules: [{id: r, texts: [x]}]}
`)
	got := strings.Join(c.Secrets(), ",")
	if !strings.Contains(got, "campw") || !strings.Contains(got, "natspw") || !strings.Contains(got, "natstoken") {
		t.Errorf("Secrets() = %q", got)
	}
}
