package agent

import (
	"strconv"
	"strings"
	"time"
)

// header is one event header, kept in FreeSWITCH's order.
type header struct {
	Name, Value string
}

// event is one fired event: an immutable, ordered header list and an
// optional body. Every ESL connection that wants it shares the same value
// and encodes it in its own format.
type event struct {
	Name     string // Event-Name
	Subclass string // Event-Subclass for CUSTOM
	Headers  []header
	Body     string

	wire eventWire
	refs eventRefs // subscribers still holding it (eventpool.go)
	raw  []byte    // a frame queued in event order (the linger notice), not an event
}

// Get returns the first header named name (case-insensitively), as the
// filters and the conformance tests look headers up.
func (e *event) Get(name string) (string, bool) {
	for _, h := range e.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func (e *event) add(name, value string) {
	if value == "" {
		// FreeSWITCH omits headers without a value (captured: all).
		return
	}
	e.Headers = append(e.Headers, header{name, value})
}

// callingSite is what FreeSWITCH writes in Event-Calling-File, -Function
// and -Line-Number for an event type; the agent copies the captured values
// so that a frame-by-frame comparison with a real node stays quiet.
type callingSite struct {
	file, fn string
	line     int
}

var callingSites = map[string]callingSite{
	"CHANNEL_OUTGOING":         {"switch_core_session.c", "switch_core_session_outgoing_channel", 768},
	"CHANNEL_STATE":            {"switch_channel.c", "switch_channel_perform_set_running_state", 2408},
	"CHANNEL_CREATE":           {"switch_core_state_machine.c", "switch_core_session_run", 626},
	"CHANNEL_ORIGINATE":        {"switch_core_state_machine.c", "switch_core_session_run", 632},
	"CHANNEL_CALLSTATE":        {"switch_channel.c", "switch_channel_perform_set_callstate", 301},
	"CHANNEL_EXECUTE":          {"switch_core_session.c", "switch_core_session_exec", 2944},
	"CHANNEL_EXECUTE_COMPLETE": {"switch_core_session.c", "switch_core_session_exec", 2967},
	"CHANNEL_PARK":             {"switch_ivr.c", "switch_ivr_park", 1002},
	"CHANNEL_UNPARK":           {"switch_ivr.c", "switch_ivr_park", 1213},
	"CODEC":                    {"switch_core_codec.c", "switch_core_session_set_real_read_codec", 168},
	"DTMF":                     {"switch_channel.c", "switch_channel_dequeue_dtmf", 677},
	"CHANNEL_PROGRESS":         {"switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3534},
	"CHANNEL_PROGRESS_MEDIA":   {"switch_channel.c", "switch_channel_perform_mark_pre_answered", 3631},
	"CHANNEL_ANSWER":           {"switch_channel.c", "switch_channel_perform_mark_answered", 3846},
	"CALL_UPDATE":              {"switch_channel.c", "switch_channel_flip_cid", 3277},
	"CHANNEL_HANGUP":           {"switch_channel.c", "switch_channel_perform_hangup", 3445},
	"CHANNEL_HANGUP_COMPLETE":  {"switch_core_state_machine.c", "switch_core_session_reporting_state", 943},
	"CHANNEL_DESTROY":          {"switch_core_session.c", "switch_core_session_perform_destroy", 1584},
	"PRIVATE_COMMAND":          {"switch_ivr.c", "switch_ivr_parse_event", 512},
	"API":                      {"switch_loadable_module.c", "switch_api_execute", 2954},
	"BACKGROUND_JOB":           {"mod_event_socket.c", "api_exec", 1572},
	"HEARTBEAT":                {"switch_core.c", "send_heartbeat", 83},
	"RE_SCHEDULE":              {"switch_scheduler.c", "switch_scheduler_execute", 73},
}

// siteLines is callingSites' line numbers as header values, made once.
var siteLines = func() map[string]string {
	m := make(map[string]string, len(callingSites))
	for name, site := range callingSites {
		m[name] = strconv.Itoa(site.line)
	}
	return m
}()

// identity is what every event says about the node that fired it.
type identity struct {
	coreUUID   string
	hostname   string
	switchname string
	ipv4, ipv6 string
	step       time.Duration // Config.EventClockStep

	// dates keeps recent seconds' date strings (dates.go).
	dates secondCache
}

// newEvent starts an event with the core headers of section 3.1, in
// FreeSWITCH's order.
func (id *identity) newEvent(name, subclass string, seq uint64, now time.Time, size int) *event {
	now = id.stamp(now)
	e := &event{Name: name, Subclass: subclass, Headers: newHeaders(size)}
	// CUSTOM events put Event-Subclass first (captured: 06).
	e.add("Event-Subclass", subclass)
	e.Headers = append(e.Headers,
		header{"Event-Name", name},
		header{"Core-UUID", id.coreUUID},
		header{"FreeSWITCH-Hostname", id.hostname},
		header{"FreeSWITCH-Switchname", id.switchname},
		header{"FreeSWITCH-IPv4", id.ipv4},
	)
	e.add("FreeSWITCH-IPv6", id.ipv6)
	site := callingSites[name]
	line, ok := siteLines[name]
	if !ok {
		line = "0"
	}
	dates := id.dates.of(now)
	e.Headers = append(e.Headers,
		header{"Event-Date-Local", dates.local},
		header{"Event-Date-GMT", dates.gmt},
		header{"Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10)},
		header{"Event-Calling-File", site.file},
		header{"Event-Calling-Function", site.fn},
		header{"Event-Calling-Line-Number", line},
		header{"Event-Sequence", strconv.FormatUint(seq, 10)},
	)
	return e
}

// eventsWithVariables are the event types that carry every channel variable
// (switch_channel_event_set_data's list; captured: 01, 09).
var eventsWithVariables = map[string]bool{
	"CHANNEL_CREATE": true, "CHANNEL_ORIGINATE": true, "CHANNEL_UUID": true,
	"CHANNEL_ANSWER": true, "CHANNEL_PARK": true, "CHANNEL_UNPARK": true,
	"CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true, "CHANNEL_PROGRESS": true,
	"CHANNEL_PROGRESS_MEDIA": true, "CHANNEL_HANGUP": true,
	"CHANNEL_HANGUP_COMPLETE": true, "CHANNEL_DATA": true, "CHANNEL_EXECUTE": true,
	"CHANNEL_EXECUTE_COMPLETE": true, "CHANNEL_DESTROY": true,
	"SESSION_HEARTBEAT": true, "RECORD_START": true, "RECORD_STOP": true,
	"PLAYBACK_START": true, "PLAYBACK_STOP": true, "CALL_UPDATE": true,
	"MEDIA_BUG_START": true, "MEDIA_BUG_STOP": true, "CHANNEL_HOLD": true,
	"CHANNEL_UNHOLD": true,
}
