//go:build e2e

package agent

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SIPp plays its shipped RFC 2833 captures into an agent leg: the parked
// leg fires one DTMF event per digit, in order, from RTP, with the
// capture's duration in samples.
func TestSIPpRFC2833IntoAgentLeg(t *testing.T) {
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain CHANNEL_PARK DTMF CHANNEL_HANGUP_COMPLETE")
	scenario, err := filepath.Abs("testdata/sipp-uac-dtmf.xml")
	require.NoError(t, err)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sf", scenario, a.SIPAddr(), "-s", "2000", "-i", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error")
	park := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_PARK" && e.Get("Call-Direction") == "inbound"
	})
	in := park.UniqueID()
	require.Equal(t, "+OK\n", c.api("uuid_answer "+in))
	c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in)) // SIPp's BYE
	var digits []string
	c.mu.Lock()
	for _, e := range c.events {
		if e.Name() == "DTMF" && e.UniqueID() == in {
			digits = append(digits, e.Get("DTMF-Digit"))
			assert.Equal(t, "RTP", e.Get("DTMF-Source"))
			d, err := strconv.Atoi(e.Get("DTMF-Duration"))
			assert.NoError(t, err)
			assert.Greater(t, d, 800, "duration in samples, from the end packet")
		}
	}
	c.mu.Unlock()
	assert.Equal(t, "1 2 9 # *", strings.Join(digits, " "))
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}
