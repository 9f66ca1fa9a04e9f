package eval

import (
	"bytes"
	"strings"
	"testing"
)

func TestBar(t *testing.T) {
	var b bytes.Buffer
	bar := NewBar(&b, "scoring")
	bar.Add(1) // before Start: ignored, no panic
	bar.Start(4)
	for range 4 {
		bar.Add(1)
	}
	bar.Finish()
	if out := b.String(); !strings.Contains(out, "scoring") || !strings.Contains(out, "4/4") {
		t.Errorf("bar drew %q", out)
	}
}
