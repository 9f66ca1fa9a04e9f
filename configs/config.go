// Package configs is AnyAnomaly's configuration language: the YAML file an
// operator edits, loaded strictly (unknown fields are errors), with
// ${ENV} and systemd-credential substitution, validated so that every
// problem is reported at once with its path and line, and compared with
// the running configuration by Diff for hot reload.
package configs

import "time"

// Config is a whole, loaded configuration file. Build one with Load or
// Parse; a zero Config is not valid.
type Config struct {
	// Global holds process-wide settings.
	Global Global `yaml:"global" json:"global"`
	// LVLM configures the vision-language model endpoints.
	LVLM LVLM `yaml:"lvlm" json:"lvlm"`
	// NATS configures event delivery.
	NATS NATS `yaml:"nats" json:"nats"`
	// Defaults are merged under every camera and rule before validation.
	Defaults Defaults `yaml:"defaults" json:"defaults"`
	// Cameras are the video sources and their rules.
	Cameras []Camera `yaml:"cameras" json:"cameras"`

	// path is the file the config came from ("" when parsed from memory).
	path string
	// lines maps a value's path (as in error messages) to its line.
	lines map[string]int
}

// Path returns the file the configuration was loaded from, or the name
// given to Parse.
func (c *Config) Path() string { return c.path }

// Line returns the line of the value at path (e.g.
// "cameras[0].rules[1].threshold"), falling back to the nearest enclosing
// value present in the file; 0 when unknown.
func (c *Config) Line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := c.lines[p]; ok {
			return l
		}
	}
	return 0
}

// Camera returns the camera with the given id, or nil.
func (c *Config) Camera(id string) *Camera {
	for i := range c.Cameras {
		if c.Cameras[i].ID == id {
			return &c.Cameras[i]
		}
	}
	return nil
}

// EnabledCameras returns the cameras that should run.
func (c *Config) EnabledCameras() []*Camera {
	var out []*Camera
	for i := range c.Cameras {
		if c.Cameras[i].Enabled {
			out = append(out, &c.Cameras[i])
		}
	}
	return out
}

// Secrets returns every credential the configuration holds (camera URL
// passwords, NATS password and token, also in its URLs, LVLM URL
// passwords), so that loggers
// can redact them wherever they appear.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, cam := range c.Cameras {
		out = append(out, cam.URL.Credentials()...)
	}
	for _, ep := range c.LVLM.Endpoints {
		out = append(out, ep.URL.Credentials()...)
	}
	for _, u := range c.NATS.URLs {
		out = append(out, u.Credentials()...)
	}
	add(c.NATS.Password.Reveal())
	add(c.NATS.Token.Reveal())
	return out
}

// Location returns the zone of Global.Timezone (the local zone when
// empty or invalid; Validate reports invalid names).
func (c *Config) Location() *time.Location {
	if c.Global.Timezone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(c.Global.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}
