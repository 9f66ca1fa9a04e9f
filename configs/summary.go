package configs

import (
	"fmt"
	"strings"
)

// Summary describes a valid configuration in one line, for
// `anyanomaly config check` and the daemon's start-up log, e.g.
// "3 cameras (2 enabled), 5 rules (4 enabled), 1 LVLM endpoint
// (qwen2.5vl:3b), NATS embedded on 127.0.0.1:4222, node edge-01".
func (c *Config) Summary() string {
	cams, camsOn, rules, rulesOn := len(c.Cameras), 0, 0, 0
	for _, cam := range c.Cameras {
		if cam.Enabled {
			camsOn++
		}
		for _, r := range cam.Rules {
			rules++
			if r.Enabled && cam.Enabled {
				rulesOn++
			}
		}
	}
	var models []string
	seen := map[string]bool{}
	for _, ep := range c.LVLM.Endpoints {
		if !seen[ep.Model] {
			seen[ep.Model] = true
			models = append(models, ep.Model)
		}
	}
	nats := fmt.Sprintf("NATS embedded on %s:%d", c.NATS.Embedded.Host, c.NATS.Embedded.Port)
	if c.NATS.Embedded.MQTT.Enabled {
		nats += fmt.Sprintf(" (MQTT on %d)", c.NATS.Embedded.MQTT.Port)
	}
	if len(c.NATS.URLs) > 0 {
		nats = fmt.Sprintf("NATS %s", plural(len(c.NATS.URLs), "external server"))
	}
	return fmt.Sprintf("%s (%d enabled), %s (%d enabled), %s (%s), %s, node %s",
		plural(cams, "camera"), camsOn, plural(rules, "rule"), rulesOn,
		plural(len(c.LVLM.Endpoints), "LVLM endpoint"), strings.Join(models, ", "), nats, c.Global.Node)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
