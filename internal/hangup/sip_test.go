package hangup

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForSIPStatus(t *testing.T) {
	t.Parallel()
	// esl-reference 5.5, "received SIP final codes mapped to it".
	tests := []struct {
		code int
		want string
	}{
		{200, "NORMAL_CLEARING"},
		{404, "UNALLOCATED_NUMBER"},
		{485, "NO_ROUTE_DESTINATION"}, {604, "NO_ROUTE_DESTINATION"},
		{486, "USER_BUSY"}, {600, "USER_BUSY"},
		{480, "NO_USER_RESPONSE"},
		{401, "CALL_REJECTED"}, {402, "CALL_REJECTED"}, {403, "CALL_REJECTED"},
		{407, "CALL_REJECTED"}, {603, "CALL_REJECTED"}, {608, "CALL_REJECTED"},
		{410, "NUMBER_CHANGED"},
		{482, "EXCHANGE_ROUTING_ERROR"}, {483, "EXCHANGE_ROUTING_ERROR"},
		{484, "INVALID_NUMBER_FORMAT"},
		{502, "NETWORK_OUT_OF_ORDER"},
		{400, "NORMAL_TEMPORARY_FAILURE"}, {481, "NORMAL_TEMPORARY_FAILURE"},
		{500, "NORMAL_TEMPORARY_FAILURE"}, {503, "NORMAL_TEMPORARY_FAILURE"},
		{405, "SERVICE_UNAVAILABLE"},
		{406, "SERVICE_NOT_IMPLEMENTED"}, {415, "SERVICE_NOT_IMPLEMENTED"}, {501, "SERVICE_NOT_IMPLEMENTED"},
		{488, "INCOMPATIBLE_DESTINATION"}, {606, "INCOMPATIBLE_DESTINATION"},
		{408, "RECOVERY_ON_TIMER_EXPIRE"}, {504, "RECOVERY_ON_TIMER_EXPIRE"},
		{413, "INTERWORKING"}, {414, "INTERWORKING"}, {416, "INTERWORKING"}, {420, "INTERWORKING"},
		{421, "INTERWORKING"}, {423, "INTERWORKING"}, {505, "INTERWORKING"}, {513, "INTERWORKING"},
		{487, "ORIGINATOR_CANCEL"},
		{499, "NORMAL_UNSPECIFIED"}, {302, "NORMAL_UNSPECIFIED"}, {580, "NORMAL_UNSPECIFIED"},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, ForSIPStatus(tt.code).String(), "ForSIPStatus(%d)", tt.code)
	}
}

func TestSIPStatus(t *testing.T) {
	t.Parallel()
	// esl-reference 5.5, "FS sends when it rejects an unanswered INVITE".
	tests := []struct {
		cause string
		want  int
	}{
		{"NORMAL_CLEARING", 480},
		{"UNALLOCATED_NUMBER", 404}, {"unallocated_number", 404},
		{"NO_ROUTE_DESTINATION", 404},
		{"USER_BUSY", 486},
		{"NO_USER_RESPONSE", 408},
		{"NO_ANSWER", 480}, {"SUBSCRIBER_ABSENT", 480},
		{"CALL_REJECTED", 603},
		{"NUMBER_CHANGED", 410},
		{"EXCHANGE_ROUTING_ERROR", 483},
		{"DESTINATION_OUT_OF_ORDER", 502},
		{"INVALID_NUMBER_FORMAT", 484},
		{"NORMAL_UNSPECIFIED", 480},
		{"NETWORK_OUT_OF_ORDER", 503},
		{"NORMAL_TEMPORARY_FAILURE", 503},
		{"NORMAL_CIRCUIT_CONGESTION", 503}, {"SWITCH_CONGESTION", 503},
		{"SERVICE_UNAVAILABLE", 480},
		{"SERVICE_NOT_IMPLEMENTED", 501},
		{"INCOMPATIBLE_DESTINATION", 488},
		{"RECOVERY_ON_TIMER_EXPIRE", 504},
		{"INTERWORKING", 480},
		{"ORIGINATOR_CANCEL", 487},
		{"LOSE_RACE", 480}, {"MANAGER_REQUEST", 480}, {"MEDIA_TIMEOUT", 480},
		{"PROGRESS_TIMEOUT", 480}, {"USER_NOT_REGISTERED", 480},
		{"NO_SUCH_CAUSE", 480},
	}
	for _, tt := range tests {
		c, _ := ByName(tt.cause)
		assert.Equalf(t, tt.want, c.SIPStatus(), "ByName(%q).SIPStatus()", tt.cause)
	}
}

// The causes FreeSWITCH itself round-trips through SIP between two legs
// (fixture 03): refusing with a cause gives the caller the same cause.
func TestCauseRoundTrip(t *testing.T) {
	t.Parallel()
	for _, cause := range []string{"UNALLOCATED_NUMBER", "USER_BUSY", "CALL_REJECTED", "NORMAL_TEMPORARY_FAILURE",
		"INCOMPATIBLE_DESTINATION", "RECOVERY_ON_TIMER_EXPIRE", "ORIGINATOR_CANCEL", "NUMBER_CHANGED",
		"INVALID_NUMBER_FORMAT", "EXCHANGE_ROUTING_ERROR", "SERVICE_NOT_IMPLEMENTED"} {
		c, ok := ByName(cause)
		require.Truef(t, ok, "ByName(%s)", cause)
		assert.Equalf(t, c, ForSIPStatus(c.SIPStatus()), "ForSIPStatus(%s.SIPStatus())", cause)
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cause Cause
		want  string
	}{
		{NormalClearing, `Q.850;cause=16;text="NORMAL_CLEARING"`},
		{NoAnswer, `Q.850;cause=19;text="NO_ANSWER"`},
		{UserBusy, `Q.850;cause=17;text="USER_BUSY"`},
		{OriginatorCancel, `SIP;cause=487;text="ORIGINATOR_CANCEL"`},
		{Cause(4), `Q.850;cause=16;text="NORMAL_CLEARING"`},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, tt.cause.Reason(), "Cause(%d).Reason()", int(tt.cause))
	}
}

func TestParseReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Cause
		ok   bool
	}{
		{`Q.850;cause=17;text="USER_BUSY"`, UserBusy, true},
		{`Q.850 ; cause = 16`, NormalClearing, true},
		{`q.850;text="x";cause=19`, NoAnswer, true},
		{`SIP;cause=200;text="Call completed elsewhere", Q.850;cause=26`, None, false},
		{`SIP;cause=487;text="ORIGINATOR_CANCEL"`, None, false},
		{`SIP;cause=200, Q.850;cause=21`, CallRejected, true},
		{`Q.850;cause=x`, None, false},
		{`Q.850;cause=999`, None, false},
		{`Q.850;cause=-3`, None, false},
		{``, None, false},
	}
	for _, tt := range tests {
		got, ok := ParseReason(tt.in)
		assert.Equalf(t, tt.want, got, "ParseReason(%q)", tt.in)
		assert.Equalf(t, tt.ok, ok, "ParseReason(%q) ok", tt.in)
	}
}
