package agent

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The conformance tests replay the command sequence of each FreeSWITCH
// capture that needs no media against the agent and compare what comes
// back: content types and reply texts in order, api and job bodies, the
// event names of each leg in order, and the set of headers per event
// type. UUIDs, times, sequence numbers and host values are normalised.
// Every remaining difference is listed below, and in docs/agent.md.

// fixtureDir is the esl package's verbatim copy of ../shared/fixtures/esl,
// so the test runs wherever the repository is checked out.
const fixtureDir = "../esl/testdata/fixtures"

func fixturePath(name string) string {
	if d := os.Getenv("CALLPLAN_FIXTURES"); d != "" {
		return filepath.Join(d, name)
	}
	return filepath.Join(fixtureDir, name)
}

// sentCommand is one command of a .sent.txt file.
type sentCommand struct {
	at   time.Duration
	text string // without the final blank line
}

func readSent(t *testing.T, name string) []sentCommand {
	t.Helper()
	b, err := os.ReadFile(fixturePath(name + ".sent.txt"))
	require.NoError(t, err)
	var out []sentCommand
	re := regexp.MustCompile(`(?m)^### t=\+([0-9.]+)s\n`)
	locs := re.FindAllSubmatchIndex(b, -1)
	for i, l := range locs {
		secs, err := strconv.ParseFloat(string(b[l[2]:l[3]]), 64)
		require.NoError(t, err)
		end := len(b)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		text := strings.TrimRight(string(b[l[1]:end]), "\n")
		out = append(out, sentCommand{at: time.Duration(secs * float64(time.Second)), text: text})
	}
	return out
}

func readFrames(t *testing.T, b []byte) []*esl.Frame {
	t.Helper()
	r := esl.NewReader(bytes.NewReader(b))
	var out []*esl.Frame
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		out = append(out, f)
	}
	return out
}

// transcript is one side's session, decoded.
type transcript struct {
	replies []string     // non-event frames, normalised: "content-type | reply-text | body"
	events  []*esl.Event // in arrival order
}

var (
	uuidRE   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	numberRE = regexp.MustCompile(`[0-9]+`)
	// FreeSWITCH's status line says "1 minute" but "2 minutes": once the
	// figures are N, the plural s depends on them and must go too.
	upUnitRE = regexp.MustCompile(`N (year|day|hour|minute|second|millisecond|microsecond)s?\b`)
)

func normalise(s string) string {
	return numberRE.ReplaceAllString(uuidRE.ReplaceAllString(s, "<uuid>"), "N")
}

func decodeTranscript(t *testing.T, frames []*esl.Frame) transcript {
	t.Helper()
	var tr transcript
	for _, f := range frames {
		if esl.IsEvent(f.ContentType()) {
			e, err := esl.DecodeEvent(f)
			require.NoError(t, err)
			tr.events = append(tr.events, e)
			continue
		}
		tr.replies = append(tr.replies, normaliseReply(f))
	}
	return tr
}

// normaliseReply keeps what must match of a reply frame. Bodies whose
// content depends on the host's history (status figures, show channels
// rows, sofia status counters) are reduced to their shape.
func normaliseReply(f *esl.Frame) string {
	body := string(f.Body)
	switch {
	case strings.HasPrefix(body, `{"row_count"`):
		body = `{"row_count"...`
	case strings.HasPrefix(body, "UP "):
		body = upUnitRE.ReplaceAllString(normalise(strings.SplitN(body, "\n", 2)[0]), "N $1(s)") + " ..."
	case strings.HasPrefix(body, "====="):
		body = "=====..."
	case strings.HasPrefix(body, "Event-Name: CHANNEL_DATA"):
		// uuid_dump: the header names and the bert_test variables; the
		// agent's variable set is smaller than FreeSWITCH's (docs/agent.md).
		var keep []string
		for _, line := range strings.Split(body, "\n") {
			name, value, _ := strings.Cut(line, ": ")
			switch {
			case strings.HasPrefix(name, "variable_bert_"):
				keep = append(keep, name+": "+value)
			case name != "" && !strings.HasPrefix(name, "variable_"):
				keep = append(keep, name)
			}
		}
		body = strings.Join(keep, "\n")
	default:
		body = normalise(body)
	}
	return f.ContentType() + " | " + normalise(f.ReplyText()) + " | " + body
}

// conformanceCase describes how to replay one fixture.
type conformanceCase struct {
	name string
	// skip drops commands the agent does not do yet (bert_test: media issue).
	skip func(cmd string) bool
	// rewrite derives a variation of a command (a shorter timeout).
	rewrite func(cmd string) string
	// untimed sends commands back to back instead of at the captured times.
	untimed bool
	// legFilter adjusts the agent's event names of one leg for a documented
	// difference.
	legFilter func(direction, dest string, names []string) []string
	// sipOnly replays only against real SIP and RTP: the fixture's events
	// come from media (bert_test, playback, recording), which the fake
	// signalling has none of.
	sipOnly bool
	// headerOrder names event types whose header names (variables aside)
	// must come in the fixture's order, per subclass and call direction.
	headerOrder []string
	// headerValues names headers whose values must match the fixture's on
	// those same first events (values that do not depend on time).
	headerValues []string
	// await names, for a command, the events the capture had before it
	// was sent: the replay waits (bounded) until the agent has sent as many,
	// so a loaded machine does not cut a timed step short.
	await func(cmd string) (name string, count int)
}

// dialplan answers what the fixtures' FreeSWITCH dialplan did by itself:
// destinations reject404 / reject486 are refused with that code. It also
// maps originating uuids to the agent's inbound legs.
type dialplan struct {
	c       *testClient
	mu      sync.Mutex
	inbound map[string]string // X-originating_session_uuid -> agent inbound uuid
	seen    int
}

func startDialplan(t *testing.T, addr string) *dialplan {
	d := &dialplan{c: dialTest(t, addr), inbound: map[string]string{}}
	d.c.auth()
	d.c.send("event plain CHANNEL_PARK")
	return d
}

// poll handles inbound parks seen so far.
func (d *dialplan) poll() {
	d.c.mu.Lock()
	evs := append([]*esl.Event(nil), d.c.events[d.seen:]...)
	d.seen = len(d.c.events)
	d.c.mu.Unlock()
	for _, e := range evs {
		if e.Get("Call-Direction") != "inbound" {
			continue
		}
		orig := e.Var("sip_h_X-originating_session_uuid")
		d.mu.Lock()
		d.inbound[orig] = e.UniqueID()
		d.mu.Unlock()
		switch dest := e.Get("Caller-Destination-Number"); dest {
		case "reject404", "reject486":
			d.c.send("sendmsg "+e.UniqueID(), "call-command: execute", "execute-app-name: respond",
				"execute-app-arg: "+strings.TrimPrefix(dest, "reject"))
		}
	}
}

// fixtureInbound maps the fixture's inbound leg uuids to their originating uuid.
func fixtureInbound(events []*esl.Event) map[string]string {
	m := map[string]string{}
	for _, e := range events {
		if e.Get("Call-Direction") == "inbound" {
			if o := e.Var("sip_h_X-originating_session_uuid"); o != "" {
				m[e.UniqueID()] = o
			}
		}
	}
	return m
}

func runConformance(t *testing.T, cc conformanceCase, realSIP bool) {
	fixture, err := os.ReadFile(fixturePath(cc.name + ".txt"))
	require.NoError(t, err)
	want := decodeTranscript(t, readFrames(t, fixture))
	if cc.skip != nil {
		// Drop what the skipped commands caused: their +OK replies and the
		// CUSTOM (mod_bert) events.
		skipped := 0
		for _, cmd := range readSent(t, cc.name) {
			if cc.skip(cmd.text) {
				skipped++
			}
		}
		for i := len(want.replies) - 1; i >= 0 && skipped > 0; i-- {
			if want.replies[i] == "command/reply | +OK | " {
				want.replies = slices.Delete(want.replies, i, i+1)
				skipped--
			}
		}
		want.events = slices.DeleteFunc(want.events, func(e *esl.Event) bool { return e.Name() == "CUSTOM" })
	}
	fixIn := fixtureInbound(want.events)

	node := func(c *Config) {
		// The captures' node: heartbeat every 2 s, max_sessions 2000, sps 1000.
		c.Heartbeat = 2 * time.Second
		c.MaxSessions, c.SPS = 2000, 1000
		c.Hostname = "vm" // the captured node's name
	}
	var a *Agent
	addrs := strings.NewReplacer()
	if realSIP {
		a = startSIPAgent(t, node)
		// The captures dial the node's own profile on :5080 and a closed
		// :5999; the agent listens on a random port.
		addrs = strings.NewReplacer("127.0.0.1:5080", a.SIPAddr(), "127.0.0.1:5999", "127.0.0.1:"+closedPort(t))
	} else {
		a = startTestAgent(t, newFakeNet(), "127.0.0.1:5080", node)
	}
	dp := startDialplan(t, a.Addr())
	c := dialTest(t, a.Addr())
	start := time.Now()
	c.next() // auth/request
	for _, cmd := range readSent(t, cc.name) {
		if cc.skip != nil && cc.skip(cmd.text) {
			continue
		}
		text := cmd.text
		if cc.rewrite != nil {
			text = cc.rewrite(text)
		}
		text = addrs.Replace(text)
		if d := time.Until(start.Add(cmd.at)); d > 0 && !cc.untimed {
			time.Sleep(d)
		}
		dp.poll()
		// Replace the fixture's inbound uuids by the agent's.
		for fixUUID, orig := range fixIn {
			if !strings.Contains(text, fixUUID) {
				continue
			}
			var got string
			// Generous: on a loaded machine the INVITE can take seconds.
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				dp.poll()
				dp.mu.Lock()
				got = dp.inbound[orig]
				dp.mu.Unlock()
				if got != "" {
					break
				}
			}
			require.NotEmpty(t, got, "no inbound leg for %s; replay connection saw %s", orig, c.names())
			text = strings.ReplaceAll(text, fixUUID, got)
		}
		if text == "exit" {
			// Wait (bounded) for the jobs the capture has, so a loaded
			// machine cannot cut the replay short.
			wantJobs := 0
			for _, e := range want.events {
				if e.Name() == "BACKGROUND_JOB" {
					wantJobs++
				}
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if jobsSeen(c) >= wantJobs {
					break
				}
			}
		}
		if cc.await != nil {
			if name, n := cc.await(text); n > 0 {
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if eventsSeen(c, name) >= n {
						break
					}
				}
			}
		}
		lines := strings.Split(text, "\n")
		c.send(lines[0], lines[1:]...)
	}
	// Let the last events arrive (exit closes the connection).
	select {
	case <-c.done:
	case <-time.After(3 * time.Second):
	}
	var frames []*esl.Frame
	for {
		select {
		case f := <-c.frames:
			frames = append(frames, f)
			continue
		default:
		}
		break
	}
	got := decodeTranscript(t, frames)

	assert.Equal(t, want.replies, got.replies, "replies in order")

	// Map agent inbound legs to the fixture's.
	dp.mu.Lock()
	agentToFix := map[string]string{}
	for fixUUID, orig := range fixIn {
		if ag := dp.inbound[orig]; ag != "" {
			agentToFix[ag] = fixUUID
		}
	}
	dp.mu.Unlock()
	compareLegs(t, cc, want.events, got.events, agentToFix)
	compareEndVars(t, want.events, got.events, agentToFix)
	compareDTMF(t, want.events, got.events, agentToFix)
	compareJobs(t, want.events, got.events)
	compareHeaderSets(t, want.events, got.events)
	compareHeaderOrder(t, cc.headerOrder, cc.headerValues, want.events, got.events)
}

// compareHeaderOrder checks, for the named event types, that the first
// event of each subclass and call direction lists its header names in the
// fixture's order (variables aside), with the same values of the headers
// named in values.
func compareHeaderOrder(t *testing.T, names, values []string, want, got []*esl.Event) {
	t.Helper()
	firsts := func(evs []*esl.Event) map[string][]string {
		m := map[string][]string{}
		seen := map[string]bool{}
		for _, e := range evs {
			if !slices.Contains(names, e.Name()) {
				continue
			}
			key := e.Name() + " " + e.Get("Event-Subclass") + " " + e.Get("Call-Direction")
			if _, ok := m[key]; ok {
				continue
			}
			var hs []string
			for _, h := range e.Headers() {
				switch {
				case strings.HasPrefix(h.Name, "variable_"), seen[key+h.Name]:
				case slices.Contains(values, h.Name):
					hs = append(hs, h.Name+": "+h.Value)
				default:
					hs = append(hs, h.Name)
				}
				seen[key+h.Name] = true
			}
			m[key] = hs
		}
		return m
	}
	g := firsts(got)
	for key, w := range firsts(want) {
		assert.Equal(t, w, g[key], "header order (and values of %v) of %s", values, key)
	}
}

func jobsSeen(c *testClient) int { return eventsSeen(c, "BACKGROUND_JOB") }

func eventsSeen(c *testClient, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if e.Name() == name {
			n++
		}
	}
	return n
}

// ignoredInOrder are events whose delivery order FreeSWITCH does not keep
// (API arrives late, 3.10) or that are timers, not call steps.
var ignoredInOrder = map[string]bool{"API": true, "HEARTBEAT": true, "RE_SCHEDULE": true}

func legSequences(events []*esl.Event, rename map[string]string) (map[string][]string, map[string][2]string) {
	seqs := map[string][]string{}
	info := map[string][2]string{}
	for _, e := range events {
		id := e.UniqueID()
		if id == "" || ignoredInOrder[e.Name()] {
			continue
		}
		if r, ok := rename[id]; ok {
			id = r
		}
		seqs[id] = append(seqs[id], e.Name())
		if _, ok := info[id]; !ok || info[id][1] == "" {
			info[id] = [2]string{e.Get("Call-Direction"), e.Get("Caller-Destination-Number")}
		}
	}
	return seqs, info
}

func compareLegs(t *testing.T, cc conformanceCase, want, got []*esl.Event, agentToFix map[string]string) {
	t.Helper()
	wantSeq, info := legSequences(want, nil)
	gotSeq, gotInfo := legSequences(got, agentToFix)
	for id, seq := range wantSeq {
		g := gotSeq[id]
		if cc.legFilter != nil {
			gi := gotInfo[id]
			g = cc.legFilter(gi[0], gi[1], g)
		}
		assert.Equal(t, seq, g, "events of %s leg %s (%s)", info[id][0], short(id), info[id][1])
	}
	assert.Len(t, gotSeq, len(wantSeq), "number of legs with events")
}

// endVars are the end-of-call variables (3.9) whose values must match leg
// by leg on CHANNEL_HANGUP_COMPLETE; presentVars must exist whenever
// FreeSWITCH has them.
var (
	endVars     = []string{"hangup_cause", "hangup_cause_q850", "sip_hangup_disposition", "sip_term_status", "sip_term_cause", "sip_invite_failure_status", "proto_specific_hangup_cause", "last_dtmf_duration"}
	presentVars = []string{"sip_invite_failure_phrase", "sip_reason",
		"duration", "billsec", "progresssec", "progress_mediasec", "answersec", "waitsec", "mduration", "billmsec",
		"progressmsec", "progress_mediamsec", "answermsec", "start_epoch", "answer_epoch", "end_epoch", "start_uepoch",
		"answer_uepoch", "end_uepoch", "progress_uepoch", "progress_media_uepoch", "sip_h_X-originating_session_uuid",
		"call_uuid", "uuid", "direction", "origination_uuid",
		// The RTP statistics (agent/mediavars.go), whose values depend on time.
		"rtp_audio_in_raw_bytes", "rtp_audio_in_media_bytes", "rtp_audio_in_packet_count",
		"rtp_audio_in_media_packet_count", "rtp_audio_in_skip_packet_count", "rtp_audio_in_jitter_packet_count",
		"rtp_audio_in_dtmf_packet_count", "rtp_audio_in_cng_packet_count", "rtp_audio_in_flush_packet_count",
		"rtp_audio_in_largest_jb_size", "rtp_audio_in_jitter_min_variance", "rtp_audio_in_jitter_max_variance",
		"rtp_audio_in_jitter_loss_rate", "rtp_audio_in_jitter_burst_rate", "rtp_audio_in_mean_interval",
		"rtp_audio_in_flaw_total", "rtp_audio_in_quality_percentage", "rtp_audio_in_mos",
		"rtp_audio_out_raw_bytes", "rtp_audio_out_media_bytes", "rtp_audio_out_packet_count",
		"rtp_audio_out_media_packet_count", "rtp_audio_out_skip_packet_count", "rtp_audio_out_dtmf_packet_count",
		"rtp_audio_out_cng_packet_count", "rtp_audio_rtcp_packet_count", "rtp_audio_rtcp_octet_count"}
)

func compareEndVars(t *testing.T, want, got []*esl.Event, agentToFix map[string]string) {
	t.Helper()
	ends := func(evs []*esl.Event, rename map[string]string) map[string]*esl.Event {
		m := map[string]*esl.Event{}
		for _, e := range evs {
			if e.Name() == "CHANNEL_HANGUP_COMPLETE" {
				id := e.UniqueID()
				if r, ok := rename[id]; ok {
					id = r
				}
				m[id] = e
			}
		}
		return m
	}
	g := ends(got, agentToFix)
	for id, w := range ends(want, nil) {
		ge := g[id]
		if ge == nil {
			continue // compareLegs reports it
		}
		for _, v := range endVars {
			wv, wok := w.LookupVar(v)
			gv, gok := ge.LookupVar(v)
			assert.Equal(t, wok, gok, "leg %s: presence of variable_%s", short(id), v)
			assert.Equal(t, wv, gv, "leg %s: variable_%s", short(id), v)
		}
		for _, v := range presentVars {
			if _, ok := w.LookupVar(v); ok {
				_, gok := ge.LookupVar(v)
				assert.True(t, gok, "leg %s: variable_%s missing on CHANNEL_HANGUP_COMPLETE", short(id), v)
			}
		}
	}
}

// compareDTMF checks each leg's DTMF events: digit, duration in samples
// and source, in order (fixture 07).
func compareDTMF(t *testing.T, want, got []*esl.Event, agentToFix map[string]string) {
	t.Helper()
	digits := func(evs []*esl.Event, rename map[string]string) map[string][]string {
		m := map[string][]string{}
		for _, e := range evs {
			if e.Name() != "DTMF" {
				continue
			}
			id := e.UniqueID()
			if r, ok := rename[id]; ok {
				id = r
			}
			m[id] = append(m[id], e.Get("DTMF-Digit")+"/"+e.Get("DTMF-Duration")+"/"+e.Get("DTMF-Source"))
		}
		return m
	}
	assert.Equal(t, digits(want, nil), digits(got, agentToFix), "DTMF events per leg")
}

func compareJobs(t *testing.T, want, got []*esl.Event) {
	t.Helper()
	bodies := func(evs []*esl.Event) []string {
		var out []string
		for _, e := range evs {
			if e.Name() == "BACKGROUND_JOB" {
				b := e.Body
				if strings.HasPrefix(b, "UP ") {
					b = "UP ..."
				}
				out = append(out, e.Get("Job-Command")+" "+normalise(b))
			}
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, bodies(want), bodies(got), "BACKGROUND_JOB results")
}

// headerDiffs are the known differences of header sets per event type:
// headers FreeSWITCH sends that the agent does not (missing) and the
// reverse (extra). docs/agent.md lists them.
var headerDiffs = map[string]struct{ missing, extra []string }{}

func headerSets(events []*esl.Event) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, e := range events {
		set := out[e.Name()]
		if set == nil {
			set = map[string]bool{}
			out[e.Name()] = set
		}
		for _, h := range e.Headers() {
			if !strings.HasPrefix(h.Name, "variable_") {
				set[h.Name] = true
			}
		}
	}
	return out
}

func compareHeaderSets(t *testing.T, want, got []*esl.Event) {
	t.Helper()
	w, g := headerSets(want), headerSets(got)
	for name, ws := range w {
		gs, ok := g[name]
		if !ok {
			continue // the leg comparison reports missing events
		}
		var missing, extra []string
		for h := range ws {
			if !gs[h] {
				missing = append(missing, h)
			}
		}
		for h := range gs {
			if !ws[h] {
				extra = append(extra, h)
			}
		}
		known := headerDiffs[name]
		missing = slices.DeleteFunc(missing, func(h string) bool { return slices.Contains(known.missing, h) })
		extra = slices.DeleteFunc(extra, func(h string) bool { return slices.Contains(known.extra, h) })
		sort.Strings(missing)
		sort.Strings(extra)
		assert.Empty(t, missing, "%s: headers FreeSWITCH sends that the agent does not", name)
		assert.Empty(t, extra, "%s: headers the agent sends that FreeSWITCH does not", name)
	}
}

// recPath replaces fixture 08's recording path: one file per test process.
var recPath = filepath.Join(os.TempDir(), "callplan-conformance-"+strconv.Itoa(os.Getpid())+".wav")

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { _ = os.Remove(recPath) })
	if _, err := os.Stat(fixturePath("README.md")); err != nil {
		t.Fatalf("fixtures not found (set CALLPLAN_FIXTURES): %v", err)
	}
	cases := []conformanceCase{
		{name: "01-loopback-call-plain-all"},
		{name: "02-loopback-call-json-all"},
		{name: "03-originate-failures", legFilter: func(dir, dest string, names []string) []string {
			// FreeSWITCH's dialplan refused reject404/486 before parking;
			// the agent parks every inbound leg and the refusal comes by
			// sendmsg respond.
			if dir == "inbound" && strings.HasPrefix(dest, "reject") {
				return slices.DeleteFunc(names, func(n string) bool { return n == "CHANNEL_PARK" })
			}
			return names
		}},
		{name: "04-heartbeat"},
		{name: "07-dtmf", sipOnly: true},
		{name: "05-hupall"},
		{name: "09-ringback-early-media"},
		{name: "09b-ringback-ignore-early-media"},
		{name: "10a-misc-api-responses", untimed: true, rewrite: func(cmd string) string {
			// The captured originate waited 59 s for NO_ANSWER; derive a
			// 2-second variation.
			return strings.Replace(cmd, "originate sofia/external/x@127.0.0.1:5080 &nosuchapp()",
				"originate {originate_timeout=2}sofia/external/x@127.0.0.1:5080 &nosuchapp()", 1)
		}},
		{name: "10b-auth-wrong-password"},
		{name: "10c-command-before-auth"},
		{name: "11-burst-10-calls-custom-subscription", sipOnly: true, await: func(cmd string) (string, int) {
			if strings.HasPrefix(cmd, "api hupall") {
				return "CUSTOM", 20 // every leg's mod_bert::in_sync
			}
			return "", 0
		}},
		{name: "06-bert", sipOnly: true, await: awaitBERT06,
			headerOrder:  []string{"MEDIA_BUG_START", "MEDIA_BUG_STOP", "CUSTOM"},
			headerValues: []string{"Media-Bug-Function", "Media-Bug-Target", "Event-Subclass", "Event-Calling-File", "Event-Calling-Function", "sync_lost_count"}},
		{name: "08-playback-record", sipOnly: true, rewrite: func(cmd string) string {
			// The capture's fixed /tmp path would be shared by every test
			// process on the machine (other worktrees run this test too).
			return strings.ReplaceAll(cmd, "/tmp/fs-rec-test.wav", recPath)
		}},
	}
	for _, cc := range cases {
		for _, realSIP := range []bool{false, true} {
			if cc.sipOnly && !realSIP {
				continue
			}
			t.Run(cc.name+map[bool]string{false: "/fake", true: "/sip"}[realSIP], func(t *testing.T) {
				t.Parallel()
				runConformance(t, cc, realSIP)
			})
		}
	}
}

// awaitBERT06 holds each step of fixture 06 until the events the capture
// had before it: each call's two CHANNEL_PARKs (the outbound leg's comes
// once its originate succeeded) before bert_test is sent to it, both legs
// in sync before the first dumps and the mute, the outbound leg's
// lost_sync before the unmute, in sync again before the second dumps, the
// second call's timeout before its dump.
func awaitBERT06(cmd string) (string, int) {
	const secondCall = "4a26bd03-2084-4c1a-80a8-952bc7b198b5" // the capture's origination_uuid
	switch {
	case strings.HasPrefix(cmd, "sendmsg"), strings.HasPrefix(cmd, "api uuid_setvar"):
		if strings.Contains(cmd, secondCall) {
			return "CHANNEL_PARK", 4
		}
		return "CHANNEL_PARK", 2
	case strings.HasPrefix(cmd, "api uuid_audio") && strings.HasSuffix(cmd, " stop"):
		return "CUSTOM", 3
	case strings.HasPrefix(cmd, "api uuid_dump") && strings.Contains(cmd, secondCall):
		return "CUSTOM", 5
	case strings.HasPrefix(cmd, "api uuid_dump"), strings.HasPrefix(cmd, "api uuid_audio"):
		return "CUSTOM", 2
	case strings.HasPrefix(cmd, "api uuid_kill"),
		strings.HasPrefix(cmd, "bgapi originate") && strings.Contains(cmd, secondCall):
		return "CUSTOM", 4
	}
	return "", 0
}
