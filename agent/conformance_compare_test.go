package agent

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
)

// This file compares a replay with its capture (conformance_test.go):
// event order per leg, end-of-call variables, DTMF, jobs, header sets and
// header order.

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
