package sip

import (
	"fmt"
	"strconv"
	"strings"
)

// causes is FreeSWITCH's switch_call_cause_t: every hangup cause name and its
// number (switch_types.h, CAUSE_CHART in switch_channel.c). Numbers up to 127
// are Q.850 cause values; the rest are FreeSWITCH's own.
var causes = []struct {
	name string
	num  int
}{
	{"NONE", 0},
	{"UNALLOCATED_NUMBER", 1},
	{"NO_ROUTE_TRANSIT_NET", 2},
	{"NO_ROUTE_DESTINATION", 3},
	{"CHANNEL_UNACCEPTABLE", 6},
	{"CALL_AWARDED_DELIVERED", 7},
	{"NORMAL_CLEARING", 16},
	{"USER_BUSY", 17},
	{"NO_USER_RESPONSE", 18},
	{"NO_ANSWER", 19},
	{"SUBSCRIBER_ABSENT", 20},
	{"CALL_REJECTED", 21},
	{"NUMBER_CHANGED", 22},
	{"REDIRECTION_TO_NEW_DESTINATION", 23},
	{"EXCHANGE_ROUTING_ERROR", 25},
	{"DESTINATION_OUT_OF_ORDER", 27},
	{"INVALID_NUMBER_FORMAT", 28},
	{"FACILITY_REJECTED", 29},
	{"RESPONSE_TO_STATUS_ENQUIRY", 30},
	{"NORMAL_UNSPECIFIED", 31},
	{"NORMAL_CIRCUIT_CONGESTION", 34},
	{"NETWORK_OUT_OF_ORDER", 38},
	{"NORMAL_TEMPORARY_FAILURE", 41},
	{"SWITCH_CONGESTION", 42},
	{"ACCESS_INFO_DISCARDED", 43},
	{"REQUESTED_CHAN_UNAVAIL", 44},
	{"PRE_EMPTED", 45},
	{"FACILITY_NOT_SUBSCRIBED", 50},
	{"OUTGOING_CALL_BARRED", 52},
	{"INCOMING_CALL_BARRED", 54},
	{"BEARERCAPABILITY_NOTAUTH", 57},
	{"BEARERCAPABILITY_NOTAVAIL", 58},
	{"SERVICE_UNAVAILABLE", 63},
	{"BEARERCAPABILITY_NOTIMPL", 65},
	{"CHAN_NOT_IMPLEMENTED", 66},
	{"FACILITY_NOT_IMPLEMENTED", 69},
	{"SERVICE_NOT_IMPLEMENTED", 79},
	{"INVALID_CALL_REFERENCE", 81},
	{"INCOMPATIBLE_DESTINATION", 88},
	{"INVALID_MSG_UNSPECIFIED", 95},
	{"MANDATORY_IE_MISSING", 96},
	{"MESSAGE_TYPE_NONEXIST", 97},
	{"WRONG_MESSAGE", 98},
	{"IE_NONEXIST", 99},
	{"INVALID_IE_CONTENTS", 100},
	{"WRONG_CALL_STATE", 101},
	{"RECOVERY_ON_TIMER_EXPIRE", 102},
	{"MANDATORY_IE_LENGTH_ERROR", 103},
	{"PROTOCOL_ERROR", 111},
	{"INTERWORKING", 127},
	{"SUCCESS", 142},
	{"ORIGINATOR_CANCEL", 487},
	{"CRASH", 700},
	{"SYSTEM_SHUTDOWN", 701},
	{"LOSE_RACE", 702},
	{"MANAGER_REQUEST", 703},
	{"BLIND_TRANSFER", 800},
	{"ATTENDED_TRANSFER", 801},
	{"ALLOTTED_TIMEOUT", 802},
	{"USER_CHALLENGE", 803},
	{"MEDIA_TIMEOUT", 804},
	{"PICKED_OFF", 805},
	{"USER_NOT_REGISTERED", 806},
	{"PROGRESS_TIMEOUT", 807},
	{"INVALID_GATEWAY", 808},
	{"GATEWAY_DOWN", 809},
	{"INVALID_URL", 810},
	{"INVALID_PROFILE", 811},
	{"NO_PICKUP", 812},
	{"SRTP_READ_ERROR", 813},
	{"BOWOUT", 814},
	{"BUSY_EVERYWHERE", 815},
	{"DECLINE", 816},
	{"DOES_NOT_EXIST_ANYWHERE", 817},
	{"NOT_ACCEPTABLE", 818},
	{"UNWANTED", 819},
	{"NO_IDENTITY", 820},
	{"BAD_IDENTITY_INFO", 821},
	{"UNSUPPORTED_CERTIFICATE", 822},
	{"INVALID_IDENTITY", 823},
	{"STALE_DATE", 824},
	{"REJECT_ALL", 825},
}

// The lookup maps are built once from the table and never written again.
var causeByName, causeByNum = causeMaps()

func causeMaps() (map[string]int, map[int]string) {
	byName := make(map[string]int, len(causes))
	byNum := make(map[int]string, len(causes))
	for _, c := range causes {
		byName[c.name] = c.num
		byNum[c.num] = c.name
	}
	return byName, byNum
}

// CauseNumber returns the FreeSWITCH cause number of a cause name (case
// insensitive), e.g. USER_BUSY → 17, ORIGINATOR_CANCEL → 487. ok is false for
// an unknown name.
func CauseNumber(cause string) (n int, ok bool) {
	n, ok = causeByName[strings.ToUpper(strings.TrimSpace(cause))]
	return n, ok
}

// CauseName returns the cause name of a FreeSWITCH cause number, or "" when
// the number is not a cause.
func CauseName(n int) string { return causeByNum[n] }

// ParseCause accepts a cause as FreeSWITCH's uuid_kill and hupall do: a name
// (any case) or a number. Unknown input gives ok false.
func ParseCause(s string) (cause string, ok bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		name := CauseName(n)
		return name, name != ""
	}
	u := strings.ToUpper(s)
	if _, ok := causeByName[u]; ok {
		return u, true
	}
	return "", false
}

// CauseQ850 is the value FreeSWITCH shows as hangup_cause_q850: the cause
// number when it is a Q.850 cause (<= 127), and 16 (NORMAL_CLEARING) for
// FreeSWITCH's own causes such as ORIGINATOR_CANCEL (esl-reference 3.9).
// Unknown names give 16 too.
func CauseQ850(cause string) int {
	n, ok := CauseNumber(cause)
	if !ok || n > 127 {
		return 16
	}
	return n
}

// CauseForStatus maps a final SIP response code received for our INVITE to
// the hangup cause, as sofia_glue_sip_cause_to_freeswitch does (esl-reference
// 5.5). A Q.850 Reason header in the response takes precedence: see
// CauseFromReason.
func CauseForStatus(code int) string {
	switch code {
	case 200:
		return "NORMAL_CLEARING"
	case 401, 402, 403, 407, 603, 608:
		return "CALL_REJECTED"
	case 404:
		return "UNALLOCATED_NUMBER"
	case 485, 604:
		return "NO_ROUTE_DESTINATION"
	case 408, 504:
		return "RECOVERY_ON_TIMER_EXPIRE"
	case 410:
		return "NUMBER_CHANGED"
	case 413, 414, 416, 420, 421, 423, 505, 513:
		return "INTERWORKING"
	case 480:
		return "NO_USER_RESPONSE"
	case 400, 481, 500, 503:
		return "NORMAL_TEMPORARY_FAILURE"
	case 486, 600:
		return "USER_BUSY"
	case 484:
		return "INVALID_NUMBER_FORMAT"
	case 488, 606:
		return "INCOMPATIBLE_DESTINATION"
	case 502:
		return "NETWORK_OUT_OF_ORDER"
	case 405:
		return "SERVICE_UNAVAILABLE"
	case 406, 415, 501:
		return "SERVICE_NOT_IMPLEMENTED"
	case 482, 483:
		return "EXCHANGE_ROUTING_ERROR"
	case 487:
		return "ORIGINATOR_CANCEL"
	default:
		return "NORMAL_UNSPECIFIED"
	}
}

// StatusForCause maps a hangup cause to the final SIP response sent when an
// unanswered inbound INVITE is refused with it, as mod_sofia's
// hangup_cause_to_sip does (esl-reference 5.5). Causes not listed, including
// NORMAL_CLEARING and unknown names, give 480.
func StatusForCause(cause string) int {
	switch strings.ToUpper(strings.TrimSpace(cause)) {
	case "UNALLOCATED_NUMBER", "NO_ROUTE_TRANSIT_NET", "NO_ROUTE_DESTINATION":
		return 404
	case "USER_BUSY":
		return 486
	case "NO_USER_RESPONSE":
		return 408
	case "NO_ANSWER", "SUBSCRIBER_ABSENT":
		return 480
	case "CALL_REJECTED", "DECLINE", "REJECT_ALL":
		return 603
	case "NUMBER_CHANGED", "REDIRECTION_TO_NEW_DESTINATION":
		return 410
	case "DESTINATION_OUT_OF_ORDER", "INVALID_PROFILE":
		return 502
	case "INVALID_NUMBER_FORMAT", "INVALID_URL", "INVALID_GATEWAY":
		return 484
	case "FACILITY_REJECTED":
		return 501
	case "REQUESTED_CHAN_UNAVAIL", "NORMAL_CIRCUIT_CONGESTION", "NETWORK_OUT_OF_ORDER",
		"NORMAL_TEMPORARY_FAILURE", "SWITCH_CONGESTION", "GATEWAY_DOWN", "BEARERCAPABILITY_NOTAVAIL":
		return 503
	case "OUTGOING_CALL_BARRED", "INCOMING_CALL_BARRED", "BEARERCAPABILITY_NOTAUTH", "STALE_DATE":
		return 403
	case "BEARERCAPABILITY_NOTIMPL", "INCOMPATIBLE_DESTINATION":
		return 488
	case "FACILITY_NOT_IMPLEMENTED", "SERVICE_NOT_IMPLEMENTED":
		return 501
	case "RECOVERY_ON_TIMER_EXPIRE":
		return 504
	case "ORIGINATOR_CANCEL":
		return 487
	case "EXCHANGE_ROUTING_ERROR":
		return 483
	case "BUSY_EVERYWHERE":
		return 600
	case "DOES_NOT_EXIST_ANYWHERE":
		return 604
	case "NOT_ACCEPTABLE":
		return 606
	case "UNWANTED":
		return 607
	case "NO_IDENTITY":
		return 428
	case "BAD_IDENTITY_INFO":
		return 429
	case "UNSUPPORTED_CERTIFICATE":
		return 437
	case "INVALID_IDENTITY":
		return 438
	default:
		return 480
	}
}

// ReasonHeader is the Reason header value FreeSWITCH puts on the BYE, CANCEL
// or error response it sends for a cause: `Q.850;cause=N;text="NAME"` for
// Q.850 causes and `SIP;cause=N;text="NAME"` for FreeSWITCH's own
// (esl-reference 5.5).
func ReasonHeader(cause string) string {
	cause = strings.ToUpper(strings.TrimSpace(cause))
	n, ok := CauseNumber(cause)
	if !ok {
		cause, n = "NORMAL_CLEARING", 16
	}
	proto := "Q.850"
	if n > 127 {
		proto = "SIP"
	}
	return fmt.Sprintf("%s;cause=%d;text=%q", proto, n, cause)
}

// CauseFromReason extracts the hangup cause from a received Reason header
// value with protocol Q.850 (`Q.850;cause=17;text="USER_BUSY"` → USER_BUSY).
// ok is false for other protocols, a missing or unknown cause number.
func CauseFromReason(v string) (cause string, ok bool) {
	// A header may hold several comma-separated reasons; use the Q.850 one.
	for _, r := range strings.Split(v, ",") {
		parts := strings.Split(r, ";")
		if !strings.EqualFold(strings.TrimSpace(parts[0]), "Q.850") {
			continue
		}
		for _, p := range parts[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			if !strings.EqualFold(strings.TrimSpace(k), "cause") {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n > 127 {
				return "", false
			}
			name := CauseName(n)
			return name, name != ""
		}
	}
	return "", false
}
