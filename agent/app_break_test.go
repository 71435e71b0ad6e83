package agent

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uuid_break sets FreeSWITCH's CF_BREAK: a running playback, record or
// sleep ends with a break; with none running the flag waits, and the next
// one of them ends at once, while park, echo and bert_test ignore it
// (mod_commands' break_function; switch_ivr_play_file,
// switch_ivr_record_file, switch_ivr_sleep).
func TestUUIDBreak(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	rec := filepath.Join(t.TempDir(), "break.wav")
	completed := func(leg, app string) func(*esl.Event) bool {
		return func(e *esl.Event) bool {
			return e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.UniqueID() == leg && e.Get("Application") == app
		}
	}
	for _, tc := range []struct {
		app, arg string
		stopped  string // the app's own stop event, if any
	}{
		{"sleep", "60000", ""},
		{"record", rec, "RECORD_STOP"},
		{"playback", "silence_stream://-1", "PLAYBACK_STOP"},
	} {
		t.Run(tc.app, func(t *testing.T) {
			t.Parallel()
			c := dialTest(t, a.Addr())
			c.auth()
			c.send("event plain ALL")
			out, _ := mediaLoop(t, c, a.SIPAddr(), "")
			start := time.Now()
			execute(c, out, tc.app, tc.arg)
			c.waitEvent(func(e *esl.Event) bool {
				return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == out && e.Get("Application") == tc.app
			})
			if tc.stopped != "" {
				// Running (recording or playing) before the break.
				c.waitEvent(nameAnd(map[string]string{"RECORD_STOP": "RECORD_START", "PLAYBACK_STOP": "PLAYBACK_START"}[tc.stopped],
					"Unique-ID", out))
			}
			require.Equal(t, "+OK\n", c.api("uuid_break "+out))
			c.waitEvent(completed(out, tc.app))
			assert.Less(t, time.Since(start), 50*time.Second, "ended by the break, not by itself")
			if tc.stopped != "" {
				assert.Less(t, c.indexOf(nameAnd(tc.stopped, "Unique-ID", out)), c.indexOf(completed(out, tc.app)))
			}
		})
	}
	t.Run("pending", func(t *testing.T) {
		t.Parallel()
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain ALL")
		out, _ := mediaLoop(t, c, a.SIPAddr(), "")
		// Nothing to break on a parked leg: the flag stays set.
		require.Equal(t, "+OK\n", c.api("uuid_break "+out))
		execute(c, out, "playback", "silence_stream://-1")
		stop := c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))
		assert.Equal(t, "break", stop.Get("Playback-Status"))
		assert.Equal(t, "0", stop.Var("playback_samples"))
		c.waitEvent(completed(out, "playback"))
		// Consumed: the next playback plays to its end.
		execute(c, out, "playback", "silence_stream://100")
		var done *esl.Event
		require.Eventually(t, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			n := 0
			for _, e := range c.events {
				if e.Name() == "PLAYBACK_STOP" && e.UniqueID() == out {
					if n++; n == 2 {
						done = e
						return true
					}
				}
			}
			return false
		}, 10*time.Second, 5*time.Millisecond)
		assert.Equal(t, "done", done.Get("Playback-Status"))
	})
}
