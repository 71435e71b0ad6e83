package agent

import "github.com/callplan/callplan/agent/sip"

// Cause is a FreeSWITCH hangup cause (switch_call_cause_t). The numeric
// value is FreeSWITCH's: the Q.850 number for causes up to 127, FreeSWITCH's
// own numbers (487, 7xx, 8xx) above.
type Cause int

// The causes the agent produces or understands. Names and numbers are
// FreeSWITCH's (switch_types.h).
const (
	CauseNone                    Cause = 0
	CauseUnallocatedNumber       Cause = 1
	CauseNoRouteDestination      Cause = 3
	CauseNormalClearing          Cause = 16
	CauseUserBusy                Cause = 17
	CauseNoUserResponse          Cause = 18
	CauseNoAnswer                Cause = 19
	CauseSubscriberAbsent        Cause = 20
	CauseCallRejected            Cause = 21
	CauseNumberChanged           Cause = 22
	CauseExchangeRoutingError    Cause = 25
	CauseDestinationOutOfOrder   Cause = 27
	CauseInvalidNumberFormat     Cause = 28
	CauseNormalUnspecified       Cause = 31
	CauseNormalCircuitCongestion Cause = 34
	CauseNetworkOutOfOrder       Cause = 38
	CauseNormalTemporaryFailure  Cause = 41
	CauseSwitchCongestion        Cause = 42
	CauseServiceUnavailable      Cause = 63
	CauseServiceNotImplemented   Cause = 79
	CauseIncompatibleDestination Cause = 88
	CauseRecoveryOnTimerExpire   Cause = 102
	CauseInterworking            Cause = 127
	CauseOriginatorCancel        Cause = 487
	CauseLoseRace                Cause = 702
	CauseManagerRequest          Cause = 703
	CauseSystemShutdown          Cause = 701
	CauseChanNotImplemented      Cause = 66
	CauseInvalidProfile          Cause = 811
	CauseMediaTimeout            Cause = 804
	CauseProgressTimeout         Cause = 807
	CauseInvalidGateway          Cause = 808
	CauseUserNotRegistered       Cause = 806
	CauseInvalidURL              Cause = 810
	CauseAllottedTimeout         Cause = 802
)

// String is the cause's FreeSWITCH name.
func (c Cause) String() string {
	if n := sip.CauseName(int(c)); n != "" {
		return n
	}
	return "NORMAL_UNSPECIFIED"
}

// Q850 is the value FreeSWITCH shows in hangup_cause_q850: the cause itself up
// to 127, and 16 for FreeSWITCH's own causes above (captured: 03).
func (c Cause) Q850() int { return sip.CauseQ850(c.String()) }

// ParseCause reads a cause by name (any case) or number, as uuid_kill and
// hupall do. ok is false for an unknown cause.
func ParseCause(s string) (Cause, bool) {
	name, ok := sip.ParseCause(s)
	if !ok || name == "NONE" {
		// NONE (0) is "no cause": never a reason to hang up or fail.
		return CauseNone, false
	}
	return causeOf(name), true
}

// causeOr is the cause s names, or def when s is empty or names no known
// cause: every command that takes an optional cause falls back this way.
func causeOr(s string, def Cause) Cause {
	if c, ok := ParseCause(s); ok {
		return c
	}
	return def
}

// causeOf turns a cause name from the signalling layer into a Cause.
func causeOf(name string) Cause {
	n, ok := sip.CauseNumber(name)
	if !ok {
		return CauseNormalUnspecified
	}
	return Cause(n)
}

// sipToCause maps a final SIP response code received for our INVITE to a
// hangup cause (sofia_glue_sip_cause_to_freeswitch; table in docs/agent.md).
func sipToCause(code int) Cause { return causeOf(sip.CauseForStatus(code)) }

// causeToSIP is the response code mod_sofia sends when it refuses an
// unanswered INVITE with cause c (hangup_cause_to_sip).
func causeToSIP(c Cause) int { return sip.StatusForCause(c.String()) }

// sipPhrase is the standard reason phrase of a SIP status code.
func sipPhrase(code int) string { return sip.StatusPhrase(code) }
