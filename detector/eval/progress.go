package eval

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is a Progress drawn on a terminal with progressbar: count, rate,
// elapsed time and ETA. Use it only when w is a terminal; elsewhere leave
// Deps.Progress nil.
type Bar struct {
	w           io.Writer
	description string
	bar         *progressbar.ProgressBar
}

// NewBar returns a bar that draws on w once Start is called.
func NewBar(w io.Writer, description string) *Bar { return &Bar{w: w, description: description} }

// Start implements Progress.
func (b *Bar) Start(total int) {
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(b.description),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("segments"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(b.w, "\n") }),
	)
}

// Add implements Progress.
func (b *Bar) Add(n int) {
	if b.bar != nil {
		_ = b.bar.Add(n)
	}
}

// Finish implements Progress.
func (b *Bar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
