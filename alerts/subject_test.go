package alerts

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValidateToken(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"cam1", true}, {"front-door_2", true}, {"Küche", true},
		{"", false}, {"a.b", false}, {"a b", false}, {"a*", false}, {">", false},
		{"a/b", false}, {"a+b", false}, {"#", false}, {"a\tb", false}, {"a\x00", false},
		{strings.Repeat("x", 129), false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.id), func(t *testing.T) {
			err := ValidateToken("camera", tc.id)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateToken(%q) = %v, want ok=%v", tc.id, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "camera") {
				t.Fatalf("error does not name the culprit: %v", err)
			}
		})
	}
	if err := ValidatePrefix("site1.anyanomaly"); err != nil {
		t.Fatal(err)
	}
	if err := ValidatePrefix("a..b"); err == nil {
		t.Fatal("empty prefix token accepted")
	}
}

func TestSubjectsRebase(t *testing.T) {
	s := Subjects{Prefix: "new"}
	tests := []struct {
		subject string
		levels  int
		want    string
	}{
		{"anyanomaly.events.cam1.fall", 3, "new.events.cam1.fall"},
		{"site1.anyanomaly.events.cam1.fall", 3, "new.events.cam1.fall"},
		{"events.events.events.x", 3, "new.events.events.x"}, // a camera named "events"
		{"site1.anyanomaly.status.cam1", 2, "new.status.cam1"},
		{"new.status.cam1", 2, "new.status.cam1"},
		{"status.cam1", 2, "status.cam1"}, // too short to have a prefix: left alone
	}
	for _, tc := range tests {
		t.Run(tc.subject, func(t *testing.T) {
			if got := s.Rebase(tc.subject, tc.levels); got != tc.want {
				t.Fatalf("Rebase(%q, %d) = %q, want %q", tc.subject, tc.levels, got, tc.want)
			}
		})
	}
}

func FuzzValidateToken(f *testing.F) {
	for _, s := range []string{"cam1", "a.b", "a b", ">", "*", "", "\xff"} {
		f.Add(s)
	}
	subj := Subjects{Prefix: "p"}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateToken("camera", id) != nil {
			return
		}
		// A valid id yields exactly one token and no wildcard.
		s := subj.Event(id, "r")
		if strings.Count(s, ".") != 3 || strings.ContainsAny(s, "*> \t") {
			t.Fatalf("valid id %q made subject %q", id, s)
		}
	})
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Config{Password: "hunter2", Token: "tok-123", Embedded: EmbeddedConfig{Password: "pw-emb"}}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "password", cfg.Password, "cfg", cfg)
	js, _ := json.Marshal(cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String(), string(js)} {
		for _, secret := range []string{"hunter2", "tok-123", "pw-emb"} {
			if strings.Contains(out, secret) {
				t.Fatalf("secret %q printed in %s", secret, out)
			}
		}
	}
	if cfg.Password.Value() != "hunter2" {
		t.Fatal("Value lost the secret")
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Node: "n1", SpoolDir: "/tmp/x", Embedded: EmbeddedConfig{StateDir: "/tmp/y"}}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"node with dot", func(c *Config) { c.Node = "a.b" }, "node"},
		{"no spool", func(c *Config) { c.SpoolDir = "" }, "spool"},
		{"embedded without state", func(c *Config) { c.Embedded.StateDir = "" }, "state directory"},
		{"bad url", func(c *Config) { c.URLs = []string{"::"} }, "URL"},
		{"cert without key", func(c *Config) { c.URLs = []string{"nats://h:1"}; c.TLSCertFile = "c" }, "key"},
		{"dup window over max age", func(c *Config) { c.MaxAge = 1; c.DuplicateWindow = 2 }, "duplicate window"},
		{"negative max bytes", func(c *Config) { c.MaxBytes = -1 }, "max bytes"},
		{"stream with dot", func(c *Config) { c.Stream = "A.B" }, "stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestNegativeRetentionMeansUnlimited(t *testing.T) {
	c := Config{Node: "n", SpoolDir: "/x", Embedded: EmbeddedConfig{StateDir: "/y"}, MaxAge: -1, SnapshotTTL: -1}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := New(c, Deps{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.streamConfig().MaxAge; got != 0 {
		t.Fatalf("stream max age %v, want 0 (unlimited)", got)
	}
}
