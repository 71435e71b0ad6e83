package agent

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/hangup"
)

// The originate command line, as mod_commands reads it:
//
//	originate <dialstring> <target> [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]
//	target     := <extension> | &<app>[(<arg>)]
//	dialstring := ['<' vars '>'] ['{' vars '}']* leg ((',' | '|') leg)*
//	leg        := ['[' vars ']'] <endpoint>
//	vars       := name=value (',' name=value)*   -- '\,' escapes a comma; a leading ^^X makes X the separator
//	endpoint   := sofia/<profile>/[sip:]<user>@<host>[:<port>][;<param>=<value>]*
//	            | error/<cause>
//
// Arguments and variable blocks are split with FreeSWITCH's own parser (the
// esl package's port of switch_separate_string and
// switch_event_create_brackets), so what esl.Originate escapes arrives
// unchanged. The agent places one leg per originate: a dial string with
// several legs uses the first (documented in docs/agent.md).

// originateUsage is the reply to a malformed originate (captured: 10a).
const originateUsage = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

// errUsage marks an originate whose argument count is wrong.
var errUsage = errors.New("usage")

// originateCmd is a parsed originate command line.
type originateCmd struct {
	Dial      dialString
	App       string // without '&'; "park" for an extension target
	AppArg    string
	Exten     string // set when the target was an extension
	Dialplan  string
	Context   string
	CIDName   string
	CIDNumber string
	Timeout   int // seconds; 0 = not given
}

// dialString is a parsed dial string.
type dialString struct {
	Vars []header  // from '<>' and '{}', in order
	Legs []dialLeg // in order; ',' and '|' separators are not distinguished
	Raw  string    // as given
}

// dialLeg is one leg of a dial string.
type dialLeg struct {
	Vars     []header // from '[]'
	Endpoint string   // e.g. sofia/external/test@127.0.0.1:5080
}

// sofiaTarget is a parsed sofia endpoint.
type sofiaTarget struct {
	Profile   string
	User      string
	Host      string // host[:port] as written
	Proxy     string // fs_path, without "sip:" and angle brackets
	Transport string // udp (default) or tcp
}

// originateError carries the cause an originate fails with before any leg
// exists (bad dial string, unknown endpoint, ...).
type originateError struct{ cause hangup.Cause }

func (e originateError) Error() string { return e.cause.String() }

// parseOriginate parses the arguments of `originate`.
func parseOriginate(args string) (originateCmd, error) {
	// mod_commands splits into at most 10 arguments with
	// switch_separate_string (quotes group, escapes are undone once).
	argv := esl.SeparateString(strings.TrimSpace(args), ' ', 10)
	if len(argv) < 2 || len(argv) > 7 {
		return originateCmd{}, errUsage
	}
	var oc originateCmd
	ds, err := parseDialString(argv[0])
	if err != nil {
		return originateCmd{}, err
	}
	oc.Dial = ds
	target := argv[1]
	if strings.HasPrefix(target, "&") {
		app := target[1:]
		if i := strings.IndexByte(app, '('); i >= 0 {
			arg := app[i+1:]
			app = app[:i]
			// Cut at the first ')', as FreeSWITCH does.
			if j := strings.IndexByte(arg, ')'); j >= 0 {
				arg = arg[:j]
			}
			oc.AppArg = arg
		}
		oc.App = app
	} else {
		oc.Exten = target
		oc.App = "park"
	}
	if oc.App == "" {
		return originateCmd{}, errUsage
	}
	opt := func(i int) string {
		if i < len(argv) && argv[i] != "undef" {
			return argv[i]
		}
		return ""
	}
	oc.Dialplan, oc.Context, oc.CIDName, oc.CIDNumber = opt(2), opt(3), opt(4), opt(5)
	if t := opt(6); t != "" {
		n, err := strconv.Atoi(t)
		if err == nil && n > 0 {
			oc.Timeout = n
		}
	}
	return oc, nil
}

// parseDialString parses a dial string into its variables and legs.
func parseDialString(s string) (dialString, error) {
	ds := dialString{Raw: s}
	rest := s
	for len(rest) > 0 && (rest[0] == '<' || rest[0] == '{') {
		closer := byte('>')
		if rest[0] == '{' {
			closer = '}'
		}
		end := esl.FindEndParen(rest, rest[0], closer)
		if end < 0 {
			// An unclosed '{' fails the leg (captured: 10a).
			return dialString{}, originateError{hangup.DestinationOutOfOrder}
		}
		vars, err := parseVars(rest[1:end])
		if err != nil {
			return dialString{}, err
		}
		ds.Vars = append(ds.Vars, vars...)
		rest = rest[end+1:]
	}
	for _, part := range splitLegs(rest) {
		var leg dialLeg
		p := strings.TrimSpace(part)
		if strings.HasPrefix(p, "[") {
			end := esl.FindEndParen(p, '[', ']')
			if end < 0 {
				return dialString{}, originateError{hangup.DestinationOutOfOrder}
			}
			vars, err := parseVars(p[1:end])
			if err != nil {
				return dialString{}, err
			}
			leg.Vars = vars
			p = p[end+1:]
		}
		if p == "" {
			continue
		}
		leg.Endpoint = p
		ds.Legs = append(ds.Legs, leg)
	}
	if len(ds.Legs) == 0 {
		return dialString{}, originateError{hangup.DestinationOutOfOrder}
	}
	return ds, nil
}

// splitLegs splits the leg list on ',' and '|' outside brackets.
func splitLegs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '<':
			depth++
		case ']', '}', '>':
			if depth > 0 {
				depth--
			}
		case ',', '|':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseVars parses the inside of a variable block exactly as FreeSWITCH's
// switch_event_create_brackets does (esl.ParseVarBlock: '^^X' separators,
// quotes, both unescaping passes; items without a value are dropped).
func parseVars(s string) ([]header, error) {
	var out []header
	for _, v := range esl.ParseVarBlock(s) {
		if v.Name != "" {
			out = append(out, header{v.Name, v.Value})
		}
	}
	return out, nil
}

// parseSofia parses an endpoint. It returns the target for a sofia endpoint
// or the cause the originate fails with.
func parseSofia(endpoint string, profiles []string) (sofiaTarget, hangup.Cause) {
	tech, rest, ok := strings.Cut(endpoint, "/")
	if !ok {
		return sofiaTarget{}, hangup.ChanNotImplemented
	}
	switch strings.ToLower(tech) {
	case "sofia":
	case "error":
		return sofiaTarget{}, causeOr(rest, hangup.NormalUnspecified)
	default:
		return sofiaTarget{}, hangup.ChanNotImplemented
	}
	profile, dest, ok := strings.Cut(rest, "/")
	if !ok || dest == "" {
		return sofiaTarget{}, hangup.InvalidURL
	}
	if profile == "gateway" {
		return sofiaTarget{}, hangup.InvalidGateway
	}
	known := false
	for _, p := range profiles {
		if p == profile {
			known = true
		}
	}
	if !known {
		return sofiaTarget{}, hangup.InvalidProfile
	}
	t := sofiaTarget{Profile: profile, Transport: "udp"}
	addr, params, _ := strings.Cut(dest, ";")
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "sip:"), "sips:")
	user, host, ok := strings.Cut(addr, "@")
	if !ok {
		// A registered user: the agent has no registrar.
		return sofiaTarget{}, hangup.UserNotRegistered
	}
	if host == "" {
		return sofiaTarget{}, hangup.InvalidURL
	}
	t.User, t.Host = user, host
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "fs_path":
			if dec, err := url.PathUnescape(v); err == nil {
				v = dec
			}
			v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
			v = strings.TrimPrefix(strings.TrimPrefix(v, "sip:"), "sips:")
			// Drop URI parameters of the proxy (";lr", ";transport=...").
			v, proxyParams, _ := strings.Cut(v, ";")
			if strings.Contains(strings.ToLower(proxyParams), "transport=tcp") {
				t.Transport = "tcp"
			}
			t.Proxy = v
		case "transport":
			t.Transport = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return t, hangup.None
}
