package labels

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEmbeddedCounts pins the counts the issue states for the paper's
// single-type runs: they are what the protocol's AUCs are computed over.
func TestEmbeddedCounts(t *testing.T) {
	tests := []struct {
		name      string
		load      func() (*Set, error)
		videos    int
		frames    int
		positives map[string]int
		multi     []string
	}{
		{
			name: "c-shtech", load: CShT, videos: 96, frames: 36388,
			positives: map[string]int{"falling": 468, "bicycle": 5105},
			multi: []string{"01_0064", "01_0076", "03_0035", "04_0001", "04_0011", "04_0012",
				"05_0023", "06_0145", "08_0044", "08_0058", "12_0142"},
		},
		{
			name: "c-avenue", load: CAvenue, videos: 18, frames: 12394,
			positives: map[string]int{"throwing": 1036},
			multi:     []string{"06", "09", "11"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.load()
			if err != nil {
				t.Fatal(err)
			}
			single := s.Single()
			if len(single) == 0 {
				t.Fatal("no single-type runs")
			}
			var multiVideos []string
			for _, r := range s.Multi() {
				for _, v := range r.Videos {
					multiVideos = append(multiVideos, v.Name)
				}
			}
			slices.Sort(multiVideos)
			if !slices.Equal(multiVideos, tc.multi) {
				t.Errorf("multi-event videos = %v, want %v", multiVideos, tc.multi)
			}
			all := s.VideoNames()
			for _, r := range single {
				if got := len(r.Videos); got != tc.videos {
					t.Errorf("run %s: %d videos, want %d", r.Name, got, tc.videos)
				}
				if got := r.Frames(); got != tc.frames {
					t.Errorf("run %s: %d frames, want %d", r.Name, got, tc.frames)
				}
				// Single-type runs are exactly the test set minus the
				// multi-event videos.
				var names []string
				for _, v := range r.Videos {
					names = append(names, v.Name)
					if slices.Contains(tc.multi, v.Name) {
						t.Errorf("run %s contains multi-event video %s", r.Name, v.Name)
					}
				}
				if len(names)+len(tc.multi) != len(all) {
					t.Errorf("run %s: %d videos + %d multi-event != %d test videos", r.Name, len(names), len(tc.multi), len(all))
				}
				if r.Kind == KindMixed {
					t.Errorf("run %s has no action/appearance kind", r.Name)
				}
				if len(r.Texts) != 1 || strings.Contains(r.Texts[0], "_") {
					t.Errorf("run %s: texts %q", r.Name, r.Texts)
				}
			}
			for run, want := range tc.positives {
				r, ok := s.Run(run)
				if !ok {
					t.Fatalf("no run %s", run)
				}
				if got := r.Positives(); got != want {
					t.Errorf("run %s: %d positive frames, want %d", run, got, want)
				}
				n := 0
				for _, v := range r.Videos {
					for _, m := range v.Mask(v.Frames) {
						if m {
							n++
						}
					}
				}
				if n != want {
					t.Errorf("run %s: masks hold %d positive frames, want %d", run, n, want)
				}
			}
		})
	}
}

func TestMultiTexts(t *testing.T) {
	s, err := CShT()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := s.Run("jumping-falling-pickup")
	if !ok || !r.Multi {
		t.Fatalf("run missing or not multi: %+v", r)
	}
	if want := []string{"jumping", "falling", "pickup"}; !slices.Equal(r.Texts, want) {
		t.Errorf("texts %q, want %q", r.Texts, want)
	}
	ht, _ := s.Run("hand_truck")
	if want := []string{"hand truck"}; !slices.Equal(ht.Texts, want) {
		t.Errorf("texts %q, want %q", ht.Texts, want)
	}
	sel, err := s.Select([]string{"multi", "falling"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sel.Runs); got != len(s.Multi())+1 || sel.Runs[0].Name != "falling" {
		t.Errorf("selected %d runs starting with %q", got, sel.Runs[0].Name)
	}
	if _, err := s.Select([]string{"flying"}); err == nil || !strings.Contains(err.Error(), `"flying"`) {
		t.Errorf("unknown run: err = %v", err)
	}
}

func TestParseGeneric(t *testing.T) {
	const ok = `{"dataset": "mine", "single": {"red_ball": [
		{"video": "b", "frames": 10, "anomalies": [[5, 8], [0, 2]]},
		{"video": "a", "frames": 0, "anomalies": []}]},
		"texts": {"red_ball": ["red ball", "ball"]}, "kinds": {"red_ball": "appearance"}}`
	s, err := Parse(strings.NewReader(ok), "x")
	if err != nil {
		t.Fatal(err)
	}
	r := s.Runs[0]
	if r.Videos[0].Name != "a" || r.Videos[1].Anomalies[0] != (Interval{0, 2}) || r.Kind != KindAppearance {
		t.Errorf("not sorted or kind lost: %+v", r)
	}
	if !slices.Equal(r.Texts, []string{"red ball", "ball"}) {
		t.Errorf("texts %q", r.Texts)
	}
	if got := r.Videos[1].Mask(10); !slices.Equal(got, []bool{true, true, false, false, false, true, true, true, false, false}) {
		t.Errorf("mask %v", got)
	}

	bad := []struct{ name, json, want string }{
		{"syntax", `{`, "decode JSON"},
		{"unknown field", `{"singel": {}}`, "unknown field"},
		{"no runs", `{}`, "no runs"},
		{"interval past end", `{"single": {"x": [{"video": "v", "frames": 4, "anomalies": [[2, 5]]}]}}`, "[2, 5)"},
		{"empty interval", `{"single": {"x": [{"video": "v", "frames": 4, "anomalies": [[2, 2]]}]}}`, "[2, 2)"},
		{"overlap", `{"single": {"x": [{"video": "v", "frames": 9, "anomalies": [[1, 5], [4, 6]]}]}}`, "overlap"},
		{"three numbers", `{"single": {"x": [{"video": "v", "frames": 9, "anomalies": [[1, 5, 6]]}]}}`, "not [start, end]"},
		{"path name", `{"single": {"x": [{"video": "../etc", "frames": 9}]}}`, "not a plain file name"},
		{"duplicate video", `{"single": {"x": [{"video": "v", "frames": 9}, {"video": "v", "frames": 9}]}}`, "appears twice"},
		{"frames disagree", `{"single": {"x": [{"video": "v", "frames": 9}], "y": [{"video": "v", "frames": 8}]}}`, "frames"},
		{"texts for unknown run", `{"single": {"x": [{"video": "v"}]}, "texts": {"y": ["a"]}}`, `"y"`},
		{"bad kind", `{"single": {"x": [{"video": "v"}]}, "kinds": {"x": "colour"}}`, "colour"},
		{"empty text", `{"single": {"x": [{"video": "v"}]}, "texts": {"x": [" "]}}`, "empty text"},
		{"trailing", `{"single": {"x": [{"video": "v"}]}} {}`, "trailing"},
		{"run twice", `{"single": {"x": [{"video": "v"}], "x": [{"video": "w"}]}}`, `key "single.x" appears twice`},
		{"group twice", `{"single": {"x": [{"video": "v"}]}, "single": {"y": [{"video": "w"}]}}`, `key "single" appears twice`},
		{"group twice in another case", `{"single": {"x": [{"video": "v"}]}, "Single": {"y": [{"video": "w"}]}}`, `key "Single" appears twice`},
		{"field twice in a video", `{"single": {"x": [{"video": "v", "frames": 9, "frames": 8}]}}`, `key "single.x[0].frames" appears twice`},
		{"field twice in a video, in another case", `{"single": {"x": [{"video": "v", "frames": 9, "Frames": 8}]}}`, `key "single.x[0].Frames" appears twice`},
		{"video name in another case", `{"single": {"x": [{"video": "v", "VIDEO": "w"}]}}`, `appears twice`},
		{"long s at the top", `{"single": {"x": [{"video": "v"}]}, "ſingle": {"y": [{"video": "w"}]}}`, `appears twice`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.json), "f.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "labels") {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// npyBytes writes a .npy file the way numpy.save does (version 1.0, header
// padded so the data starts at a multiple of 64).
func npyBytes(descr string, shape string, data []byte) []byte {
	h := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func TestReadNPY(t *testing.T) {
	want := []bool{false, true, true, false}
	f64 := make([]byte, 32)
	binary.LittleEndian.PutUint64(f64[8:], 0x3ff0000000000000)
	binary.LittleEndian.PutUint64(f64[16:], 0x4000000000000000)
	i64be := make([]byte, 32)
	binary.BigEndian.PutUint64(i64be[8:], 1)
	binary.BigEndian.PutUint64(i64be[16:], 7)
	tests := []struct {
		name  string
		file  []byte
		want  []bool
		error string
	}{
		{"bool", npyBytes("|b1", "(4,)", []byte{0, 1, 1, 0}), want, ""},
		{"uint8", npyBytes("|u1", "(4,)", []byte{0, 1, 2, 0}), want, ""},
		{"int64", npyBytes("<i8", "(4,)", []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), want, ""},
		{"int64 big-endian", npyBytes(">i8", "(4,)", i64be), want, ""},
		{"float64", npyBytes("<f8", "(4,)", f64), want, ""},
		{"column", npyBytes("|u1", "(4, 1)", []byte{0, 1, 1, 0}), want, ""},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), nil, "magic"},
		{"two-d", npyBytes("|u1", "(2, 2)", []byte{0, 1, 1, 0}), nil, "one-dimensional"},
		{"string dtype", npyBytes("<U1", "(4,)", make([]byte, 16)), nil, "dtype"},
		{"short data", npyBytes("|u1", "(4,)", []byte{0, 1}), nil, "read 4 elements"},
		{"huge shape", npyBytes("|u1", "(99999999999,)", nil), nil, "shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadNPY(bytes.NewReader(tc.file))
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("err = %v, want %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadMaskDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), npyBytes("|u1", "("+strconv.Itoa(len(data))+",)", data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("01_0014.npy", []byte{0, 0, 1, 1, 0, 1})
	write("01_0015.npy", []byte{0, 0, 0})
	s, err := LoadMaskDir(dir, "shanghaitech", "anomaly", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Runs[0]
	if len(r.Videos) != 2 || r.Videos[0].Name != "01_0014" || r.Videos[0].Frames != 6 ||
		!slices.Equal(r.Videos[0].Anomalies, []Interval{{2, 4}, {5, 6}}) || len(r.Videos[1].Anomalies) != 0 {
		t.Errorf("run %+v", r)
	}
	if _, err := LoadMaskDir(t.TempDir(), "shanghaitech", "anomaly", []string{"a"}); err == nil || !strings.Contains(err.Error(), "no .npy") {
		t.Errorf("empty dir: err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"single": {"x": [{"video": "v", "frames": 4, "anomalies": [[1, 3]]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for _, r := range s.Runs {
			for _, v := range r.Videos {
				_ = v.Mask(v.Frames)
			}
		}
	})
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npyBytes("|u1", "(4,)", []byte{0, 1, 1, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadNPY(bytes.NewReader(b))
		if err == nil {
			_ = Intervals(m)
		}
	})
}
