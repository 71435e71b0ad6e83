package agent

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventClockStep: with EventClockStep every event is stamped on a
// 20 ms grid, as FreeSWITCH's events are with its default timer settings,
// so a call's create and progress usually share a stamp.
func TestEventClockStep(t *testing.T) {
	t.Parallel()
	const step = 20 * time.Millisecond
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080", func(c *Config) { c.EventClockStep = step })
	c := dialTest(t, a.Addr())
	c.auth()
	require.Equal(t, "+OK event listener enabled plain", c.send("event plain ALL").ReplyText())
	for range 3 {
		id, _ := originateLoop(t, c, "test", "127.0.0.1:5080", "")
		in := inboundOf(c, id)
		assert.Equal(t, "+OK\n", c.api("uuid_answer "+in.UniqueID()))
		c.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id))
		assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
		c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.events)
	for _, e := range c.events {
		us, err := strconv.ParseInt(e.Get("Event-Date-Timestamp"), 10, 64)
		require.NoError(t, err, "%s", e.Name())
		assert.Zero(t, us%step.Microseconds(), "%s stamped %d µs, off the 20 ms grid", e.Name(), us)
	}
}

// TestCapacity: an agent with Capacity 4 reports its idle CPU falling as
// channels come up (two per loop call), in status and its minimum with
// it, and back when they end.
func TestCapacity(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080", func(c *Config) { c.Capacity = 4 })
	c := dialTest(t, a.Addr())
	c.auth()
	require.Equal(t, "+OK event listener enabled plain", c.send("event plain ALL").ReplyText())
	idle := func() (min, now float64) {
		t.Helper()
		for _, l := range strings.Split(c.api("status"), "\n") {
			if rest, ok := strings.CutPrefix(l, "min idle cpu "); ok {
				a, b, _ := strings.Cut(rest, "/")
				min, err1 := strconv.ParseFloat(a, 64)
				now, err2 := strconv.ParseFloat(b, 64)
				require.NoError(t, err1)
				require.NoError(t, err2)
				return min, now
			}
		}
		t.Fatal("status has no min idle cpu line")
		return 0, 0
	}
	_, before := idle()
	assert.Greater(t, before, 0.0)
	var ids []string
	for range 2 {
		id, _ := originateLoop(t, c, "test", "127.0.0.1:5080", "")
		inboundOf(c, id)
		ids = append(ids, id)
	}
	low, now := idle()
	assert.Equal(t, 0.0, now, "4 channels on a capacity of 4: no idle CPU left")
	assert.Equal(t, 0.0, low)
	for _, id := range ids {
		assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
		c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
	}
	require.Eventually(t, func() bool { _, now := idle(); return now > 0 }, 10*time.Second, 10*time.Millisecond,
		"idle CPU comes back when the channels end")
	low, _ = idle()
	assert.Equal(t, 0.0, low, "the minimum stays")
}
