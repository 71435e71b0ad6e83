package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/flows"
)

// This file is the ESL driver's command text: what FreeSWITCH (and the
// agent) are sent for an origination and for each leg action. Every value
// that reaches a command line is checked here, so nothing from a plan or a
// SIP header can end the line or add an argument.

// ESLOriginate is how an ESL node places calls: the parts of FreeSWITCH's
// originate that have no meaning on other kinds of node.
type ESLOriginate struct {
	// Profile is the sofia profile calls leave through; Gateway, when set,
	// sends them through that gateway instead.
	Profile, Gateway string
	// Proxy sends the INVITE to this next hop (fs_path).
	Proxy string
	// App and AppArgs run on the answered caller leg; "" parks it.
	App, AppArgs string
	// Codecs, when set, is absolute_codec_string.
	Codecs []string
	// IgnoreEarlyMedia makes originate wait for the answer, not a 183.
	IgnoreEarlyMedia bool
}

// originateCommand is the bgapi argument for o (mod_commands.c; the form captured in
// esl/testdata/fixtures/01): the
// call's tracking variables first (callplan's own, which the plan cannot
// override), then the settings, the plan's headers and variables, all
// escaped by esl's builder.
func originateCommand(o Origination, s ESLOriginate) (string, error) {
	timeout := ""
	if o.Timeout > 0 {
		timeout = strconv.Itoa(int(o.Timeout / time.Second))
	}
	// Sized once for every variable: appending the plan's to the ten
	// fixed ones regrew the list for every call.
	vars := make([]esl.Var, 0, 11+len(o.Headers)+len(o.Variables))
	vars = append(vars, []esl.Var{
		{Name: "origination_uuid", Value: o.CallID},
		{Name: "sip_h_X-callplan-call", Value: o.CallID},
		{Name: "sip_h_X-callplan-run", Value: o.RunID},
		{Name: "callplan_run", Value: o.RunID},
		{Name: "callplan_flow", Value: o.Flow},
		{Name: "callplan_stage", Value: o.Stage},
		{Name: "origination_caller_id_name", Value: o.CallerIDName},
		{Name: "origination_caller_id_number", Value: o.CallerIDNumber},
		{Name: "originate_timeout", Value: timeout},
		{Name: "ignore_early_media", Value: strconv.FormatBool(s.IgnoreEarlyMedia)},
	}...)
	if len(s.Codecs) > 0 {
		vars = append(vars, esl.Var{Name: "absolute_codec_string", Value: strings.Join(s.Codecs, ",")})
	}
	var kb [16]string
	for _, k := range appendSortedKeys(kb[:0], o.Headers) {
		vars = append(vars, esl.Var{Name: "sip_h_" + k, Value: o.Headers[k]})
	}
	for _, k := range appendSortedKeys(kb[:0], o.Variables) {
		vars = append(vars, esl.Var{Name: k, Value: o.Variables[k]})
	}
	ep := esl.Sofia(s.Profile, o.Destination)
	if s.Gateway != "" {
		ep = esl.SofiaGateway(s.Gateway, o.Destination)
	}
	cmd, err := esl.Originate{Vars: vars, Endpoint: ep, Proxy: s.Proxy, App: s.App, AppArgs: s.AppArgs}.Command()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOrigination, err)
	}
	return cmd, nil
}

// appendSortedKeys appends m's keys to dst in order: into the caller's
// array, as a plan's few headers and variables fit, where
// slices.Sorted(maps.Keys(m)) made two lists a call.
func appendSortedKeys(dst []string, m map[string]string) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}

// actionCommand is the api command that performs a on leg uuid
// (mod_commands.c's uuid_* commands; respond runs as an app through
// uuid_broadcast). ActExecute has none: it goes by sendmsg.
func actionCommand(uuid string, a Action) (string, error) {
	if err := safeArg(uuid); err != nil {
		return "", err
	}
	arg := func(v string) (string, error) { return v, safeArg(v) }
	switch a.Kind {
	case ActAnswer:
		return "uuid_answer " + uuid, nil
	case ActPreAnswer:
		return "uuid_pre_answer " + uuid, nil
	case ActRingReady:
		return "uuid_ring_ready " + uuid, nil
	case ActRespond:
		if a.Code < 100 || a.Code > 699 {
			return "", fmt.Errorf("respond: SIP code %d out of range", a.Code)
		}
		// respond runs on the leg itself (aleg) as an app, via
		// uuid_broadcast's app::arg form.
		return fmt.Sprintf("uuid_broadcast %s respond::%d aleg", uuid, a.Code), nil
	case ActHangup:
		cause, err := arg(a.Cause)
		return "uuid_kill " + uuid + " " + cause, err
	case ActPlay:
		url, err := arg(a.URL)
		return "uuid_broadcast " + uuid + " " + url + " aleg", err
	case ActStopPlayback:
		return "uuid_break " + uuid + " all", nil
	case ActRecord:
		path, err := arg(a.Path)
		secs := max(int(a.Limit.Round(time.Second)/time.Second), 1)
		return fmt.Sprintf("uuid_record %s start %s %d", uuid, path, secs), err
	case ActStopRecord:
		path, err := arg(a.Path)
		return "uuid_record " + uuid + " stop " + path, err
	case ActSendDTMF:
		digits, err := arg(a.Digits)
		return "uuid_send_dtmf " + uuid + " " + digits, err
	case ActSetVar:
		if err := safeArg(a.Name); err != nil {
			return "", err
		}
		if strings.ContainsAny(a.Value, "\r\n") {
			return "", fmt.Errorf("set %s: value contains a line break", a.Name)
		}
		return "uuid_setvar " + uuid + " " + a.Name + " " + a.Value, nil
	case ActMute:
		return muteCommand(uuid, a)
	}
	return "", fmt.Errorf("%s: %w", a.Kind, ErrUnsupported)
}

// muteCommand is uuid_audio <uuid> start read|write mute 1|0 (fixture
// 06 mutes with it). FreeSWITCH zeroes every frame of a direction muted
// with level 1 and fills it with comfort noise above 1
// (switch_ivr_async.c, session_audio_callback); 0 lifts that direction's
// mute alone, where "uuid_audio <uuid> stop" would lift both.
func muteCommand(uuid string, a Action) (string, error) {
	if a.Direction != flows.AudioRead && a.Direction != flows.AudioWrite {
		return "", fmt.Errorf("mute: direction %q is neither read nor write", a.Direction)
	}
	level := "0"
	if a.Mute {
		level = "1"
	}
	return fmt.Sprintf("uuid_audio %s start %s mute %s", uuid, a.Direction, level), nil
}

// executeMessage is the sendmsg that runs a.App on a leg: its argument
// travels in a header, so it may hold blanks (tone_detect's does), but
// not a line break.
func executeMessage(a Action) (esl.Headers, error) {
	if err := safeArg(a.App); err != nil {
		return nil, err
	}
	if strings.ContainsAny(a.Args, "\r\n\x00") {
		return nil, fmt.Errorf("execute %s: argument contains a line break", a.App)
	}
	h := esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: a.App}}
	if a.Args != "" {
		h = append(h, esl.Header{Name: "execute-app-arg", Value: a.Args})
	}
	return h, nil
}

// hupallCommand ends every channel of run runID on a node, and only those:
// both legs of its calls carry the sip_h_X-callplan-run variable.
func hupallCommand(cause, runID string) string {
	return fmt.Sprintf("hupall %s sip_h_X-callplan-run %s", cause, runID)
}

// checkReply turns a reply whose first line starts with '-' (-ERR, -ERROR,
// -USAGE) into an error (the bodies captured in
// esl/testdata/fixtures/10a).
func checkReply(cmd, body string, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("%s: %w", firstWord(cmd), err)
	}
	if strings.HasPrefix(body, "-") {
		line, _, _ := strings.Cut(body, "\n")
		return body, fmt.Errorf("%s: %w: %s", firstWord(cmd), ErrRefused, strings.TrimSpace(line))
	}
	return body, nil
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// safeArg rejects a value that would break out of an ESL command line.
func safeArg(v string) error {
	if v == "" || strings.ContainsAny(v, "\r\n \t") {
		return fmt.Errorf("unsafe command argument %q", v)
	}
	return nil
}
