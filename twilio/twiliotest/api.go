package twiliotest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/callplan/callplan/twilio"
)

// create answers POST .../Calls.json.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	to, from, twiml, u := f.Get("To"), f.Get("From"), f.Get("Twiml"), f.Get("Url")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, twilio.CodeMissingParameter, "Required parameter To missing")
		return
	case from == "":
		writeError(w, http.StatusBadRequest, twilio.CodeMissingParameter, "Required parameter From missing")
		return
	case twiml == "" && u == "":
		writeError(w, http.StatusBadRequest, twilio.CodeMissingParameter, "Either Url, Twiml or ApplicationSid is required")
		return
	}
	prog := s.script(to)
	s.mu.Lock()
	if prog.Reject != 0 {
		s.stats.Rejected++
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, prog.Reject, fmt.Sprintf("call to %s refused", to))
		return
	}
	now := s.serveTime()
	dial := now
	if s.cps > 0 {
		// The account dials at most cps calls a second, one every
		// 1/cps: a call created sooner waits its turn in queued.
		if next := s.lastDial.Add(time.Duration(float64(time.Second) / s.cps)); !s.lastDial.IsZero() && next.After(dial) {
			dial = next
		}
		s.lastDial = dial
	}
	s.seq++
	c := &call{
		sid: fmt.Sprintf("CA%032x", s.seq), account: r.PathValue("account"),
		to: to, from: from, form: f, created: now, dial: dial, prog: prog,
	}
	s.calls[c.sid] = c
	s.order = append(s.order, c.sid)
	s.stats.Creates++
	s.scheduleCallbacks(c, now)
	res := c.resource(now)
	// The real API answers every create with the call queued, however
	// soon it is dialled.
	res["status"], res["start_time"] = string(twilio.StatusQueued), nil
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, res)
}

// lookup finds the call of a .../Calls/{CallSid}.json request; the caller
// holds s.mu.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *call {
	sid, ok := strings.CutSuffix(r.PathValue("call"), ".json")
	c := s.calls[sid]
	if !ok || c == nil || c.account != r.PathValue("account") {
		writeError(w, http.StatusNotFound, twilio.CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return nil
	}
	return c
}

// fetch answers GET .../Calls/{CallSid}.json.
func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c := s.lookup(w, r)
	if c == nil {
		s.mu.Unlock()
		return
	}
	s.stats.Fetches++
	res := c.resource(s.serveTime())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res)
}

// update answers POST .../Calls/{CallSid}.json with Status=completed or
// Status=canceled.
func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	to := twilio.Status(r.PostForm.Get("Status"))
	if to != twilio.StatusCompleted && to != twilio.StatusCanceled {
		writeError(w, http.StatusBadRequest, 21218, "Invalid Status: want completed or canceled")
		return
	}
	s.mu.Lock()
	c := s.lookup(w, r)
	if c == nil {
		s.mu.Unlock()
		return
	}
	now := s.serveTime()
	changed, ok := c.end(now, to)
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, twilio.CodeInvalidCallState, "Call is not in-progress. Cannot update.")
		return
	}
	s.stats.Updates++
	if changed {
		s.stats.Ended++
		c.stopCallbacks()
		if ev := callbackEvent(c.endedStatus); c.wantsCallback(ev) {
			s.postCallback(c, c.endedStatus)
		}
	}
	res := c.resource(now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res)
}

// account answers GET /2010-04-01/Accounts/{sid}.json for the account the
// request authenticated as (gate has checked it).
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	sid, ok := strings.CutSuffix(r.PathValue("account"), ".json")
	if !ok {
		writeError(w, http.StatusNotFound, twilio.CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sid": sid, "status": "active", "friendly_name": "callplan fake", "type": "Full"})
}
