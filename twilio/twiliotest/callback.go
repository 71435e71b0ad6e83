package twiliotest

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/twilio"
)

// callbackEvent is the StatusCallbackEvent that reports status s.
func callbackEvent(s twilio.Status) string {
	switch s {
	case twilio.StatusRinging:
		return twilio.EventRinging
	case twilio.StatusInProgress:
		return twilio.EventAnswered
	}
	if s.Final() {
		return twilio.EventCompleted
	}
	return ""
}

// wantsCallback reports whether the call asked for the event (the API's
// default is completed only).
func (c *call) wantsCallback(event string) bool {
	if c.form.Get("StatusCallback") == "" || event == "" {
		return false
	}
	events := c.form["StatusCallbackEvent"]
	if len(events) == 0 {
		return event == twilio.EventCompleted
	}
	for _, e := range events {
		for _, one := range strings.Fields(e) {
			if one == event {
				return true
			}
		}
	}
	return false
}

// scheduleCallbacks arms one timer per progression step the call asked to
// hear about; the caller holds s.mu.
func (s *Server) scheduleCallbacks(c *call, now time.Time) {
	for _, st := range c.prog.Steps {
		if !c.wantsCallback(callbackEvent(st.Status)) {
			continue
		}
		status := st.Status
		t := time.AfterFunc(c.dial.Add(st.After).Sub(now), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			// An update may have ended the call first: report only what
			// the call really reached.
			if s.closed || c.info(s.serveTime()).Status != status {
				return
			}
			s.postCallback(c, status)
		})
		c.timers = append(c.timers, t)
	}
}

// postCallback sends one status callback in the background; the caller
// holds s.mu.
func (s *Server) postCallback(c *call, status twilio.Status) {
	if s.closed {
		return
	}
	now := s.serveTime()
	ci := c.info(now)
	c.seq++
	f := url.Values{
		"CallSid": {c.sid}, "AccountSid": {c.account}, "From": {c.from}, "To": {c.to},
		"CallStatus": {string(status)}, "Direction": {"outbound-api"}, "ApiVersion": {twilio.APIVersion},
		"CallbackSource": {"call-progress-events"}, "Timestamp": {now.UTC().Format(twilio.TimeLayout)},
		"SequenceNumber": {strconv.Itoa(c.seq - 1)},
	}
	if status.Final() {
		d := 0
		if !ci.Answered.IsZero() && !ci.Ended.IsZero() {
			d = int(ci.Ended.Sub(ci.Answered) / time.Second)
		}
		f.Set("CallDuration", strconv.Itoa(d))
	}
	s.stats.Callbacks++
	target := c.form.Get("StatusCallback")
	s.cbWG.Add(1)
	go func() {
		defer s.cbWG.Done()
		resp, err := s.cbClient.PostForm(target, f)
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
}

// stopCallbacks disarms a call's pending callbacks; the caller holds s.mu.
func (c *call) stopCallbacks() {
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
}
