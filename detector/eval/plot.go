package eval

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/anyanomaly/anyanomaly/detector/eval/metrics"
	"github.com/anyanomaly/anyanomaly/detector/internal/plotdraw"
)

// Plot geometry and colours.
const (
	plotW, plotH        = 900, 240
	plotLeft, plotRight = 36, 12
	plotTop, plotBottom = 22, 22
)

var (
	plotBG     = color.RGBA{255, 255, 255, 255}
	plotAxis   = color.RGBA{90, 90, 90, 255}
	plotGrid   = color.RGBA{225, 225, 225, 255}
	plotTruth  = color.RGBA{250, 200, 200, 255}
	plotFused  = color.RGBA{20, 70, 200, 255}
	plotFrame  = color.RGBA{150, 150, 150, 255}
	plotText   = color.RGBA{30, 30, 30, 255}
	plotLegend = []struct {
		name string
		c    color.RGBA
	}{{"fused", plotFused}, {"frame only", plotFrame}, {"ground truth", plotTruth}}
)

// WritePlots writes one PNG per (run, video) under dir/<run>/<video>.png:
// the fused and frame-only curves (smoothed and normalised exactly as
// scored) over the ground truth shaded in red.
func (r *Report) WritePlots(dir string) error {
	for _, run := range r.Runs {
		rc := r.curves[run.Run]
		if rc == nil {
			continue
		}
		sub := filepath.Join(dir, run.Run)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
		s := rc.series
		for i, video := range s.videos {
			a, b := s.offsets[i], s.offsets[i+1]
			title := fmt.Sprintf("%s  %s  (%d frames)", run.Run, video, b-a)
			if auc, err := metrics.ROCAUC(rc.curves[Fused][a:b], s.labels[a:b]); err == nil {
				title += fmt.Sprintf("  fused AUC %.1f%%", 100*auc)
			}
			img := drawPlot(title, s.labels[a:b], rc.curves[Fused][a:b], rc.curves[FrameOnly][a:b])
			if err := writePNG(filepath.Join(sub, video+".png"), img); err != nil {
				return err
			}
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	err = png.Encode(f, img)
	return errors.Join(err, f.Close())
}

// EncodePlot draws one curve over its labels (for callers outside a
// report, e.g. tests); scores are expected in [0,1].
func EncodePlot(w io.Writer, title string, truth []bool, fused, frame []float64) error {
	return png.Encode(w, drawPlot(title, truth, fused, frame))
}

func drawPlot(title string, truth []bool, fused, frame []float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.NewUniform(plotBG), image.Point{}, draw.Src)
	x0, x1 := plotLeft, plotW-plotRight
	y0, y1 := plotTop, plotH-plotBottom // y0 = score 1, y1 = score 0
	n := len(truth)
	if n == 0 {
		return img
	}
	xOf := func(i int) int { return x0 + i*(x1-x0)/n }
	yOf := func(v float64) int { return y1 - int(v*float64(y1-y0)+0.5) }
	// Ground truth: shade the frames' columns.
	for i, t := range truth {
		if t {
			draw.Draw(img, image.Rect(xOf(i), y0, max(xOf(i+1), xOf(i)+1), y1), image.NewUniform(plotTruth), image.Point{}, draw.Src)
		}
	}
	for _, v := range []float64{0.25, 0.5, 0.75} {
		plotdraw.HLine(img, x0, x1, yOf(v), plotGrid)
	}
	curve(img, frame, xOf, yOf, plotFrame)
	curve(img, fused, xOf, yOf, plotFused)
	plotdraw.HLine(img, x0, x1, y1, plotAxis)
	plotdraw.VLine(img, x0, y0, y1, plotAxis)
	plotdraw.Text(img, 4, yOf(1)+4, "1", plotText)
	plotdraw.Text(img, 4, yOf(0)+4, "0", plotText)
	plotdraw.Text(img, x0, plotH-6, "0", plotText)
	end := fmt.Sprint(n)
	plotdraw.Text(img, x1-7*len(end), plotH-6, end, plotText)
	plotdraw.Text(img, x0+4, 14, title, plotText)
	lx := x1 - 250
	for _, l := range plotLegend {
		draw.Draw(img, image.Rect(lx, plotH-15, lx+14, plotH-7), image.NewUniform(l.c), image.Point{}, draw.Src)
		plotdraw.Text(img, lx+18, plotH-6, l.name, plotText)
		lx += 24 + 7*len(l.name)
	}
	return img
}

// curve draws a polyline through (xOf(i), yOf(v[i])), one vertex per frame.
func curve(img *image.RGBA, v []float64, xOf func(int) int, yOf func(float64) int, c color.RGBA) {
	for i := 1; i < len(v); i++ {
		plotdraw.Line(img, xOf(i-1), yOf(v[i-1]), xOf(i), yOf(v[i]), c, true)
	}
}
