package stream

import "testing"

func TestFrameNumber(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int64
		ok   bool
	}{
		{"000.jpg", 0, true}, {"0123.jpg", 123, true}, {"frame_0042.jpeg", 42, true},
		{"01_0005.jpg", 5, true}, {"img9x.jpg", 9, true}, {"cover.jpg", 0, false},
	} {
		n, ok, err := frameNumber(tc.name)
		if n != tc.n || ok != tc.ok || err != nil {
			t.Errorf("frameNumber(%q) = %d, %v; want %d, %v", tc.name, n, ok, tc.n, tc.ok)
		}
	}
}

// FuzzFrameNumber: frame file names come from users' data sets.
func FuzzFrameNumber(f *testing.F) {
	f.Add("000.jpg")
	f.Add("frame_99999999999999999999.jpg")
	f.Add("a1b2c3.JPEG")
	f.Fuzz(func(t *testing.T, name string) {
		n, ok, err := frameNumber(name)
		if ok && (n < 0 || err != nil) {
			t.Fatalf("negative frame number %d for %q", n, name)
		}
	})
}
