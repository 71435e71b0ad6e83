package agent

import (
	"strconv"
	"strings"

	"github.com/callplan/callplan/agent/media"
)

// This file is DTMF on a channel: sending RFC 4733 digits (uuid_send_dtmf,
// the send_dtmf app) and receiving them into the channel's digit queue,
// from which the running app dequeues them as DTMF events.

// dtmfQueue is a channel's received digits not yet dequeued. FreeSWITCH
// queues a received digit on the channel and fires the DTMF event only
// when the running app dequeues it: park, playback and record do, echo and
// bert_test do not, so a digit received during echo shows up when the leg
// is parked again (reference 5.3, switch_channel_dequeue_dtmf). Touched
// only on the channel goroutine.
type dtmfQueue struct {
	digits  []media.Digit
	dequeue bool // the running app dequeues digits as they arrive
	// onDigit is the running app's input callback (mod_dptools' on_dtmf
	// for playback, record and sleep): it sees each digit after its DTMF
	// event and returns true to end the app, which stops dequeuing and
	// leaves the digits behind it queued, as FreeSWITCH's play loop
	// dequeues one digit per pass and leaves the loop on a break.
	onDigit func(media.Digit) bool
}

// ReceivedDTMF is called by the signalling adapter's RTP session for every
// digit the peer sends (on the receive goroutine, so it only posts).
func (c *channel) ReceivedDTMF(d media.Digit) {
	c.mbox.Push(func() {
		c.dtmf.digits = append(c.dtmf.digits, d)
		if c.dtmf.dequeue {
			c.dequeueDTMF()
		}
	})
}

// dequeueDTMF fires a DTMF event for every queued digit, or up to the one
// the app's callback ends it on. Channel goroutine.
func (c *channel) dequeueDTMF() {
	for len(c.dtmf.digits) > 0 && c.dtmf.dequeue {
		d := c.dtmf.digits[0]
		c.dtmf.digits = c.dtmf.digits[1:]
		c.fireWith("DTMF", nil, func(e *event) {
			e.add("DTMF-Digit", string(d.Digit))
			e.add("DTMF-Duration", strconv.FormatUint(uint64(d.Duration), 10))
			e.add("DTMF-Source", dtmfSource(d))
		})
		if c.dtmf.onDigit != nil && c.dtmf.onDigit(d) {
			c.dtmf.dequeue, c.dtmf.onDigit = false, nil
		}
	}
	if len(c.dtmf.digits) == 0 {
		c.dtmf.digits = nil
	}
}

// appDTMF is called as each app starts: an app dequeues no digit unless it
// says so with readDTMF, even one nested in park (a sendmsg execute of
// echo on a parked leg). The returned function, run when the app returns,
// puts back the caller's mode and hands it what queued up.
func (c *channel) appDTMF() (restore func()) {
	prev, prevOn := c.dtmf.dequeue, c.dtmf.onDigit
	c.dtmf.dequeue, c.dtmf.onDigit = false, nil
	return func() {
		c.dtmf.dequeue, c.dtmf.onDigit = prev, prevOn
		c.dequeueDTMF()
	}
}

// whileDequeuingDTMF runs wait with received digits turned into DTMF
// events as they come, after those already queued: what park does.
// Channel goroutine.
func (c *channel) whileDequeuingDTMF(wait func()) { c.readDTMF(nil, wait) }

// readDTMF runs wait while dequeuing digits as they come, after those
// already queued, each handed to onDigit (nil: none) once its DTMF event
// fired: what an app that reads DTMF does. Channel goroutine.
func (c *channel) readDTMF(onDigit func(media.Digit) bool, wait func()) {
	prev, prevOn := c.dtmf.dequeue, c.dtmf.onDigit
	c.dtmf.dequeue, c.dtmf.onDigit = true, onDigit
	c.dequeueDTMF()
	wait()
	c.dtmf.dequeue, c.dtmf.onDigit = prev, prevOn
}

// playbackTerminator is mod_dptools' on_dtmf, the input callback of
// playback, record and sleep with sleep_eat_digits: a digit found in the
// channel variable playback_terminators ("*" when unset, "any" for
// 1234567890*#, "none" for no digit) ends the app and is kept in
// playback_terminator_used. It reports whether d was one.
func (c *channel) playbackTerminator(d media.Digit) bool {
	t, ok := c.getVar("playback_terminators")
	switch {
	case !ok:
		t = "*"
	case strings.EqualFold(t, "any"):
		t = "1234567890*#"
	case strings.EqualFold(t, "none"):
		return false
	}
	if strings.IndexByte(t, d.Digit) < 0 {
		return false
	}
	c.setVar("playback_terminator_used", string(d.Digit))
	return true
}

// sendDTMF sends a FreeSWITCH digit string toward the peer as RFC 4733
// events and sets last_dtmf_duration, as switch_core_session_send_dtmf_string
// does; like it, it pre-answers an inbound leg first.
func (c *channel) sendDTMF(arg string) error {
	digits, err := media.ParseDTMF(arg)
	if err != nil {
		return err
	}
	if c.isHungup() {
		return errHungup
	}
	_ = c.preAnswer()
	s, err := c.session()
	if err != nil {
		return err
	}
	if err := s.SendDTMF(digits); err != nil {
		return err
	}
	c.setVar("last_dtmf_duration", strconv.Itoa(media.LastDTMFDuration(digits)))
	return nil
}

// apiUUIDSendDTMF is uuid_send_dtmf <uuid> <digits>: it answers "+OK <uuid>
// sent DTMF <digits>." with the digits as given (fixture 07).
func apiUUIDSendDTMF(a *Agent, args string) string {
	const noSession = "-ERR Cannot locate session!\n"
	argv, c, reply := a.uuidArgs(args, 2, noSession, noSession)
	if c == nil {
		return reply
	}
	if err := c.do(func() error { return c.sendDTMF(argv[1]) }); err != nil {
		return "-ERR Operation failed\n"
	}
	return "+OK " + argv[0] + " sent DTMF " + argv[1] + ".\n"
}
