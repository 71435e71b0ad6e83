package hangup

import (
	"fmt"
	"strconv"
	"strings"
)

// ForSIPStatus is the cause a leg ends with when its INVITE receives the
// final response code, as mod_sofia's sofia_glue_sip_cause_to_freeswitch
// (sofia_glue.c) maps it (esl-reference 5.5). A Q.850 Reason header in the
// response takes precedence: see ParseReason.
func ForSIPStatus(code int) Cause {
	switch code {
	case 200:
		return NormalClearing
	case 401, 402, 403, 407, 603, 608:
		return CallRejected
	case 404:
		return UnallocatedNumber
	case 485, 604:
		return NoRouteDestination
	case 408, 504:
		return RecoveryOnTimerExpire
	case 410:
		return NumberChanged
	case 413, 414, 416, 420, 421, 423, 505, 513:
		return Interworking
	case 480:
		return NoUserResponse
	case 400, 481, 500, 503:
		return NormalTemporaryFailure
	case 486, 600:
		return UserBusy
	case 484:
		return InvalidNumberFormat
	case 488, 606:
		return IncompatibleDestination
	case 502:
		return NetworkOutOfOrder
	case 405:
		return ServiceUnavailable
	case 406, 415, 501:
		return ServiceNotImplemented
	case 482, 483:
		return ExchangeRoutingError
	case 487:
		return OriginatorCancel
	default:
		return NormalUnspecified
	}
}

// SIPStatus is the final response code mod_sofia sends when it refuses an
// unanswered inbound INVITE with cause c, as hangup_cause_to_sip
// (mod_sofia.c) maps it (esl-reference 5.5). Causes it does not list,
// NORMAL_CLEARING among them, give 480.
func (c Cause) SIPStatus() int {
	switch c {
	case UnallocatedNumber, NoRouteTransitNet, NoRouteDestination:
		return 404
	case UserBusy:
		return 486
	case NoUserResponse:
		return 408
	case NoAnswer, SubscriberAbsent:
		return 480
	case CallRejected, Decline, RejectAll:
		return 603
	case NumberChanged, RedirectionToNewDestination:
		return 410
	case DestinationOutOfOrder, InvalidProfile:
		return 502
	case InvalidNumberFormat, InvalidURL, InvalidGateway:
		return 484
	case FacilityRejected:
		return 501
	case RequestedChanUnavail, NormalCircuitCongestion, NetworkOutOfOrder,
		NormalTemporaryFailure, SwitchCongestion, GatewayDown, BearerCapabilityNotAvail:
		return 503
	case OutgoingCallBarred, IncomingCallBarred, BearerCapabilityNotAuth, StaleDate:
		return 403
	case BearerCapabilityNotImpl, IncompatibleDestination:
		return 488
	case FacilityNotImplemented, ServiceNotImplemented:
		return 501
	case RecoveryOnTimerExpire:
		return 504
	case OriginatorCancel:
		return 487
	case ExchangeRoutingError:
		return 483
	case BusyEverywhere:
		return 600
	case DoesNotExistAnywhere:
		return 604
	case NotAcceptable:
		return 606
	case Unwanted:
		return 607
	case NoIdentity:
		return 428
	case BadIdentityInfo:
		return 429
	case UnsupportedCertificate:
		return 437
	case InvalidIdentity:
		return 438
	default:
		return 480
	}
}

// Reason is the Reason header value FreeSWITCH puts on the BYE, CANCEL or
// error response it sends for cause c (sofia_glue.c, mod_sofia.c):
// `Q.850;cause=N;text="NAME"` for Q.850 causes and `SIP;cause=N;text="NAME"`
// for FreeSWITCH's own (esl-reference 5.5). An unknown number is sent as
// NORMAL_CLEARING.
func (c Cause) Reason() string {
	if !c.Known() {
		c = NormalClearing
	}
	proto := "Q.850"
	if c > Interworking {
		proto = "SIP"
	}
	return fmt.Sprintf("%s;cause=%d;text=%q", proto, int(c), c.String())
}

// ParseReason reads the cause from a received Reason header value with
// protocol Q.850 (`Q.850;cause=17;text="USER_BUSY"` → USER_BUSY), as
// mod_sofia honours it on a BYE. A header may hold several comma-separated
// reasons; the first Q.850 one counts. ok is false when there is none, or
// its cause number is missing, above 127 or unknown.
func ParseReason(v string) (c Cause, ok bool) {
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
			if c := Cause(n); err == nil && c <= Interworking && c.Known() {
				return c, true
			}
			return None, false
		}
	}
	return None, false
}
