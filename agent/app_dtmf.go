package agent

import (
	"strconv"

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

// dequeueDTMF fires a DTMF event for every queued digit. Channel goroutine.
func (c *channel) dequeueDTMF() {
	digits := c.dtmf.digits
	c.dtmf.digits = nil
	for _, d := range digits {
		c.fireWith("DTMF", nil, func(e *event) {
			e.add("DTMF-Digit", string(d.Digit))
			e.add("DTMF-Duration", strconv.FormatUint(uint64(d.Duration), 10))
			e.add("DTMF-Source", "RTP")
		})
	}
}

// appDTMF is called as each app starts: an app dequeues no digit unless it
// says so with whileDequeuingDTMF, even one nested in park (a sendmsg
// execute of echo on a parked leg). The returned function, run when the
// app returns, puts back the caller's mode and hands it what queued up.
func (c *channel) appDTMF() (restore func()) {
	prev := c.dtmf.dequeue
	c.dtmf.dequeue = false
	return func() {
		c.dtmf.dequeue = prev
		if prev {
			c.dequeueDTMF()
		}
	}
}

// whileDequeuingDTMF runs wait with received digits turned into DTMF
// events as they come, after those already queued: what an app that reads
// DTMF (park, playback, record) does. Channel goroutine.
func (c *channel) whileDequeuingDTMF(wait func()) {
	prev := c.dtmf.dequeue
	c.dtmf.dequeue = true
	c.dequeueDTMF()
	wait()
	c.dtmf.dequeue = prev
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
