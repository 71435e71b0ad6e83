package twiliotest

import (
	"net/url"
	"strconv"
	"time"

	"github.com/callplan/callplan/twilio"
)

// call is one fake call. Its status is computed from the clock, the
// progression and any update, never advanced by a goroutine.
type call struct {
	sid     string
	account string
	to      string
	from    string
	form    url.Values
	created time.Time
	dial    time.Time // dialling starts: created, or later when CPS-queued
	prog    Progression
	// Set when an update request ended the call.
	endedAt     time.Time
	endedStatus twilio.Status
	// Status callbacks: pending timers and the sequence number.
	timers []*time.Timer
	seq    int
}

// CallInfo is what the fake knows about a call, on its own clock (full
// resolution, unlike the API's seconds).
type CallInfo struct {
	SID        string
	To, From   string
	Form       url.Values // the create request's parameters
	Status     twilio.Status
	Created    time.Time
	Dialled    time.Time // zero while queued
	Answered   time.Time // zero if never answered
	Ended      time.Time // zero while up
	EndedByAPI bool      // an update request ended it
}

// QueueDelay is how long the call waited for the account's CPS.
func (c CallInfo) QueueDelay() time.Duration {
	if c.Dialled.IsZero() {
		return 0
	}
	return c.Dialled.Sub(c.Created)
}

func (c *call) info(now time.Time) CallInfo {
	ci := CallInfo{SID: c.sid, To: c.to, From: c.from, Form: c.form, Created: c.created}
	if !c.endedAt.IsZero() {
		ci.Status, ci.Ended, ci.EndedByAPI = c.endedStatus, c.endedAt, true
		ci.Answered = c.answeredBy(c.endedAt)
		if !c.dial.After(c.endedAt) {
			ci.Dialled = c.dial
		}
		return ci
	}
	if now.Before(c.dial) {
		ci.Status = twilio.StatusQueued
		return ci
	}
	ci.Dialled = c.dial
	s, since := c.prog.at(now.Sub(c.dial))
	ci.Status = s
	ci.Answered = c.answeredBy(now)
	if s.Final() {
		ci.Ended = c.dial.Add(since)
	}
	return ci
}

// answeredBy is when the progression answered, if it had by t.
func (c *call) answeredBy(t time.Time) time.Time {
	a, ok := c.prog.answeredAfter()
	if !ok || t.Before(c.dial.Add(a)) {
		return time.Time{}
	}
	return c.dial.Add(a)
}

// end applies an update request at now: completed ends any live call,
// canceled only a queued or ringing one. It reports whether the call
// changed and whether the update was acceptable at all (a call that is
// already over answers error 21220).
func (c *call) end(now time.Time, to twilio.Status) (changed, ok bool) {
	ci := c.info(now)
	if ci.Status.Final() {
		return false, false
	}
	if to == twilio.StatusCanceled && ci.Status == twilio.StatusInProgress {
		// The API ignores a cancel once the call is answered.
		return false, true
	}
	c.endedAt = now
	if ci.Status == twilio.StatusInProgress {
		c.endedStatus = twilio.StatusCompleted
	} else {
		// Ended before answer, whichever status was asked for.
		c.endedStatus = twilio.StatusCanceled
	}
	return true, true
}

// resource is the call as the API's JSON shows it.
func (c *call) resource(now time.Time) map[string]any {
	ci := c.info(now)
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(twilio.TimeLayout)
	}
	var duration any
	switch {
	case ci.Status == twilio.StatusCompleted && !ci.Answered.IsZero():
		duration = strconv.Itoa(int(ci.Ended.Sub(ci.Answered) / time.Second))
	case ci.Status.Final():
		duration = "0"
	}
	updated := ci.Created
	for _, t := range []time.Time{ci.Dialled, ci.Answered, ci.Ended} {
		if t.After(updated) {
			updated = t
		}
	}
	uri := "/" + twilio.APIVersion + "/Accounts/" + c.account + "/Calls/" + c.sid + ".json"
	return map[string]any{
		"sid":             c.sid,
		"account_sid":     c.account,
		"api_version":     twilio.APIVersion,
		"to":              c.to,
		"from":            c.from,
		"status":          string(ci.Status),
		"direction":       "outbound-api",
		"date_created":    ts(ci.Created),
		"date_updated":    ts(updated),
		"start_time":      ts(ci.Dialled),
		"end_time":        ts(ci.Ended),
		"duration":        duration,
		"queue_time":      strconv.FormatInt(c.dial.Sub(c.created).Milliseconds(), 10),
		"price":           nil,
		"price_unit":      "USD",
		"parent_call_sid": nil,
		"answered_by":     nil,
		"uri":             uri,
	}
}
