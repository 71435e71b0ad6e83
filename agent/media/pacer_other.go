//go:build !linux

package media

import "time"

// Outside Linux a wheel sleeps on Go timers at the process's priority
// (pacer_linux.go says what Linux does instead, and why).
type pacer struct{ mode string }

func pinPacer(int) *pacer { return &pacer{mode: "normal"} }

func (p *pacer) hogging(time.Time) bool { return false }

func (p *pacer) demote() bool { return false }

func (p *pacer) sleepUntil(due time.Time) bool {
	d := time.Until(due)
	if d > 0 {
		time.Sleep(d)
	}
	return d > 0
}
