package runner

import (
	"testing"
	"time"
	"unsafe"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cause outlives its event (it keys the per-second counts for the rest
// of the run), so it must not be a piece of the event's one string: that
// would keep the whole event, about 8 kB, alive with it.
func TestTranslatedCauseDoesNotPinTheEvent(t *testing.T) {
	t.Parallel()
	hangupEv := func(cause string) *esl.Event {
		return esl.NewEvent([]esl.Header{{Name: "Event-Name", Value: "CHANNEL_HANGUP_COMPLETE"},
			{Name: "Unique-ID", Value: "leg-1"}, {Name: "Hangup-Cause", Value: cause}}, "")
	}
	jobEv := func(body string) *esl.Event {
		return esl.NewEvent([]esl.Header{{Name: "Event-Name", Value: "BACKGROUND_JOB"},
			{Name: "Job-UUID", Value: "call-1"}}, body)
	}
	for _, tc := range []struct {
		name  string
		ev    *esl.Event
		piece func(*esl.Event) string // the cause as the event holds it
		want  string
	}{
		{"known cause", hangupEv("NORMAL_CLEARING"), func(e *esl.Event) string { return e.Get("Hangup-Cause") }, "NORMAL_CLEARING"},
		{"unknown cause", hangupEv("SOMETHING_NEW"), func(e *esl.Event) string { return e.Get("Hangup-Cause") }, "SOMETHING_NEW"},
		{"failed originate", jobEv("-ERR USER_BUSY\n"), func(e *esl.Event) string { return e.Body[5:14] }, "USER_BUSY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			le, ok := translate(tc.ev, time.Now())
			require.True(t, ok)
			require.Equal(t, tc.want, le.Cause)
			require.Equal(t, tc.want, tc.piece(tc.ev))
			// Addresses, not the bytes they point at (which are equal).
			piece, kept := uintptr(unsafe.Pointer(unsafe.StringData(tc.piece(tc.ev)))), uintptr(unsafe.Pointer(unsafe.StringData(le.Cause)))
			assert.NotEqual(t, piece, kept, "the cause is a piece of the event's string")
		})
	}
}
