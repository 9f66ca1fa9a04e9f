package streamtest

import "testing"

// The contract other packages rely on: no red-dominant pixel outside the
// anomaly interval, a solid red object inside it.
func TestSceneRedContract(t *testing.T) {
	spec := ClipSpec{Width: 160, Height: 120, FPS: 10, Seconds: 6, Seed: 7,
		Anomaly: &Anomaly{Start: 2, End: 3, X: 0.3, Y: 0.6, Size: 0.3, Moving: true}}
	for i := 0; i < spec.Frames(); i++ {
		f := RedFraction(DrawFrame(spec, i))
		if spec.AnomalyVisible(i) && f < 0.03 {
			t.Fatalf("frame %d: red fraction %.3f inside the anomaly interval", i, f)
		}
		if !spec.AnomalyVisible(i) && f != 0 {
			t.Fatalf("frame %d: red fraction %.3f outside the anomaly interval", i, f)
		}
	}
}

func TestDrawFrameDeterministic(t *testing.T) {
	spec := ClipSpec{Width: 64, Height: 48, Seed: 3}
	a, b := DrawFrame(spec, 5), DrawFrame(spec, 5)
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			t.Fatal("DrawFrame is not deterministic")
		}
	}
	if c := DrawFrame(spec, 6); string(c.Pix) == string(a.Pix) {
		t.Fatal("shapes do not move between frames")
	}
}
