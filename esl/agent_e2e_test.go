//go:build e2e

package esl_test

import (
	"context"
	"testing"
	"time"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/esl"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientAgainstAgent drives the embedded agent with this client the
// way the runner drives a node: a loop call over real SIP on loopback,
// originated with the builder, answered with api, hung up, every event of
// the outbound leg routed by Unique-ID.
func TestClientAgainstAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := agent.New(agent.Config{ESLAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Heartbeat: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, a.Start(ctx))
	defer a.Close()

	for _, format := range []esl.EventFormat{esl.FormatPlain, esl.FormatJSON} {
		t.Run(string(format), func(t *testing.T) {
			c, err := esl.Dial(ctx, a.Addr(), "ClueCon", esl.WithEventFormat(format))
			require.NoError(t, err)
			defer c.Close()
			hb := c.Events("HEARTBEAT")
			parks := c.Events("CHANNEL_PARK")
			require.NoError(t, c.Subscribe(ctx, "BACKGROUND_JOB", "CHANNEL_PARK", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "HEARTBEAT"))

			_, err = hb.Next(ctx)
			require.NoError(t, err)
			h, ok := c.Heartbeat()
			require.True(t, ok)
			assert.Positive(t, h.MaxSessions)

			call := uuid.NewString()
			leg := c.ChannelEvents(call)
			cmd, err := esl.Originate{
				Vars: []esl.Var{
					{Name: "origination_uuid", Value: call},
					{Name: "sip_h_X-originating_session_uuid", Value: call},
					{Name: "callplan_flow", Value: "answer-then-park"},
				},
				Endpoint: esl.Sofia("external", "test@"+a.SIPAddr()),
			}.Command()
			require.NoError(t, err)
			job, err := c.BgAPI(ctx, cmd)
			require.NoError(t, err)

			var inbound string
			for inbound == "" {
				e, err := parks.Next(ctx)
				require.NoError(t, err)
				if e.Get("Call-Direction") == "inbound" && e.Var("sip_h_X-originating_session_uuid") == call {
					inbound = e.UniqueID()
				}
			}
			_, err = c.API(ctx, "uuid_answer "+inbound)
			require.NoError(t, err)
			body, err := job.Wait(ctx)
			require.NoError(t, err)
			assert.Equal(t, "+OK "+call+"\n", body)

			seen := map[string]bool{}
			for !seen["CHANNEL_ANSWER"] {
				e, err := leg.Next(ctx)
				require.NoError(t, err)
				assert.Equal(t, call, e.UniqueID())
				seen[e.Name()] = true
				if e.Name() == "CHANNEL_ANSWER" {
					assert.Equal(t, "answer-then-park", e.Var("callplan_flow"))
				}
			}
			_, err = c.API(ctx, "uuid_kill "+call)
			require.NoError(t, err)
			for !seen["CHANNEL_HANGUP_COMPLETE"] {
				e, err := leg.Next(ctx)
				require.NoError(t, err)
				seen[e.Name()] = true
			}
		})
	}
}
