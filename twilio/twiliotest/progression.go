package twiliotest

import (
	"time"

	"github.com/callplan/callplan/twilio"
)

// Step is a status a call reaches After the moment dialling starts (the
// end of any CPS queueing).
type Step struct {
	After  time.Duration
	Status twilio.Status
}

// Progression is what happens to a call. Before its first step the call is
// queued. A Reject code makes the create request itself fail with that API
// error (e.g. twilio.CodeInvalidTo), so no call exists.
type Progression struct {
	Steps  []Step
	Reject int
}

// Answer rings for ring, is answered, and (when talk > 0) is hung up by
// the far end after talk; with talk 0 it stays up until ended through the
// API.
func Answer(ring, talk time.Duration) Progression {
	p := Progression{Steps: []Step{{0, twilio.StatusRinging}, {ring, twilio.StatusInProgress}}}
	if talk > 0 {
		p.Steps = append(p.Steps, Step{ring + talk, twilio.StatusCompleted})
	}
	return p
}

// Busy rings for ring, then the far end is busy.
func Busy(ring time.Duration) Progression {
	return Progression{Steps: []Step{{0, twilio.StatusRinging}, {ring, twilio.StatusBusy}}}
}

// NoAnswer rings for ring and nobody answers.
func NoAnswer(ring time.Duration) Progression {
	return Progression{Steps: []Step{{0, twilio.StatusRinging}, {ring, twilio.StatusNoAnswer}}}
}

// Failed fails after after, without ringing (an unroutable number).
func Failed(after time.Duration) Progression {
	return Progression{Steps: []Step{{after, twilio.StatusFailed}}}
}

// Canceled rings for ring and is then canceled by the API's side.
func Canceled(ring time.Duration) Progression {
	return Progression{Steps: []Step{{0, twilio.StatusRinging}, {ring, twilio.StatusCanceled}}}
}

// Rejected makes the create request fail with API error code.
func Rejected(code int) Progression { return Progression{Reject: code} }

// at is the status the progression has reached d after dialling started,
// and since when (relative to dialling).
func (p Progression) at(d time.Duration) (twilio.Status, time.Duration) {
	s, since := twilio.StatusQueued, time.Duration(0)
	for _, st := range p.Steps {
		if st.After > d {
			break
		}
		s, since = st.Status, st.After
	}
	return s, since
}

// answeredAfter is when the progression answers, relative to dialling.
func (p Progression) answeredAfter() (time.Duration, bool) {
	for _, st := range p.Steps {
		if st.Status == twilio.StatusInProgress {
			return st.After, true
		}
	}
	return 0, false
}
