package segment

import "testing"

func TestSegmenter(t *testing.T) {
	tests := []struct {
		name      string
		n, stride int
		frames    int
		wantFirst []int64 // first frame index of each segment
	}{
		{"back to back", 4, 4, 10, []int64{0, 4}},
		{"sliding", 4, 2, 10, []int64{0, 2, 4, 6}},
		{"stride one", 3, 1, 5, []int64{0, 1, 2}},
		{"gaps", 2, 3, 9, []int64{0, 3, 6}},
		{"too short", 4, 4, 3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSegmenter("cam", tc.n, tc.stride)
			if err != nil {
				t.Fatal(err)
			}
			var got []*Segment
			for i := 0; i < tc.frames; i++ {
				if seg := s.Push(Frame{CameraID: "cam", Index: int64(i)}); seg != nil {
					got = append(got, seg)
				}
			}
			if len(got) != len(tc.wantFirst) {
				t.Fatalf("got %d segments, want %d", len(got), len(tc.wantFirst))
			}
			for k, seg := range got {
				if seg.Seq != uint64(k) || seg.CameraID != "cam" || len(seg.Frames) != tc.n {
					t.Fatalf("segment %d: seq %d camera %q len %d", k, seg.Seq, seg.CameraID, len(seg.Frames))
				}
				for j, f := range seg.Frames {
					if f.Index != tc.wantFirst[k]+int64(j) {
						t.Fatalf("segment %d frame %d has index %d, want %d", k, j, f.Index, tc.wantFirst[k]+int64(j))
					}
				}
			}
		})
	}
}

func TestSegmenterReset(t *testing.T) {
	s, _ := NewSegmenter("c", 3, 3)
	s.Push(Frame{Index: 0})
	s.Push(Frame{Index: 1})
	s.Reset()
	if s.Pending() != 0 {
		t.Fatalf("pending %d after reset", s.Pending())
	}
	for i := int64(10); i < 13; i++ {
		if seg := s.Push(Frame{Index: i}); seg != nil && seg.Frames[0].Index != 10 {
			t.Fatalf("segment after reset starts at %d", seg.Frames[0].Index)
		}
	}
}

func TestNewSegmenterRejects(t *testing.T) {
	if _, err := NewSegmenter("c", 0, 1); err == nil {
		t.Fatal("n=0 accepted")
	}
	if _, err := NewSegmenter("c", 2, 0); err == nil {
		t.Fatal("stride=0 accepted")
	}
}
