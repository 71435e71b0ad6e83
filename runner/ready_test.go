package runner

import (
	"context"
	"testing"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// actOnAnswer acts on the caller leg as soon as it is answered, as the
// media flows do: a play, a variable, then the hangup.
type actOnAnswer struct{}

func (actOnAnswer) Use() string { return "act_on_answer" }
func (actOnAnswer) On(ctx context.Context, c *flows.Call, ev flows.Event) error {
	switch ev.Kind {
	case flows.CalleeArrived:
		return c.Callee.Answer(ctx)
	case flows.CallerAnswered:
		if err := c.Caller.Play(ctx, "tone_stream://%(100,0,440)"); err != nil {
			return err
		}
		if err := c.Caller.SetVar(ctx, "callplan_test", "1"); err != nil {
			return err
		}
		return c.Caller.Hangup(ctx, "NORMAL_CLEARING")
	}
	return nil
}
func (actOnAnswer) Judge(r *metrics.Record) { r.Outcome = metrics.OutcomeOK }

// noParkWait is a fake node's connection that does not say its caller
// legs park: the runner sends their actions at once.
type noParkWait struct{ *fakeDriver }

func (noParkWait) CallerParks() bool { return false }

// TestCallerActionsWaitForPark: on a node that loses what reaches a
// caller leg before its park (FreeSWITCH, ready.go), the flow's actions
// on the caller leg arrive after the park, in order; without the wait the
// same node loses them. A leg that never parks gets them once the
// originate timeout has passed since its answer.
func TestCallerActionsWaitForPark(t *testing.T) {
	for _, tc := range []struct {
		name      string
		parkWait  bool
		neverPark bool
		lose      bool
		want      []string
		minHeld   time.Duration
	}{
		{name: "held until the park", parkWait: true, lose: true, want: []string{"play", "set_var", "hangup"}, minHeld: 50 * time.Millisecond},
		{name: "sent at once, lost", lose: true, want: []string{"play lost", "set_var lost", "hangup"}},
		{name: "never parks: sent after the bound", parkWait: true, neverPark: true, want: []string{"play", "set_var", "hangup"}, minHeld: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				cl := newFakeCluster(t)
				n := cl.node("a")
				n.loseUnparked, n.parkAfter, n.neverPark = tc.lose, 50*time.Millisecond, tc.neverPark
				spec := n.spec()
				if !tc.parkWait {
					spec.Driver = noParkWait{spec.Driver.(*fakeDriver)}
				}
				cfg := baseConfig(t, "r1", spec)
				cfg.Flows = []FlowMix{{Name: "act", Flow: actOnAnswer{}, Weight: 1}}
				cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 1, To: 1, Hold: time.Second}}
				res, err := Run(context.Background(), cfg)
				require.NoError(t, err)
				s := res.Summary
				require.Equal(t, int64(1), s.Calls)
				assert.Equal(t, int64(1), s.OK, "reasons %v", s.Reasons)
				cl.mu.Lock()
				acts := append([]string(nil), n.acts...)
				cl.mu.Unlock()
				assert.Equal(t, tc.want, acts)
				// The fake clock makes the hold exact: the flow's end
				// (its hangup) comes no sooner than the park or the bound.
				assert.GreaterOrEqual(t, s.Duration.Max, tc.minHeld)
			})
		})
	}
}

// An ESL node's caller legs wait for their park only when the originate
// parks them (&park(), the default); another app never parks the leg.
func TestESLCallerParksOnlyWithPark(t *testing.T) {
	t.Parallel()
	for app, want := range map[string]bool{"": true, "park": true, "echo": false, "playback": false} {
		d := &ESLDriver{orig: ESLOriginate{App: app}}
		assert.Equal(t, want, callerParks(d), "app %q", app)
	}
}
