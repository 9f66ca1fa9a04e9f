package configs_test

import (
	"net"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

// TestPortClashBinds: the addresses the check calls a clash must
// really fail to bind together, and the ones it lets through must bind.
func TestPortClashBinds(t *testing.T) {
	tests := []struct {
		name, listen, host string
	}{
		{"127.0.0.1 vs ::1", "127.0.0.1:4222", "::1"},
		{"127.0.0.1 vs 127.0.0.2", "127.0.0.1:4222", "127.0.0.2"},
		{"any vs loopback", ":4222", "127.0.0.1"},
		{"[::] vs 127.0.0.1", "[::]:4222", "127.0.0.1"},
		{"same", "127.0.0.1:4222", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "global: {http: {listen: \"" + tt.listen + "\"}}\nnats: {embedded: {host: \"" + tt.host + "\", port: 4222}}\n" + base
			_, perr := configs.Parse("test.yaml", []byte(y), testEnv())
			// What the kernel says, on a free port.
			l1, err := net.Listen("tcp", strings.Replace(tt.listen, "4222", "0", 1))
			if err != nil {
				t.Skipf("cannot listen on %s: %v", tt.listen, err)
			}
			defer l1.Close()
			_, port, _ := net.SplitHostPort(l1.Addr().String())
			l2, berr := net.Listen("tcp", net.JoinHostPort(tt.host, port))
			if berr == nil {
				l2.Close()
			}
			clash := perr != nil && strings.Contains(perr.Error(), "also the port of global.http.listen")
			if clash != (berr != nil) {
				t.Errorf("config check says clash=%v (%v); binding both: %v", clash, perr, berr)
			}
		})
	}
}

// TestInheritedPromptNamesDefaults: a prompt without {text} set in
// defaults.rule and inherited by a two-text rule.
func TestInheritedPromptNamesDefaults(t *testing.T) {
	y := "defaults:\n  rule:\n    prompt: Is anything burning?\n" + base + "      - id: other\n        texts: [fire, smoke]\n"
	_, err := configs.Parse("test.yaml", []byte(y), testEnv())
	if err == nil {
		t.Fatal("accepted")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "defaults.rule.prompt") {
		t.Errorf("the error does not name defaults.rule.prompt, where the prompt is written:\n%v", err)
	}
}

// TestExternalNATSNotChecked: with urls set the embedded server is
// not started, so its default port must not clash.
func TestExternalNATSNotChecked(t *testing.T) {
	y := "global: {http: {listen: \":4222\"}}\nnats: {urls: [\"nats://h:4222\"], embedded: {mqtt: {enabled: true, port: 4222}}}\n" + base
	if _, err := configs.Parse("test.yaml", []byte(y), testEnv()); err != nil && strings.Contains(err.Error(), "global.http.listen") {
		t.Errorf("external NATS refused: %v", err)
	}
}
