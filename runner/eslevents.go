package runner

import (
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
)

// This file is the ESL driver's event translation: the one place in the
// runner that reads FreeSWITCH's event and header names. The header sets
// are those of the captures under esl/testdata/fixtures (01 calls, 03 failures, 04 heartbeats, 06 mod_bert,
// 07 DTMF, 08 playback and record).

// subscribedEvents are the events the ESL driver asks every node for: the
// call progress the engine needs, heartbeats for the overdrive guard, and
// the media results flows check. CUSTOM subclasses go last; esl sends them
// after CUSTOM as FreeSWITCH requires.
func subscribedEvents() []string {
	return []string{
		"CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
		"CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "HEARTBEAT",
		"DTMF", "PLAYBACK_START", "PLAYBACK_STOP", "RECORD_START", "RECORD_STOP", "DETECTED_TONE",
		bertInSync, bertLostSync, bertTimeout,
	}
}

// mod_bert's CUSTOM subclasses (mod_bert.c; fixture 06).
const (
	bertInSync   = "mod_bert::in_sync"
	bertLostSync = "mod_bert::lost_sync"
	bertTimeout  = "mod_bert::timeout"
)

// keepHeader says which headers of an event translate reads, so the
// driver's connection decodes only those (esl.WithEventHeaders): a channel
// event carries every variable of its leg, about 150 headers and 5 kB
// (fixture 01), and translate reads at most a dozen. The esl client keeps
// Event-Name, Event-Subclass, Unique-ID, Job-UUID, Event-Date-Timestamp
// and a HEARTBEAT's figures itself. A header read in translate must be
// listed here: TestKeepHeaderCoversTranslate translates every fixture event
// both ways and compares.
func keepHeader(name string) bool {
	if v, ok := strings.CutPrefix(name, "variable_"); ok {
		switch v {
		case "sip_term_status", "playback_ms", "record_ms":
			return true
		}
		// Var matches the name in any case: a SUT may change the case of
		// the X-headers it passes on.
		return strings.HasPrefix(v, "rtp_audio_") ||
			equalFoldASCII(v, "sip_h_X-callplan-call") || equalFoldASCII(v, "sip_h_X-callplan-run")
	}
	switch name {
	case "Call-Direction", "Hangup-Cause", "Detected-Tone", "DTMF-Digit", "DTMF-Duration",
		"Playback-File-Path", "Playback-Status", "Record-File-Path", "Record-Completion-Cause",
		"sync_lost_percent", "sync_lost_count", "cng_count", "err_samples",
		"Idle-CPU", "Session-Count", "Max-Sessions":
		return true
	}
	return false
}

// equalFoldASCII is strings.EqualFold for ASCII names, without its
// Unicode tables: keepHeader runs on every header line of every event.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// channelKind maps the channel events that carry no figures.
func channelKind(name string) (EventKind, bool) {
	switch name {
	case "CHANNEL_CREATE":
		return EventCreated, true
	case "CHANNEL_PROGRESS":
		return EventProgress, true
	case "CHANNEL_PROGRESS_MEDIA":
		return EventEarlyMedia, true
	case "CHANNEL_ANSWER":
		return EventAnswered, true
	case "CHANNEL_PARK":
		return EventParked, true
	case "PLAYBACK_START":
		return EventPlaybackStart, true
	case "RECORD_START":
		return EventRecordStart, true
	}
	return 0, false
}

// translate turns one FreeSWITCH event into the runner's terms; ok is
// false for events the runner has no use for. received is when the
// driver read it.
func translate(ev *esl.Event, received time.Time) (le LegEvent, ok bool) {
	le = LegEvent{LegID: ev.UniqueID(), NodeTime: ev.Time(), Received: received}
	name := ev.Name()
	switch {
	case name == "HEARTBEAT":
		le.LegID = ""
		le.Kind, le.Health = EventHeartbeat, heartbeatHealth(ev)
		return le, true
	case name == "BACKGROUND_JOB":
		// The driver sends each originate with the call id as its
		// Job-UUID (ESLDriver.Originate).
		le.LegID, le.CallID = "", ev.JobUUID()
		le.Kind, le.Result = EventJobResult, strings.TrimSpace(firstLine(ev.Body))
		if le.Failed = strings.HasPrefix(le.Result, "-"); le.Failed {
			le.Cause = ownCause(strings.TrimSpace(strings.TrimPrefix(le.Result, "-ERR")))
		}
		return le, true
	case name == "CUSTOM":
		return bertEvent(ev, le)
	case name == "DETECTED_TONE" && le.LegID == "":
		// FreeSWITCH's DETECTED_TONE has no channel data; the flow's key
		// names the leg (flows.ToneKey).
		tone, uuid, ok := flows.ParseToneKey(ev.Get("Detected-Tone"))
		if !ok {
			return le, false
		}
		le.LegID, le.Kind, le.Tone = uuid, EventToneDetected, tone
		return le, true
	}
	if le.LegID == "" {
		return le, false
	}
	le.Leg = flows.LegCaller
	if strings.EqualFold(ev.Get("Call-Direction"), "inbound") {
		le.Leg = flows.LegCallee
	}
	if k, found := channelKind(name); found {
		le.Kind = k
		switch k {
		case EventCreated:
			if le.Leg == flows.LegCallee {
				// The X-headers arrive as variables on the inbound leg
				// (sofia.c; fixture 01); esl matches the name case-blind,
				// as a SUT may change the header's case.
				le.CallID, le.RunID = ev.Var("sip_h_X-callplan-call"), ev.Var("sip_h_X-callplan-run")
			}
		case EventPlaybackStart:
			le.Media.Path = ev.Get("Playback-File-Path")
		case EventRecordStart:
			le.Media.Path = ev.Get("Record-File-Path")
		}
		return le, true
	}
	switch name {
	case "CHANNEL_HANGUP_COMPLETE":
		le.Kind, le.Cause = EventHungUp, ownCause(ev.Get("Hangup-Cause"))
		le.SIPStatus = termStatus(ev.Var("sip_term_status"))
		le.Stats = mediaStats(ev)
	case "PLAYBACK_STOP":
		le.Kind = EventPlaybackStop
		le.Media = flows.MediaResult{Path: ev.Get("Playback-File-Path"), Status: ev.Get("Playback-Status"), Duration: msVar(ev, "playback_ms")}
	case "RECORD_STOP":
		le.Kind = EventRecordStop
		le.Media = flows.MediaResult{Path: ev.Get("Record-File-Path"), Status: ev.Get("Record-Completion-Cause"), Duration: msVar(ev, "record_ms")}
	case "DTMF":
		// DTMF-Duration is in samples at 8 kHz (fixture 07: @200 arrived as 1600).
		le.Kind, le.Digit = EventDTMF, ev.Get("DTMF-Digit")
		if n, err := strconv.Atoi(ev.Get("DTMF-Duration")); err == nil {
			le.DigitDuration = time.Duration(n) * time.Second / 8000
		}
	case "DETECTED_TONE":
		// switch_ivr_async.c's tone detector names the tone it heard.
		le.Kind, le.Tone = EventToneDetected, ev.Get("Detected-Tone")
		if tone, _, ok := flows.ParseToneKey(le.Tone); ok {
			le.Tone = tone
		}
	default:
		return le, false
	}
	return le, true
}

// ownCause returns a cause name that does not point into the event it was
// read from. An esl.Event keeps every header in one string and Get returns
// pieces of it, so a cause kept as a key of the per-second counts
// (metrics) would keep its whole CHANNEL_HANGUP_COMPLETE, about 8 kB, for
// the rest of the run: one event a second per series, measured as most of
// an embedded run's growth (docs/performance.md, memory over many calls).
// A known name becomes the hangup table's own string; another is copied.
func ownCause(s string) string {
	if c, ok := hangup.ByName(s); ok && c.String() == s {
		return c.String()
	}
	return strings.Clone(s)
}

// bertEvent reads mod_bert's sync reports (fixture 06): only lost_sync
// carries figures, as lower-case headers.
func bertEvent(ev *esl.Event, le LegEvent) (LegEvent, bool) {
	if le.LegID == "" {
		return le, false
	}
	le.Leg = flows.LegCaller
	if strings.EqualFold(ev.Get("Call-Direction"), "inbound") {
		le.Leg = flows.LegCallee
	}
	switch ev.Subclass() {
	case bertInSync:
		le.Kind = EventBERTInSync
	case bertTimeout:
		le.Kind = EventBERTTimeout
	case bertLostSync:
		le.Kind = EventBERTLostSync
		le.BERT.LostPercent, _ = strconv.ParseFloat(strings.TrimSpace(ev.Get("sync_lost_percent")), 64)
		le.BERT.LostCount, _ = strconv.Atoi(ev.Get("sync_lost_count"))
		le.BERT.CNGCount, _ = strconv.Atoi(ev.Get("cng_count"))
		le.BERT.ErrSamples, _ = strconv.Atoi(ev.Get("err_samples"))
	default:
		return le, false
	}
	return le, true
}

// heartbeatHealth reads a HEARTBEAT's load figures (switch_core.c's send_heartbeat; fixture 04).
func heartbeatHealth(ev *esl.Event) Health {
	h := UnknownHealth()
	h.HeartbeatAge = 0
	if v, err := strconv.ParseFloat(strings.TrimSpace(ev.Get("Idle-CPU")), 64); err == nil {
		h.IdleCPU = v
	}
	if v, err := strconv.Atoi(ev.Get("Session-Count")); err == nil {
		h.Sessions = v
	}
	if v, err := strconv.Atoi(ev.Get("Max-Sessions")); err == nil && v > 0 {
		h.MaxSessions = v
	}
	return h
}

// termStatus reads sip_term_status: the final SIP status the leg
// received, present only when FreeSWITCH received the ending message
// (fixtures 01 and 03); 0 otherwise.
func termStatus(v string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 100 {
		return n
	}
	return 0
}

// mediaStats collects the leg's rtp_audio_* end-of-call variables
// (set at hangup by switch_core_media.c; fixture 06), nil when it has none.
// Names and values are pieces of the event: the driver's events are
// narrowed to the headers translate reads (keepHeader), so the list pins
// about 2 kB, and only while the call's end is handled (its figures are
// read into the call record, correlate.go). One list, sized once: a leg
// has about 30 of them, and a copy of each was most of what the runner
// allocated per call.
func mediaStats(ev *esl.Event) flows.MediaStats {
	const prefix = "variable_rtp_audio_"
	n := 0
	for i := range ev.Len() {
		if strings.HasPrefix(ev.Header(i).Name, prefix) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	s := make(flows.MediaStats, 0, n)
	for i := range ev.Len() {
		if h := ev.Header(i); strings.HasPrefix(h.Name, prefix) {
			s = append(s, flows.MediaFigure{Name: h.Name[len("variable_"):], Value: h.Value})
		}
	}
	return s
}

func msVar(ev *esl.Event, name string) time.Duration {
	ms, err := strconv.ParseInt(strings.TrimSpace(ev.Var(name)), 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
