package agent

import (
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendmsgEventLock: a message queued while an app sent with event-lock
// runs waits until that app returns; without the lock it runs nested
// inside it (2.8).
func TestSendmsgEventLock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lock   string // event-lock header of the first message, "" = none
		nested bool
	}{
		{"", true},
		{"false", true},
		{"true", false},
		{"yes", false},
	} {
		t.Run("event-lock="+tc.lock, func(t *testing.T) {
			t.Parallel()
			a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
			c, id, _ := parkedLoopCall(t, a, "127.0.0.1:5080")
			first := []string{"call-command: execute", "execute-app-name: sleep",
				"execute-app-arg: 300", "Event-UUID: slow"}
			if tc.lock != "" {
				first = append(first, "event-lock: "+tc.lock)
			}
			require.Equal(t, "+OK", c.send("sendmsg "+id, first...).ReplyText())
			c.waitEvent(nameAnd("CHANNEL_EXECUTE", "Application-UUID", "slow"))
			require.Equal(t, "+OK", c.send("sendmsg "+id, "call-command: execute",
				"execute-app-name: set", "execute-app-arg: x=1", "Event-UUID: quick").ReplyText())

			c.waitEvent(nameAnd("CHANNEL_EXECUTE_COMPLETE", "Application-UUID", "slow"))
			c.waitEvent(nameAnd("CHANNEL_EXECUTE_COMPLETE", "Application-UUID", "quick"))
			slowDone := c.indexOf(nameAnd("CHANNEL_EXECUTE_COMPLETE", "Application-UUID", "slow"))
			quickStart := c.indexOf(nameAnd("CHANNEL_EXECUTE", "Application-UUID", "quick"))
			quickDone := c.indexOf(nameAnd("CHANNEL_EXECUTE_COMPLETE", "Application-UUID", "quick"))
			if tc.nested {
				assert.Less(t, quickDone, slowDone, "the second message runs inside the sleep")
			} else {
				assert.Greater(t, quickStart, slowDone, "the second message waits for the locked sleep")
			}
			assert.Equal(t, "1", c.api("uuid_getvar "+id+" x"))
			// Both messages end with their PRIVATE_COMMAND.
			c.waitEvent(nameAnd("PRIVATE_COMMAND", "Event-UUID", "slow"))
			c.waitEvent(nameAnd("PRIVATE_COMMAND", "Event-UUID", "quick"))
			n := 0
			for _, e := range eventsOf(c, "PRIVATE_COMMAND", id) {
				if e.Get("Event-UUID") == "slow" || e.Get("Event-UUID") == "quick" {
					n++
				}
			}
			assert.Equal(t, 2, n)
		})
	}
}

func eventsOf(c *testClient, name, id string) []*esl.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*esl.Event
	for _, e := range c.events {
		if e.Name() == name && e.UniqueID() == id {
			out = append(out, e)
		}
	}
	return out
}
