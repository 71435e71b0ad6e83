package hangup

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCauseNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cause Cause
		name  string
		num   int
		q850  int
	}{
		{NormalClearing, "NORMAL_CLEARING", 16, 16},
		{UnallocatedNumber, "UNALLOCATED_NUMBER", 1, 1},
		{UserBusy, "USER_BUSY", 17, 17},
		{NoAnswer, "NO_ANSWER", 19, 19},
		{CallRejected, "CALL_REJECTED", 21, 21},
		{NormalTemporaryFailure, "NORMAL_TEMPORARY_FAILURE", 41, 41},
		{Interworking, "INTERWORKING", 127, 127},
		{Success, "SUCCESS", 142, 16},
		{OriginatorCancel, "ORIGINATOR_CANCEL", 487, 16},
		{LoseRace, "LOSE_RACE", 702, 16},
		{ManagerRequest, "MANAGER_REQUEST", 703, 16},
		{MediaTimeout, "MEDIA_TIMEOUT", 804, 16},
		{UserNotRegistered, "USER_NOT_REGISTERED", 806, 16},
		{ProgressTimeout, "PROGRESS_TIMEOUT", 807, 16},
		{InvalidURL, "INVALID_URL", 810, 16},
		{RejectAll, "REJECT_ALL", 825, 16},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.num, int(tt.cause), "%s number", tt.name)
		assert.Equalf(t, tt.name, tt.cause.String(), "Cause(%d).String()", tt.num)
		assert.Equalf(t, tt.q850, tt.cause.Q850(), "%s.Q850()", tt.name)
		got, ok := ByName(tt.name)
		assert.Truef(t, ok, "ByName(%s) known", tt.name)
		assert.Equalf(t, tt.cause, got, "ByName(%s)", tt.name)
	}
	_, ok := ByName("BOGUS")
	assert.False(t, ok)
	assert.Equal(t, "UNKNOWN", Cause(4).String())
	assert.Equal(t, 16, Cause(4).Q850(), "an unknown number reports NORMAL_CLEARING")
	assert.False(t, Cause(4).Known())
}

// Every name is FreeSWITCH's spelling of its Go name, and the table is a
// bijection, so ByName and String undo each other for every cause.
func TestTableRoundTrip(t *testing.T) {
	t.Parallel()
	require.Len(t, byName, len(names), "two causes share a name")
	for c, name := range names {
		got, ok := ByName(name)
		require.Truef(t, ok, "ByName(%s)", name)
		assert.Equalf(t, c, got, "ByName(%s)", name)
		n, ok := Parse(strconv.Itoa(int(c)))
		require.Truef(t, ok, "Parse(%d)", int(c))
		assert.Equalf(t, c, n, "Parse(%d)", int(c))
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Cause
		ok   bool
	}{
		{"USER_BUSY", UserBusy, true},
		{"user_busy", UserBusy, true},
		{" Normal_Clearing\t", NormalClearing, true},
		{" 17 ", UserBusy, true},
		{"487", OriginatorCancel, true},
		{"0", None, true},
		{"NONE", None, true},
		{"4", Cause(4), false},
		{"-1", Cause(-1), false},
		{"NOPE", None, false},
		{"", None, false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		assert.Equalf(t, tt.ok, ok, "Parse(%q) ok", tt.in)
		if tt.ok {
			assert.Equalf(t, tt.want, got, "Parse(%q)", tt.in)
		}
	}
}
