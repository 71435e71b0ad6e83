package sip

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCauseForStatus(t *testing.T) {
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
		assert.Equalf(t, tt.want, CauseForStatus(tt.code), "CauseForStatus(%d)", tt.code)
	}
}

func TestStatusForCause(t *testing.T) {
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
		assert.Equalf(t, tt.want, StatusForCause(tt.cause), "StatusForCause(%q)", tt.cause)
	}
}

// The causes FreeSWITCH itself round-trips through SIP between two legs
// (fixture 03): refusing with a cause gives the caller the same cause.
func TestCauseRoundTrip(t *testing.T) {
	t.Parallel()
	for _, cause := range []string{"UNALLOCATED_NUMBER", "USER_BUSY", "CALL_REJECTED", "NORMAL_TEMPORARY_FAILURE",
		"INCOMPATIBLE_DESTINATION", "RECOVERY_ON_TIMER_EXPIRE", "ORIGINATOR_CANCEL", "NUMBER_CHANGED",
		"INVALID_NUMBER_FORMAT", "EXCHANGE_ROUTING_ERROR", "SERVICE_NOT_IMPLEMENTED"} {
		assert.Equalf(t, cause, CauseForStatus(StatusForCause(cause)), "CauseForStatus(StatusForCause(%s))", cause)
	}
}

func TestCauseNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cause string
		num   int
		q850  int
	}{
		{"NORMAL_CLEARING", 16, 16},
		{"UNALLOCATED_NUMBER", 1, 1},
		{"USER_BUSY", 17, 17},
		{"NO_ANSWER", 19, 19},
		{"CALL_REJECTED", 21, 21},
		{"NORMAL_TEMPORARY_FAILURE", 41, 41},
		{"INTERWORKING", 127, 127},
		{"ORIGINATOR_CANCEL", 487, 16},
		{"LOSE_RACE", 702, 16},
		{"MANAGER_REQUEST", 703, 16},
		{"MEDIA_TIMEOUT", 804, 16},
		{"USER_NOT_REGISTERED", 806, 16},
		{"PROGRESS_TIMEOUT", 807, 16},
	}
	for _, tt := range tests {
		n, ok := CauseNumber(tt.cause)
		assert.Truef(t, ok, "CauseNumber(%s) known", tt.cause)
		assert.Equalf(t, tt.num, n, "CauseNumber(%s)", tt.cause)
		assert.Equalf(t, tt.q850, CauseQ850(tt.cause), "CauseQ850(%s)", tt.cause)
		assert.Equalf(t, tt.cause, CauseName(tt.num), "CauseName(%d)", tt.num)
	}
	_, ok := CauseNumber("BOGUS")
	assert.False(t, ok)
}

func TestParseCause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"USER_BUSY", "USER_BUSY", true},
		{"user_busy", "USER_BUSY", true},
		{" 17 ", "USER_BUSY", true},
		{"487", "ORIGINATOR_CANCEL", true},
		{"4", "", false},
		{"NOPE", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseCause(tt.in)
		assert.Equalf(t, tt.want, got, "ParseCause(%q)", tt.in)
		assert.Equalf(t, tt.ok, ok, "ParseCause(%q) ok", tt.in)
	}
}

func TestReasonHeader(t *testing.T) {
	t.Parallel()
	tests := []struct{ cause, want string }{
		{"NORMAL_CLEARING", `Q.850;cause=16;text="NORMAL_CLEARING"`},
		{"NO_ANSWER", `Q.850;cause=19;text="NO_ANSWER"`},
		{"user_busy", `Q.850;cause=17;text="USER_BUSY"`},
		{"ORIGINATOR_CANCEL", `SIP;cause=487;text="ORIGINATOR_CANCEL"`},
		{"BOGUS", `Q.850;cause=16;text="NORMAL_CLEARING"`},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, ReasonHeader(tt.cause), "ReasonHeader(%q)", tt.cause)
	}
}

func TestCauseFromReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`Q.850;cause=17;text="USER_BUSY"`, "USER_BUSY", true},
		{`Q.850 ; cause = 16`, "NORMAL_CLEARING", true},
		{`q.850;text="x";cause=19`, "NO_ANSWER", true},
		{`SIP;cause=200;text="Call completed elsewhere", Q.850;cause=26`, "", false},
		{`SIP;cause=487;text="ORIGINATOR_CANCEL"`, "", false},
		{`SIP;cause=200, Q.850;cause=21`, "CALL_REJECTED", true},
		{`Q.850;cause=x`, "", false},
		{`Q.850;cause=999`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := CauseFromReason(tt.in)
		assert.Equalf(t, tt.want, got, "CauseFromReason(%q)", tt.in)
		assert.Equalf(t, tt.ok, ok, "CauseFromReason(%q) ok", tt.in)
	}
}
