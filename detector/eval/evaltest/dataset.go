// Package evaltest is test support for the benchmark protocol: a small
// synthetic C-VAD dataset drawn at run time (folders of numbered JPEG
// frames plus labels in the generic JSON format) and a perception for
// detector/ollamatest designed so that the position and temporal contexts
// help for mechanistic reasons. Production code never imports it.
//
// The scenes (320×180, light grey ground):
//   - walkers: blue people strolling slowly along the bottom third, in every
//     video, so the motion relevance always has something to look at;
//   - "car" (appearance, large): a red car driving along the top road; in
//     some videos a red car is parked, static, in the top-left corner — a
//     look-alike distractor;
//   - "bicycle" (appearance, small): a small dark green object riding in the
//     bottom-right corner, far from the centre;
//   - "running" (action): a blue person, drawn exactly like the walkers,
//     running across the bottom third — only its motion tells it apart.
//
// Perceive (the stand-in LVLM) recognises an object class by its colour
// only when the object covers at least MinFraction of the picture it is
// given, and recognises running only as displacement across the four tiles
// of a temporal-context grid. Hence: the parked car fools the key frame
// but the position context darkens it (it does not move); the bicycle is
// too small in the key frame and the PC image but fills a TC tile; the
// runner looks like a walker in any single picture.
package evaltest

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/anyanomaly/anyanomaly/context/jpegenc"
)

// Scene geometry.
const (
	Width, Height = 320, 180
	// Frames per synthetic video: four segments of 24.
	VideoFrames = 96
)

// Colours of the scene contract.
var (
	ground    = color.RGBA{230, 230, 230, 255}
	kerb      = color.RGBA{205, 205, 205, 255}
	personCol = color.RGBA{170, 170, 255, 255}
	carCol    = color.RGBA{255, 0, 0, 255}
	bikeCol   = color.RGBA{0, 150, 0, 255}
)

// Event is one scripted event in a video: frames [Start, End).
type Event struct {
	Type       string
	Start, End int
}

// Video is one synthetic test video.
type Video struct {
	Name string
	// Parked puts the static red look-alike car in the scene.
	Parked bool
	Events []Event
	// Seed varies the walkers.
	Seed int
}

// Types are the event types of the synthetic dataset and their kinds.
var Types = map[string]string{"car": "appearance", "bicycle": "appearance", "running": "action"}

// DefaultVideos is the benchmark's dataset: every type with and without the
// distractor, and normal videos with and without it.
func DefaultVideos() []Video {
	return []Video{
		{Name: "v01", Seed: 1},
		{Name: "v02", Seed: 2, Parked: true},
		{Name: "v03", Seed: 3, Events: []Event{{"car", 30, 78}}},
		{Name: "v04", Seed: 4, Parked: true, Events: []Event{{"car", 40, 88}}},
		{Name: "v05", Seed: 5, Events: []Event{{"bicycle", 20, 70}}},
		{Name: "v06", Seed: 6, Parked: true, Events: []Event{{"bicycle", 44, 96}}},
		{Name: "v07", Seed: 7, Events: []Event{{"running", 24, 72}}},
		{Name: "v08", Seed: 8, Parked: true, Events: []Event{{"running", 40, 88}}},
		{Name: "v09", Seed: 9, Parked: true},
	}
}

// Write draws every video as a folder root/<name>/NNN.jpg and writes the
// labels, in the generic format of docs/eval.md, to root/labels.json, whose
// path it returns.
func Write(root string, videos []Video) (string, error) {
	enc, err := jpegenc.NewEncoder(92)
	if err != nil {
		return "", err
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, v := range videos {
		g.Go(func() error {
			dir := filepath.Join(root, v.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			img := image.NewRGBA(image.Rect(0, 0, Width, Height))
			var buf []byte
			for i := range VideoFrames {
				DrawFrame(img, v, i)
				var err error
				if buf, err = enc.Encode(buf[:0], img); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), buf, 0o644); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	path := filepath.Join(root, "labels.json")
	return path, WriteLabels(path, videos)
}

// WriteLabels writes the labels of videos in the generic format.
func WriteLabels(path string, videos []Video) error {
	type fileVideo struct {
		Video     string   `json:"video"`
		Frames    int      `json:"frames"`
		Anomalies [][2]int `json:"anomalies"`
	}
	single := map[string][]fileVideo{}
	for _, v := range videos {
		for typ := range Types {
			fv := fileVideo{Video: v.Name, Frames: VideoFrames, Anomalies: [][2]int{}}
			for _, e := range v.Events {
				if e.Type == typ {
					fv.Anomalies = append(fv.Anomalies, [2]int{e.Start, e.End})
				}
			}
			single[typ] = append(single[typ], fv)
		}
	}
	doc := map[string]any{
		"dataset": "synthetic",
		"source":  "generated at test time by detector/eval/evaltest",
		"single":  single,
		"kinds":   Types,
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// DrawFrame draws frame i of v into img (Width×Height).
func DrawFrame(img *image.RGBA, v Video, i int) {
	fill(img, 0, 0, Width, Height, ground)
	// Static scenery: the kerbs of the top road and of the walkway.
	fill(img, 0, 46, Width, 50, kerb)
	fill(img, 0, 112, Width, 116, kerb)
	if v.Parked {
		fill(img, 14, 18, 14+28, 18+16, carCol)
	}
	// Three walkers stroll at 0.25 px/frame, bouncing within the left two
	// thirds of the walkway. Pale and slow, they barely differ from the
	// segment's median background, so a smaller but faster and more
	// contrasted object wins the temporal context's window.
	for w := range 3 {
		span := 150
		p := (v.Seed*37 + w*53 + i/4) % (2 * span)
		if p >= span {
			p = 2*span - p
		}
		x := 10 + w*20 + p
		y := 124 + w*16
		if y+24 > Height {
			y = Height - 24
		}
		person(img, x, y)
	}
	for _, e := range v.Events {
		if i < e.Start || i >= e.End {
			continue
		}
		t := i - e.Start
		switch e.Type {
		case "car":
			// Right to left along the top road, 5 px/frame.
			x := 290 - 5*t
			fill(img, x, 22, x+28, 22+16, carCol)
		case "bicycle":
			// 12×12, bottom-right corner, 1.5 px/frame leftwards.
			x := 305 - 3*t/2
			fill(img, x, 150, x+12, 162, bikeCol)
		case "running":
			// Across the walkway's lower lane, 5 px/frame.
			x := 5*t - 10
			person(img, x, 150)
		}
	}
}

// person draws a 12×24 walker with its top-left corner at (x, y).
func person(img *image.RGBA, x, y int) {
	fill(img, x+3, y, x+9, y+6, personCol)   // head
	fill(img, x, y+6, x+12, y+24, personCol) // body
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for k := 0; k < len(row); k += 4 {
			row[k], row[k+1], row[k+2], row[k+3] = c.R, c.G, c.B, c.A
		}
	}
}
