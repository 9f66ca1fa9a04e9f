package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// CameraChange says what a reload means for one camera.
type CameraChange int

// The kinds of camera change, from least to most disruptive.
const (
	// CameraUnchanged: nothing to do.
	CameraUnchanged CameraChange = iota
	// CameraUpdated: only rules, the motion gate or the name changed;
	// apply in place without reconnecting.
	CameraUpdated
	// CameraRestart: the URL, transport, TLS check, hwaccel, sampling, segment shape
	// or stall timeout changed; restart this camera's pipeline only.
	CameraRestart
	// CameraAdded: a new (or newly enabled) camera; start it.
	CameraAdded
	// CameraRemoved: a removed (or disabled) camera; stop it.
	CameraRemoved
)

// String names the change for logs.
func (c CameraChange) String() string {
	switch c {
	case CameraUnchanged:
		return "unchanged"
	case CameraUpdated:
		return "updated"
	case CameraRestart:
		return "restart"
	case CameraAdded:
		return "added"
	case CameraRemoved:
		return "removed"
	}
	return fmt.Sprintf("CameraChange(%d)", int(c))
}

// MarshalText writes the name, for JSON status.
func (c CameraChange) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// restartFields are the camera keys whose change needs a new pipeline.
var restartFields = map[string]bool{
	"url": true, "transport": true, "tls_insecure": true, "hwaccel": true, "sample_fps": true,
	"segment": true, "stall_timeout": true,
}

// CameraDiff is the change of one camera between two configurations.
type CameraDiff struct {
	// ID is the camera id.
	ID string `json:"id"`
	// Change is what to do.
	Change CameraChange `json:"change"`
	// Fields lists the changed settings of the camera (paths relative to
	// the camera, e.g. "url", "motion_gate.threshold",
	// "rules[fall].threshold"); never values.
	Fields []string `json:"fields,omitempty"`
	// RulesAdded, RulesRemoved and RulesChanged list rule ids (for
	// CameraUpdated and CameraRestart; rules of added or removed cameras
	// are not listed).
	RulesAdded   []string `json:"rules_added,omitempty"`
	RulesRemoved []string `json:"rules_removed,omitempty"`
	RulesChanged []string `json:"rules_changed,omitempty"`
}

// ConfigDiff is the result of Diff.
type ConfigDiff struct {
	// Cameras has one entry per camera enabled in either configuration,
	// sorted by id; disabled cameras count as absent.
	Cameras []CameraDiff `json:"cameras"`
	// Global lists the changed settings outside cameras and defaults
	// (e.g. "global.log.level", "lvlm.endpoints", "nats.urls"); defaults
	// are reflected in the cameras that inherit them.
	Global []string `json:"global,omitempty"`
}

// Diff compares two configurations for hot reload. old may be nil (every
// camera is then added).
func Diff(old, new *Config) *ConfigDiff {
	if old == nil {
		old = &Config{Global: new.Global, LVLM: new.LVLM, NATS: new.NATS}
	}
	d := &ConfigDiff{}
	for _, section := range []string{"global", "lvlm", "nats"} {
		a := reflect.ValueOf(old).Elem().FieldByIndex(fieldIndex(reflectTypeOfConfig, section))
		b := reflect.ValueOf(new).Elem().FieldByIndex(fieldIndex(reflectTypeOfConfig, section))
		diffValues(section, a, b, &d.Global)
	}
	oldCams, newCams := enabledByID(old), enabledByID(new)
	ids := make([]string, 0, len(oldCams)+len(newCams))
	for id := range oldCams {
		ids = append(ids, id)
	}
	for id := range newCams {
		if _, ok := oldCams[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		a, b := oldCams[id], newCams[id]
		switch {
		case a == nil:
			d.Cameras = append(d.Cameras, CameraDiff{ID: id, Change: CameraAdded})
		case b == nil:
			d.Cameras = append(d.Cameras, CameraDiff{ID: id, Change: CameraRemoved})
		default:
			d.Cameras = append(d.Cameras, diffCamera(a, b))
		}
	}
	return d
}

func enabledByID(c *Config) map[string]*Camera {
	m := map[string]*Camera{}
	for i := range c.Cameras {
		if c.Cameras[i].Enabled {
			m[c.Cameras[i].ID] = &c.Cameras[i]
		}
	}
	return m
}

func diffCamera(a, b *Camera) CameraDiff {
	cd := CameraDiff{ID: a.ID}
	var fields []string
	diffValues("", reflect.ValueOf(a.CameraSettings), reflect.ValueOf(b.CameraSettings), &fields)
	if a.URL != b.URL {
		fields = append(fields, "url")
	}
	if a.Name != b.Name {
		fields = append(fields, "name")
	}
	restart := false
	for _, f := range fields {
		top, _, _ := strings.Cut(f, ".")
		if restartFields[top] {
			restart = true
		}
	}
	oldRules, newRules := map[string]*Rule{}, map[string]*Rule{}
	for i := range a.Rules {
		oldRules[a.Rules[i].ID] = &a.Rules[i]
	}
	for i := range b.Rules {
		newRules[b.Rules[i].ID] = &b.Rules[i]
	}
	for i := range b.Rules {
		r := &b.Rules[i]
		o, ok := oldRules[r.ID]
		if !ok {
			cd.RulesAdded = append(cd.RulesAdded, r.ID)
			fields = append(fields, "rules["+r.ID+"]")
			continue
		}
		var rf []string
		diffValues("rules["+r.ID+"]", reflect.ValueOf(*o), reflect.ValueOf(*r), &rf)
		if len(rf) > 0 {
			cd.RulesChanged = append(cd.RulesChanged, r.ID)
			fields = append(fields, rf...)
		}
	}
	for i := range a.Rules {
		if _, ok := newRules[a.Rules[i].ID]; !ok {
			cd.RulesRemoved = append(cd.RulesRemoved, a.Rules[i].ID)
			fields = append(fields, "rules["+a.Rules[i].ID+"]")
		}
	}
	cd.Fields = fields
	switch {
	case restart:
		cd.Change = CameraRestart
	case len(fields) > 0:
		cd.Change = CameraUpdated
	}
	return cd
}

// diffValues appends the paths of the leaves that differ between a and b,
// descending into structs by their YAML keys; slices and scalars are
// compared whole.
func diffValues(path string, a, b reflect.Value, out *[]string) {
	if a.Kind() == reflect.Struct && !reflect.PointerTo(a.Type()).Implements(unmarshalerType) {
		t := a.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if strings.Contains(opts, "inline") {
				diffValues(path, a.Field(i), b.Field(i), out)
				continue
			}
			diffValues(joinKey(path, name), a.Field(i), b.Field(i), out)
		}
		return
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		*out = append(*out, path)
	}
}

func fieldIndex(t reflect.Type, yamlKey string) []int {
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == yamlKey {
			return []int{i}
		}
	}
	panic("configs: no field " + yamlKey)
}

// Empty reports whether nothing changed.
func (d *ConfigDiff) Empty() bool {
	if len(d.Global) > 0 {
		return false
	}
	for _, c := range d.Cameras {
		if c.Change != CameraUnchanged {
			return false
		}
	}
	return true
}

// Camera returns the entry for id, or nil.
func (d *ConfigDiff) Camera(id string) *CameraDiff {
	for i := range d.Cameras {
		if d.Cameras[i].ID == id {
			return &d.Cameras[i]
		}
	}
	return nil
}

// Changed reports whether any global setting under prefix changed
// (e.g. "lvlm", "nats", "global.log").
func (d *ConfigDiff) Changed(prefix string) bool {
	for _, p := range d.Global {
		if p == prefix || strings.HasPrefix(p, prefix+".") || strings.HasPrefix(p, prefix+"[") {
			return true
		}
	}
	return false
}

// Summary is a one-line description for logs, e.g.
// "cameras: added cam3; restart cam1; updated cam2 | global: lvlm.prompt_variant".
func (d *ConfigDiff) Summary() string {
	if d.Empty() {
		return "no changes"
	}
	byChange := map[CameraChange][]string{}
	for _, c := range d.Cameras {
		byChange[c.Change] = append(byChange[c.Change], c.ID)
	}
	var parts []string
	for _, ch := range []CameraChange{CameraAdded, CameraRemoved, CameraRestart, CameraUpdated} {
		if ids := byChange[ch]; len(ids) > 0 {
			parts = append(parts, ch.String()+" "+strings.Join(ids, ","))
		}
	}
	var s []string
	if len(parts) > 0 {
		s = append(s, "cameras: "+strings.Join(parts, "; "))
	}
	if len(d.Global) > 0 {
		s = append(s, "global: "+strings.Join(d.Global, ","))
	}
	return strings.Join(s, " | ")
}
