package cloud_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSIDsFileRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := cloud.CreateSIDs(dir)
	require.NoError(t, err)
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	require.NoError(t, w.Add("twilio", "c1", "CA01", at))
	require.NoError(t, w.Add("sw,2", "c2", "CA02", at))
	require.NoError(t, w.Close())
	// A kill mid-write leaves a cut row: it is skipped, the rest read.
	f, err := os.OpenFile(filepath.Join(dir, cloud.SIDsFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("twilio,c3")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	rows, err := cloud.ReadSIDs(dir)
	require.NoError(t, err)
	assert.Equal(t, []cloud.SIDRow{{Node: "twilio", Call: "c1", SID: "CA01"}, {Node: "sw,2", Call: "c2", SID: "CA02"}}, rows)
	_, err = cloud.CreateSIDs(dir)
	assert.Error(t, err, "a results directory's sids file is never overwritten")

	nodes := []cloud.NodeInfo{{Name: "twilio", BaseURL: "https://api.twilio.com", AccountSIDEnv: "A", AuthTokenEnv: "B", APIKeyEnv: "C", APISecretEnv: "D"}}
	require.NoError(t, cloud.WriteNodes(dir, nodes))
	back, err := cloud.ReadNodes(dir)
	require.NoError(t, err)
	assert.Equal(t, nodes, back)
}

// A run killed with calls up leaves their SIDs on record; ending them from
// the list ends exactly the calls still up, and a second pass changes
// nothing.
func TestEndSIDsEndsExactlyTheLiveCalls(t *testing.T) {
	t.Parallel()
	scripts := map[string]twiliotest.Progression{
		"+1up":      twiliotest.Answer(0, 0),
		"+1ringing": twiliotest.Answer(time.Hour, 0),
		"+1done":    twiliotest.Answer(0, 10*time.Millisecond),
		"+1busy":    twiliotest.Busy(0),
	}
	h := newHarness(t, cloud.Config{}, twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
	ctx := context.Background()
	for _, to := range []string{"+1up", "+1ringing", "+1done", "+1busy", "+1up"} {
		require.NoError(t, h.node.Originate(ctx, to+"-"+time.Now().String(), params(to)))
	}
	require.Eventually(t, func() bool { return len(h.srv.Live()) == 3 }, 10*time.Second, 5*time.Millisecond)
	var sids []string
	for _, c := range h.srv.Calls() {
		sids = append(sids, c.SID)
	}
	live := h.srv.Live()

	res, err := cloud.EndSIDs(ctx, h.node.Client(), sids, 100)
	require.NoError(t, err)
	assert.Equal(t, cloud.EndResult{Ended: 3, Already: 2}, res)
	assert.Empty(t, h.srv.Live())
	for _, sid := range live {
		c, _ := h.srv.Call(sid)
		assert.True(t, c.EndedByAPI, "%s ended by the API request", sid)
	}
	updates := h.srv.Stats().Updates

	res, err = cloud.EndSIDs(ctx, h.node.Client(), sids, 100)
	require.NoError(t, err)
	assert.Equal(t, cloud.EndResult{Already: 5}, res)
	assert.Equal(t, updates, h.srv.Stats().Updates, "the second pass sends no update")
}

func TestEndSIDsStopsOnBadCredentials(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	c, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, "nope-7731"), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	res, err := cloud.EndSIDs(context.Background(), c, []string{"CA1", "CA2", "CA3"}, 100)
	require.Error(t, err)
	assert.True(t, twilio.IsAuth(err))
	assert.NotContains(t, err.Error(), "nope-7731")
	assert.Equal(t, cloud.EndResult{Failed: 1}, res)
}
