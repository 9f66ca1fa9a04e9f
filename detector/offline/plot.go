package offline

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"github.com/anyanomaly/anyanomaly/detector/internal/plotdraw"
)

// Plot geometry and colours.
const (
	plotW, plotH                 = 960, 360
	marginL, marginR             = 48, 16
	marginT, marginB             = 28, 40
	plotAreaW                    = plotW - marginL - marginR
	plotAreaH                    = plotH - marginT - marginB
	legendX, legendY, legendStep = marginL + 8, 18, 110
)

var (
	colFused    = color.RGBA{200, 30, 30, 255}
	colFrame    = color.RGBA{40, 90, 200, 255}
	colPosition = color.RGBA{40, 160, 70, 255}
	colTemporal = color.RGBA{200, 140, 20, 255}
	colGrid     = color.RGBA{225, 225, 225, 255}
	colAxis     = color.RGBA{60, 60, 60, 255}
)

// WritePlot draws the per-frame scores over time as a PNG: the fused score
// thick, the three contexts thin, y from 0 to 1, x in frames.
func (r *Result) WritePlot(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	n := len(r.FrameScores.Fused)
	xOf := func(i float64) int {
		if n <= 1 {
			return marginL
		}
		return marginL + int(i*float64(plotAreaW)/float64(n-1)+0.5)
	}
	yOf := func(v float64) int { return marginT + plotAreaH - int(v*float64(plotAreaH)+0.5) }
	for k := 0; k <= 4; k++ {
		v := float64(k) / 4
		plotdraw.HLine(img, marginL, marginL+plotAreaW, yOf(v), colGrid)
		plotdraw.Text(img, 8, yOf(v)+4, fmt.Sprintf("%.2f", v), colAxis)
	}
	for k := 0; k <= 8 && n > 1; k++ {
		i := float64(k) * float64(n-1) / 8
		x := xOf(i)
		plotdraw.VLine(img, x, marginT, marginT+plotAreaH, colGrid)
		plotdraw.Text(img, x-12, plotH-marginB+16, fmt.Sprintf("%d", int(i+0.5)), colAxis)
	}
	plotdraw.HLine(img, marginL, marginL+plotAreaW, yOf(0), colAxis)
	plotdraw.VLine(img, marginL, marginT, marginT+plotAreaH, colAxis)
	plotdraw.Text(img, marginL+plotAreaW/2-20, plotH-6, "frame", colAxis)
	series := []struct {
		name  string
		v     []float64
		c     color.RGBA
		thick bool
	}{
		{"frame", r.FrameScores.Frame, colFrame, false},
		{"position", r.FrameScores.Position, colPosition, false},
		{"temporal", r.FrameScores.Temporal, colTemporal, false},
		{"fused", r.FrameScores.Fused, colFused, true},
	}
	for k, s := range series {
		for i := 1; i < len(s.v); i++ {
			plotdraw.Line(img, xOf(float64(i-1)), yOf(s.v[i-1]), xOf(float64(i)), yOf(s.v[i]), s.c, s.thick)
		}
		lx := legendX + k*legendStep
		for d := 0; d < 20; d++ {
			img.Set(lx+d, legendY-4, s.c)
			img.Set(lx+d, legendY-3, s.c)
		}
		plotdraw.Text(img, lx+24, legendY, s.name, colAxis)
	}
	return png.Encode(w, img)
}
