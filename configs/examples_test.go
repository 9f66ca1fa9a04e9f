package configs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/anyanomaly/anyanomaly/configs"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(configs.Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlToJSONValue converts YAML text to the value a JSON decoder would
// produce, which is what the schema validator expects.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	envRef  = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	credRef = regexp.MustCompile(`\$\{cred:([^}]+)\}`)
)

// exampleEnv sets every variable and credential an example refers to
// (without a default) to a dummy value, so that Load sees a deployment
// where the operator has provided them.
func exampleEnv(t *testing.T, data []byte) {
	for _, m := range envRef.FindAllSubmatch(data, -1) {
		t.Setenv(string(m[1]), "dummy-secret")
	}
	creds := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	for _, m := range credRef.FindAllSubmatch(data, -1) {
		if err := os.WriteFile(filepath.Join(creds, string(m[1])), []byte("dummy-cred\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExamples loads every example through Load and validates it against
// the JSON Schema: the two must agree that the examples are good.
func TestExamples(t *testing.T) {
	schema := compileSchema(t)
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(yamlToJSONValue(t, data)); err != nil {
				t.Errorf("schema rejects %s: %v", f, err)
			}
			exampleEnv(t, data)
			c, err := configs.Load(f)
			if err != nil {
				t.Fatalf("Load(%s):\n%v", f, err)
			}
			if len(c.Cameras) == 0 {
				t.Errorf("no cameras")
			}
			if !strings.Contains(string(data), "#") {
				t.Errorf("%s has no comments; examples are documentation", f)
			}
			// The unit (LoadCredential=secret:/etc/anyanomaly/credentials)
			// names every file there secret_<FILENAME>; an example that
			// reads another name fails its ExecStartPre once copied.
			for _, m := range credRef.FindAllSubmatch(data, -1) {
				if name := string(m[1]); !strings.HasPrefix(name, "secret_") && !strings.Contains(name, "NAME") {
					t.Errorf("${cred:%s}: the systemd unit provides credentials as secret_<FILENAME>", name)
				}
			}
		})
	}
}

// TestSchemaRejectsBrokenFiles checks that the schema catches what it can
// express, so editors flag the same mistakes as config check.
func TestSchemaRejectsBrokenFiles(t *testing.T) {
	schema := compileSchema(t)
	for name, y := range map[string]string{
		"unknown field":    base + "    tranport: tcp\n",
		"bad threshold":    base + "        threshold: 1.5\n",
		"bad enum":         base + "    hwaccel: opencl\n",
		"bad duration":     base + "        cooldown: 5 minutes\n",
		"two weights":      base + "        weights: [0.5, 0.5]\n",
		"bad id":           strings.Replace(base, "id: cam1", "id: cam.1", 1),
		"missing rules":    "cameras:\n  - {id: a, url: rtsp://h/a}\n",
		"bad url scheme":   strings.Replace(base, "rtsp://u", "http://u", 1),
		"hour 25":          base + "        active_hours: [\"22:00-25:00\"]\n",
		"minute 60":        base + "        active_hours: [\"08:60-09:00\"]\n",
		"port 0":           "nats:\n  embedded: {port: 0}\n" + base,
		"concurrency":      "lvlm:\n  endpoints: [{url: http://h:11434, model: m, concurrency: 500}]\n" + base,
		"queue size":       "lvlm:\n  queue_size: 0\n" + base,
		"prefix slash":     "nats:\n  subject_prefix: a/b\n" + base,
		"keep_alive 0":     "lvlm:\n  endpoints: [{url: http://h:11434, model: m, keep_alive: 0s}]\n" + base,
		"keep_alive 500ms": "lvlm:\n  endpoints: [{url: http://h:11434, model: m, keep_alive: 500ms}]\n" + base,
	} {
		t.Run(name, func(t *testing.T) {
			if err := schema.Validate(yamlToJSONValue(t, []byte(y))); err == nil {
				t.Errorf("schema accepts a broken file:\n%s", y)
			}
			if _, err := configs.Parse("t.yaml", []byte(y), testEnv()); err == nil {
				t.Errorf("Parse accepts a broken file")
			}
		})
	}
}

// TestSchemaAcceptsGoodFiles: what config check accepts, the schema
// must not flag either (an editor's red line on a valid file).
func TestSchemaAcceptsGoodFiles(t *testing.T) {
	schema := compileSchema(t)
	for name, y := range map[string]string{
		"capitalised days": base + "        active_hours: [\"Mon-Fri 08:00-18:00\"]\n",
		"spaced hours":     base + "        active_hours: [\"sat,sun   00:00-24:00\", \"22:00-06:00\"]\n",
		"stride 0":         base + "    segment: {frames: 24, stride: 0}\n",
		"upper-case url":   strings.Replace(base, "rtsp://u", "RTSP://u", 1),
		"any free port":    "nats:\n  embedded: {port: -1}\n" + base,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := configs.Parse("t.yaml", []byte(y), testEnv()); err != nil {
				t.Fatalf("Parse rejects it: %v", err)
			}
			if err := schema.Validate(yamlToJSONValue(t, []byte(y))); err != nil {
				t.Errorf("schema rejects a file config check accepts: %v\n%s", err, y)
			}
		})
	}
}

// TestDemoTemplate fills in configs/demo.yaml.in the way scripts/demo.sh
// does and loads the result.
func TestDemoTemplate(t *testing.T) {
	data, err := os.ReadFile("demo.yaml.in")
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer("@OLLAMA@", "http://127.0.0.1:11434", "@MODEL@", "qwen2.5vl:3b", "@STATE@", "/tmp/anyanomaly-demo/state").Replace(string(data))
	if strings.Contains(filled, "@") {
		t.Fatalf("placeholder left:\n%s", filled)
	}
	c, err := configs.Parse("demo.yaml", []byte(filled), configs.Env{})
	if err != nil {
		t.Fatalf("demo config:\n%v", err)
	}
	if c.Camera("cam1") == nil || !c.NATS.Embedded.MQTT.Enabled {
		t.Errorf("demo config = %+v", c)
	}
	if err := compileSchema(t).Validate(yamlToJSONValue(t, []byte(filled))); err != nil {
		t.Errorf("schema: %v", err)
	}
}
