package agent

import (
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// sleep is mod_dptools' sleep over switch_ivr_sleep (switch_ivr.c). On a
// leg without media it just waits. On a leg with media a received digit
// ends it early and stays queued (switch_ivr_sleep breaks on a pending
// digit when its input args have no callback), so the DTMF event comes
// from whatever dequeues next (park, after the CHANNEL_EXECUTE_COMPLETE of
// sleep). With sleep_eat_digits true it dequeues digits instead (DTMF
// events during the sleep) and only a playback terminator ends it, as
// playback's does (playbackTerminator). uuid_break ends it too.
func (c *channel) sleep(arg string) {
	ms, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || ms <= 0 {
		return
	}
	// uuid_break ends it (app_break.go); broken is touched on the channel
	// goroutine only.
	broken := false
	if c.takeBreak(func() { c.mbox.Push(func() { broken = true }) }) {
		return
	}
	defer c.endBreak()
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	if !c.mediaReady() {
		c.wait(func() bool { return broken }, t.C)
		return
	}
	if v, _ := c.getVar("sleep_eat_digits"); isTrue(v) {
		c.setVar("playback_terminator_used", "")
		ended := false
		c.readDTMF(func(d media.Digit) bool {
			ended = c.playbackTerminator(d)
			return ended
		}, func() { c.wait(func() bool { return broken || ended }, t.C) })
		return
	}
	c.wait(func() bool { return broken || len(c.dtmf.digits) > 0 }, t.C)
}

// mediaReady is switch_channel_media_ready: the leg has pre-answered or
// answered and has an RTP session.
func (c *channel) mediaReady() bool {
	c.mu.Lock()
	up := !c.media.IsZero() || !c.answered.IsZero()
	c.mu.Unlock()
	if !up {
		return false
	}
	_, err := c.session()
	return err == nil
}
