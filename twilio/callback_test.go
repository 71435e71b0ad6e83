package twilio_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/callplan/callplan/twilio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatusCallback(t *testing.T) {
	t.Parallel()
	ts := "Tue, 31 Aug 2010 20:36:44 +0000"
	tests := []struct {
		name    string
		form    url.Values
		want    twilio.StatusCallback
		wantErr string
	}{
		{"completed", url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}, "Timestamp": {ts}, "CallDuration": {"15"}, "SequenceNumber": {"3"}},
			twilio.StatusCallback{SID: "CA1", Status: twilio.StatusCompleted, Timestamp: time.Date(2010, 8, 31, 20, 36, 44, 0, time.UTC), Duration: 15 * time.Second, HasDuration: true, Sequence: 3}, ""},
		{"ringing", url.Values{"CallSid": {"CA1"}, "CallStatus": {"ringing"}},
			twilio.StatusCallback{SID: "CA1", Status: twilio.StatusRinging}, ""},
		{"bad sid", url.Values{"CallSid": {"CA/.."}, "CallStatus": {"ringing"}}, twilio.StatusCallback{}, "CallSid"},
		{"bad status", url.Values{"CallSid": {"CA1"}, "CallStatus": {"exploded"}}, twilio.StatusCallback{}, "unknown CallStatus"},
		{"bad time", url.Values{"CallSid": {"CA1"}, "CallStatus": {"busy"}, "Timestamp": {"yesterday"}}, twilio.StatusCallback{}, "time"},
		{"bad duration", url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}, "CallDuration": {"-1"}}, twilio.StatusCallback{}, "CallDuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := twilio.ParseStatusCallback(tt.form)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			got.Timestamp = got.Timestamp.UTC()
			assert.Equal(t, tt.want, got)
		})
	}
}
