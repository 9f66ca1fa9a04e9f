package configs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

// TestFlowStyleErrorsNameTheKey: the docs and examples write rules and
// segments in flow style; an error there must name the key, not only its
// parent mapping.
func TestFlowStyleErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"rule threshold", "cameras:\n  - id: c\n    url: rtsp://10.0.0.1/x\n    rules: [{id: r, texts: [x], threshold: abc}]\n", "cameras[0].rules[0].threshold"},
		{"rule cooldown", "cameras:\n  - id: c\n    url: rtsp://10.0.0.1/x\n    rules: [{id: r, texts: [x], cooldown: 5}]\n", "cameras[0].rules[0].cooldown"},
		{"segment frames", "cameras:\n  - id: c\n    url: rtsp://10.0.0.1/x\n    segment: {frames: abc, stride: 2}\n    rules: [{id: r, texts: [x]}]\n", "cameras[0].segment.frames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configs.Parse("flow.yaml", []byte(tc.yaml), testEnv())
			var errs configs.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Parse = %v, want configs.Errors", err)
			}
			for _, e := range errs {
				if e.Path == tc.want {
					return
				}
			}
			t.Errorf("no error at %s: %v", tc.want, err)
		})
	}
}

// A substituted secret must never appear in an error, whatever quotes the
// message puts around it.
func TestSubstitutedSecretNotInDurationError(t *testing.T) {
	head := "cameras:\n  - id: c\n    url: rtsp://10.0.0.1/x\n"
	for _, y := range []string{
		head + "    rules: [{id: r, texts: [x], cooldown: \"${CAM1_PASSWORD}\"}]\n",
		head + "    rules:\n      - id: r\n        texts: [x]\n        cooldown: \"${CAM1_PASSWORD}\"\n",
	} {
		_, err := configs.Parse("f.yaml", []byte(y), testEnv())
		if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("Parse(%q) = %v: want an error without the secret", y, err)
		}
	}
}

// yaml.v3 shortens values over 10 bytes to 7 + "...": the key must still be named.
func TestFlowStyleLongValueNamesKey(t *testing.T) {
	y := "cameras:\n  - id: c\n    url: rtsp://10.0.0.1/x\n    rules: [{id: r, texts: [x], threshold: abcdefghijklmn}]\n"
	_, err := configs.Parse("f.yaml", []byte(y), testEnv())
	var errs configs.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse = %v", err)
	}
	for _, e := range errs {
		if e.Path == "cameras[0].rules[0].threshold" {
			return
		}
	}
	t.Errorf("no error at cameras[0].rules[0].threshold: %v", err)
}
