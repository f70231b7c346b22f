package cli

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is a progress bar on standard error for work of a known size,
// drawn only on a terminal (e.IsTTY) and at most four times a second; off
// a terminal every method does nothing, so piped output stays clean. The
// bar is schollz/progressbar's.
type Progress struct {
	e     *Env
	bar   *progressbar.ProgressBar
	last  time.Time
	shown bool
	// BeforeDraw runs before the bar is drawn (a tool flushes its buffered
	// standard output there, so the two streams do not interleave).
	BeforeDraw func()
}

// NewProgress returns a bar for total units (bytes when bytes is true),
// labelled description, or a no-op Progress when e's stderr is not a
// terminal or total is below min (0: always drawn).
func NewProgress(e *Env, total, min int64, description string, bytes bool) *Progress {
	p := &Progress{e: e}
	if !e.IsTTY || total <= 0 || total < min {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.Stderr),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(false),
	)
	return p
}

// Set shows that n units are done.
func (p *Progress) Set(n int64) {
	if p.bar == nil {
		return
	}
	now := p.e.Now()
	if p.shown && now.Sub(p.last) < 250*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	if p.BeforeDraw != nil {
		p.BeforeDraw()
	}
	_ = p.bar.Set64(n)
}

// Done clears the bar from the terminal.
func (p *Progress) Done() {
	if p.bar == nil || !p.shown {
		return
	}
	_ = p.bar.Clear()
}
