package agent

import (
	"path/filepath"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// describeDigitEvent names the events of a DTMF-reading app on one leg:
// the DTMF events, how its playback or recording stopped and how the app
// completed, with playback_terminator_used. "" for the others.
func describeDigitEvent(e *esl.Event, uuid string) string {
	if e.UniqueID() != uuid {
		return ""
	}
	used := e.Var("playback_terminator_used")
	switch e.Name() {
	case "DTMF":
		return "DTMF " + e.Get("DTMF-Digit")
	case "PLAYBACK_STOP":
		return "PLAYBACK_STOP " + e.Get("Playback-Status") + " [" + used + "]"
	case "RECORD_STOP":
		return "RECORD_STOP [" + used + "]"
	case "CHANNEL_EXECUTE_COMPLETE":
		if app := e.Get("Application"); app != "park" {
			return "COMPLETE " + app + " " + e.Get("Application-Response") + " [" + used + "]"
		}
	}
	return ""
}

func digitEvents(c *testClient, uuid string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		if d := describeDigitEvent(e, uuid); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// A digit in playback_terminators ends playback, record and (with
// sleep_eat_digits) sleep; other digits are dequeued as DTMF events and
// the app goes on; a plain sleep ends on any digit and leaves it queued
// for park. mod_dptools' on_dtmf, playback_function, record_function,
// sleep_function; switch_ivr_play_file, switch_ivr_record_file,
// switch_ivr_sleep. Each case sends its digits one at a time from the
// far leg, waiting for each DTMF event when the app dequeues them, so the
// order of events is deterministic.
func TestPlaybackTerminators(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	rec := filepath.Join(t.TempDir(), "rec-")
	cases := []struct {
		name      string
		vars      []string // uuid_setvar name value, before the app
		app, arg  string
		digits    string
		dequeued  bool // the app fires a DTMF event per digit while it runs
		breakLast bool // uuid_break after the last digit's event
		want      []string
	}{
		{name: "playback: * by default", app: "playback", arg: "silence_stream://-1", digits: "*", dequeued: true,
			want: []string{"DTMF *", "PLAYBACK_STOP break [*]", "COMPLETE playback FILE PLAYED [*]"}},
		{name: "playback: other digits play on", app: "playback", arg: "silence_stream://-1", digits: "1#*", dequeued: true,
			want: []string{"DTMF 1", "DTMF #", "DTMF *", "PLAYBACK_STOP break [*]", "COMPLETE playback FILE PLAYED [*]"}},
		{name: "playback: any", vars: []string{"playback_terminators any"}, app: "playback", arg: "silence_stream://-1",
			digits: "A5", dequeued: true,
			want: []string{"DTMF A", "DTMF 5", "PLAYBACK_STOP break [5]", "COMPLETE playback FILE PLAYED [5]"}},
		{name: "playback: a list", vars: []string{"playback_terminators #9"}, app: "playback", arg: "silence_stream://-1",
			digits: "*9", dequeued: true,
			want: []string{"DTMF *", "DTMF 9", "PLAYBACK_STOP break [9]", "COMPLETE playback FILE PLAYED [9]"}},
		{name: "playback: none", vars: []string{"playback_terminators none"}, app: "playback", arg: "silence_stream://-1",
			digits: "*", dequeued: true, breakLast: true,
			want: []string{"DTMF *", "PLAYBACK_STOP break []", "COMPLETE playback FILE PLAYED []"}},
		{name: "record: *", app: "record", arg: rec + "1.wav", digits: "3*", dequeued: true,
			want: []string{"DTMF 3", "DTMF *", "RECORD_STOP [*]", "COMPLETE record _none_ [*]"}},
		{name: "sleep: any digit ends it and stays queued", app: "sleep", arg: "60000", digits: "7",
			want: []string{"COMPLETE sleep _none_ []", "DTMF 7"}},
		{name: "sleep_eat_digits: only a terminator ends it", vars: []string{"sleep_eat_digits true"},
			app: "sleep", arg: "60000", digits: "7*", dequeued: true,
			want: []string{"DTMF 7", "DTMF *", "COMPLETE sleep _none_ [*]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialTest(t, a.Addr())
			c.auth()
			c.send("event plain ALL")
			out, in := mediaLoop(t, c, a.SIPAddr(), "")
			for _, v := range tc.vars {
				require.Equal(t, "+OK\n", c.api("uuid_setvar "+out+" "+v))
			}
			execute(c, out, tc.app, tc.arg)
			c.waitEvent(func(e *esl.Event) bool {
				return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == out && e.Get("Application") == tc.app
			})
			if tc.app == "playback" {
				c.waitEvent(nameAnd("PLAYBACK_START", "Unique-ID", out))
			}
			for i, d := range tc.digits {
				require.Equal(t, "+OK "+in+" sent DTMF "+string(d)+".\n", c.api("uuid_send_dtmf "+in+" "+string(d)))
				if tc.dequeued {
					dtmfOf(t, c, out, i+1)
				}
			}
			if tc.breakLast {
				require.Equal(t, "+OK\n", c.api("uuid_break "+out))
			}
			require.Eventually(t, func() bool { return len(digitEvents(c, out)) >= len(tc.want) },
				20e9, 5e6, "have %v", digitEvents(c, out))
			assert.Equal(t, tc.want, digitEvents(c, out))
		})
	}
}
