package hangup

import (
	"strconv"
	"strings"
)

// Cause is a FreeSWITCH hangup cause, switch_call_cause_t (switch_types.h).
// Its value is FreeSWITCH's cause number: the Q.850 cause value up to 127,
// FreeSWITCH's own numbers (142, 487, 7xx, 8xx) above.
type Cause int

// Every cause FreeSWITCH 1.10 knows, with its number (switch_types.h).
const (
	None                        Cause = 0
	UnallocatedNumber           Cause = 1
	NoRouteTransitNet           Cause = 2
	NoRouteDestination          Cause = 3
	ChannelUnacceptable         Cause = 6
	CallAwardedDelivered        Cause = 7
	NormalClearing              Cause = 16
	UserBusy                    Cause = 17
	NoUserResponse              Cause = 18
	NoAnswer                    Cause = 19
	SubscriberAbsent            Cause = 20
	CallRejected                Cause = 21
	NumberChanged               Cause = 22
	RedirectionToNewDestination Cause = 23
	ExchangeRoutingError        Cause = 25
	DestinationOutOfOrder       Cause = 27
	InvalidNumberFormat         Cause = 28
	FacilityRejected            Cause = 29
	ResponseToStatusEnquiry     Cause = 30
	NormalUnspecified           Cause = 31
	NormalCircuitCongestion     Cause = 34
	NetworkOutOfOrder           Cause = 38
	NormalTemporaryFailure      Cause = 41
	SwitchCongestion            Cause = 42
	AccessInfoDiscarded         Cause = 43
	RequestedChanUnavail        Cause = 44
	PreEmpted                   Cause = 45
	FacilityNotSubscribed       Cause = 50
	OutgoingCallBarred          Cause = 52
	IncomingCallBarred          Cause = 54
	BearerCapabilityNotAuth     Cause = 57
	BearerCapabilityNotAvail    Cause = 58
	ServiceUnavailable          Cause = 63
	BearerCapabilityNotImpl     Cause = 65
	ChanNotImplemented          Cause = 66
	FacilityNotImplemented      Cause = 69
	ServiceNotImplemented       Cause = 79
	InvalidCallReference        Cause = 81
	IncompatibleDestination     Cause = 88
	InvalidMsgUnspecified       Cause = 95
	MandatoryIEMissing          Cause = 96
	MessageTypeNonexist         Cause = 97
	WrongMessage                Cause = 98
	IENonexist                  Cause = 99
	InvalidIEContents           Cause = 100
	WrongCallState              Cause = 101
	RecoveryOnTimerExpire       Cause = 102
	MandatoryIELengthError      Cause = 103
	ProtocolError               Cause = 111
	Interworking                Cause = 127
	Success                     Cause = 142
	OriginatorCancel            Cause = 487
	Crash                       Cause = 700
	SystemShutdown              Cause = 701
	LoseRace                    Cause = 702
	ManagerRequest              Cause = 703
	BlindTransfer               Cause = 800
	AttendedTransfer            Cause = 801
	AllottedTimeout             Cause = 802
	UserChallenge               Cause = 803
	MediaTimeout                Cause = 804
	PickedOff                   Cause = 805
	UserNotRegistered           Cause = 806
	ProgressTimeout             Cause = 807
	InvalidGateway              Cause = 808
	GatewayDown                 Cause = 809
	InvalidURL                  Cause = 810
	InvalidProfile              Cause = 811
	NoPickup                    Cause = 812
	SRTPReadError               Cause = 813
	Bowout                      Cause = 814
	BusyEverywhere              Cause = 815
	Decline                     Cause = 816
	DoesNotExistAnywhere        Cause = 817
	NotAcceptable               Cause = 818
	Unwanted                    Cause = 819
	NoIdentity                  Cause = 820
	BadIdentityInfo             Cause = 821
	UnsupportedCertificate      Cause = 822
	InvalidIdentity             Cause = 823
	StaleDate                   Cause = 824
	RejectAll                   Cause = 825
)

// names is FreeSWITCH's CAUSE_CHART (switch_channel.c): the name each cause
// has in Hangup-Cause headers, hangup_cause variables and -ERR replies.
var names = map[Cause]string{
	None:                        "NONE",
	UnallocatedNumber:           "UNALLOCATED_NUMBER",
	NoRouteTransitNet:           "NO_ROUTE_TRANSIT_NET",
	NoRouteDestination:          "NO_ROUTE_DESTINATION",
	ChannelUnacceptable:         "CHANNEL_UNACCEPTABLE",
	CallAwardedDelivered:        "CALL_AWARDED_DELIVERED",
	NormalClearing:              "NORMAL_CLEARING",
	UserBusy:                    "USER_BUSY",
	NoUserResponse:              "NO_USER_RESPONSE",
	NoAnswer:                    "NO_ANSWER",
	SubscriberAbsent:            "SUBSCRIBER_ABSENT",
	CallRejected:                "CALL_REJECTED",
	NumberChanged:               "NUMBER_CHANGED",
	RedirectionToNewDestination: "REDIRECTION_TO_NEW_DESTINATION",
	ExchangeRoutingError:        "EXCHANGE_ROUTING_ERROR",
	DestinationOutOfOrder:       "DESTINATION_OUT_OF_ORDER",
	InvalidNumberFormat:         "INVALID_NUMBER_FORMAT",
	FacilityRejected:            "FACILITY_REJECTED",
	ResponseToStatusEnquiry:     "RESPONSE_TO_STATUS_ENQUIRY",
	NormalUnspecified:           "NORMAL_UNSPECIFIED",
	NormalCircuitCongestion:     "NORMAL_CIRCUIT_CONGESTION",
	NetworkOutOfOrder:           "NETWORK_OUT_OF_ORDER",
	NormalTemporaryFailure:      "NORMAL_TEMPORARY_FAILURE",
	SwitchCongestion:            "SWITCH_CONGESTION",
	AccessInfoDiscarded:         "ACCESS_INFO_DISCARDED",
	RequestedChanUnavail:        "REQUESTED_CHAN_UNAVAIL",
	PreEmpted:                   "PRE_EMPTED",
	FacilityNotSubscribed:       "FACILITY_NOT_SUBSCRIBED",
	OutgoingCallBarred:          "OUTGOING_CALL_BARRED",
	IncomingCallBarred:          "INCOMING_CALL_BARRED",
	BearerCapabilityNotAuth:     "BEARERCAPABILITY_NOTAUTH",
	BearerCapabilityNotAvail:    "BEARERCAPABILITY_NOTAVAIL",
	ServiceUnavailable:          "SERVICE_UNAVAILABLE",
	BearerCapabilityNotImpl:     "BEARERCAPABILITY_NOTIMPL",
	ChanNotImplemented:          "CHAN_NOT_IMPLEMENTED",
	FacilityNotImplemented:      "FACILITY_NOT_IMPLEMENTED",
	ServiceNotImplemented:       "SERVICE_NOT_IMPLEMENTED",
	InvalidCallReference:        "INVALID_CALL_REFERENCE",
	IncompatibleDestination:     "INCOMPATIBLE_DESTINATION",
	InvalidMsgUnspecified:       "INVALID_MSG_UNSPECIFIED",
	MandatoryIEMissing:          "MANDATORY_IE_MISSING",
	MessageTypeNonexist:         "MESSAGE_TYPE_NONEXIST",
	WrongMessage:                "WRONG_MESSAGE",
	IENonexist:                  "IE_NONEXIST",
	InvalidIEContents:           "INVALID_IE_CONTENTS",
	WrongCallState:              "WRONG_CALL_STATE",
	RecoveryOnTimerExpire:       "RECOVERY_ON_TIMER_EXPIRE",
	MandatoryIELengthError:      "MANDATORY_IE_LENGTH_ERROR",
	ProtocolError:               "PROTOCOL_ERROR",
	Interworking:                "INTERWORKING",
	Success:                     "SUCCESS",
	OriginatorCancel:            "ORIGINATOR_CANCEL",
	Crash:                       "CRASH",
	SystemShutdown:              "SYSTEM_SHUTDOWN",
	LoseRace:                    "LOSE_RACE",
	ManagerRequest:              "MANAGER_REQUEST",
	BlindTransfer:               "BLIND_TRANSFER",
	AttendedTransfer:            "ATTENDED_TRANSFER",
	AllottedTimeout:             "ALLOTTED_TIMEOUT",
	UserChallenge:               "USER_CHALLENGE",
	MediaTimeout:                "MEDIA_TIMEOUT",
	PickedOff:                   "PICKED_OFF",
	UserNotRegistered:           "USER_NOT_REGISTERED",
	ProgressTimeout:             "PROGRESS_TIMEOUT",
	InvalidGateway:              "INVALID_GATEWAY",
	GatewayDown:                 "GATEWAY_DOWN",
	InvalidURL:                  "INVALID_URL",
	InvalidProfile:              "INVALID_PROFILE",
	NoPickup:                    "NO_PICKUP",
	SRTPReadError:               "SRTP_READ_ERROR",
	Bowout:                      "BOWOUT",
	BusyEverywhere:              "BUSY_EVERYWHERE",
	Decline:                     "DECLINE",
	DoesNotExistAnywhere:        "DOES_NOT_EXIST_ANYWHERE",
	NotAcceptable:               "NOT_ACCEPTABLE",
	Unwanted:                    "UNWANTED",
	NoIdentity:                  "NO_IDENTITY",
	BadIdentityInfo:             "BAD_IDENTITY_INFO",
	UnsupportedCertificate:      "UNSUPPORTED_CERTIFICATE",
	InvalidIdentity:             "INVALID_IDENTITY",
	StaleDate:                   "STALE_DATE",
	RejectAll:                   "REJECT_ALL",
}

// byName is names inverted; built once and never written again.
var byName = func() map[string]Cause {
	m := make(map[string]Cause, len(names))
	for c, n := range names {
		m[n] = c
	}
	return m
}()

// String is the cause's FreeSWITCH name, or "UNKNOWN" for a number that is
// not a cause, as switch_channel_cause2str (switch_channel.c) answers.
func (c Cause) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return "UNKNOWN"
}

// Known reports whether c is one of FreeSWITCH's causes.
func (c Cause) Known() bool {
	_, ok := names[c]
	return ok
}

// Q850 is the value FreeSWITCH shows as hangup_cause_q850: the cause itself
// when it is a Q.850 cause (up to 127), and 16 (NORMAL_CLEARING) for
// FreeSWITCH's own causes such as ORIGINATOR_CANCEL and for unknown numbers
// (esl-reference 3.9; captured in esl/testdata/fixtures 03).
func (c Cause) Q850() int {
	if c > Interworking || !c.Known() {
		return int(NormalClearing)
	}
	return int(c)
}

// ByName returns the cause a name stands for, in any case and with
// surrounding space ignored: USER_BUSY → 17. ok is false for an unknown name.
func ByName(name string) (c Cause, ok bool) {
	c, ok = byName[strings.ToUpper(strings.TrimSpace(name))]
	return c, ok
}

// Parse reads a cause the way uuid_kill and hupall take one
// (switch_channel_str2cause, switch_channel.c): a name in any case, or a
// number. Unlike FreeSWITCH, which takes any number, a number that is not a
// cause gives ok false, so a typo cannot end a call with a cause no peer
// knows.
func Parse(s string) (c Cause, ok bool) {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		c = Cause(n)
		return c, c.Known()
	}
	return ByName(s)
}
