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

func TestMaskURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"rtsp://admin:hunter2@10.0.0.1:554/s", "rtsp://admin:***@10.0.0.1:554/s"},
		{"rtsp://admin:p@ss@10.0.0.1/s", "rtsp://admin:***@10.0.0.1/s"},
		{"rtsp://admin:p/w@10.0.0.1/s", "rtsp://admin:***@10.0.0.1/s"},
		{"rtsp://admin:pw@h/s?x=@y", "rtsp://admin:***@h/s?x=@y"},
		{"rtsp://admin@h/s", "rtsp://admin@h/s"},
		{"rtsp://h/s", "rtsp://h/s"},
		{"not a url", "not a url"},
		{"", ""},
	} {
		if got := configs.MaskURL(tt.in); got != tt.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskURLsInText(t *testing.T) {
	in := `dial rtsp://a:hunter2@h/s failed; retry "nats://u:p@ss@n:4222" later`
	got := configs.MaskURLsInText(in)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "p@ss") {
		t.Errorf("not masked: %s", got)
	}
	if !strings.Contains(got, "rtsp://a:***@h/s") {
		t.Errorf("masked wrongly: %s", got)
	}
}

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
nats: {urls: ["nats://u:natspw@h:4222"]}
cameras:
  - {id: a, url: "rtsp://u:campw@h/a", rules: [{id: r, texts: [x]}]}
`)
	got := strings.Join(c.Secrets(), ",")
	if !strings.Contains(got, "campw") || !strings.Contains(got, "natspw") {
		t.Errorf("Secrets() = %q", got)
	}
}
