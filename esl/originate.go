package esl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDialString means an originate could not be built because a value
// cannot be carried safely into FreeSWITCH's dial-string syntax.
var ErrDialString = errors.New("invalid originate")

// Var is one channel variable set on the originated leg, in the order
// given. A Var with an empty value is left out: FreeSWITCH cannot set an
// empty variable in a dial string.
type Var struct {
	Name  string
	Value string
}

// Endpoint is where an originate sends the leg. Build one with Sofia,
// SofiaGateway or Loopback.
type Endpoint struct {
	kind endpointKind
	a, b string
}

type endpointKind int

const (
	endpointNone endpointKind = iota
	endpointSofia
	endpointGateway
	endpointLoopback
)

// Sofia is "sofia/<profile>/<dest>", dest being user@host[:port] (or a
// registered user), e.g. Sofia("external", "1000@10.0.0.7:5060").
func Sofia(profile, dest string) Endpoint { return Endpoint{kind: endpointSofia, a: profile, b: dest} }

// SofiaGateway is "sofia/gateway/<gateway>/<number>".
func SofiaGateway(gateway, number string) Endpoint {
	return Endpoint{kind: endpointGateway, a: gateway, b: number}
}

// Loopback is "loopback/<exten>[/<context>]": the leg runs the dialplan of
// this FreeSWITCH itself; handy in tests.
func Loopback(exten, context string) Endpoint {
	return Endpoint{kind: endpointLoopback, a: exten, b: context}
}

// Originate is one "originate" API command (reference 4.1):
//
//	originate {<vars>}<endpoint>[;fs_path=sip:<proxy>] &<app>(<args>)
//
// Every value is escaped for the three passes FreeSWITCH makes over it (the
// API splits its arguments on blanks, the {} block is split on commas, each
// item on '='; each pass strips quotes and unescapes \\ \' \, \s), so no
// value can end its field, add a variable, change the endpoint or add a
// positional argument. What no escape can carry is refused with
// ErrDialString: CR, LF and NUL anywhere (they would end the ESL command),
// '{' and '}' in values (FreeSWITCH finds the end of the block by counting
// braces, ignoring quotes and escapes), "${" (FreeSWITCH expands
// variables, API calls included), and in the endpoint, proxy and app any
// character of the dial-string grammar.
type Originate struct {
	Vars     []Var
	Endpoint Endpoint
	// Proxy, for a Sofia endpoint, sends the INVITE to this next hop
	// (host[:port]) while the Request-URI stays as the endpoint says.
	Proxy string
	// App and AppArgs are the application run on the answered leg;
	// App "" means park, as the runner drives legs with sendmsg.
	App     string
	AppArgs string
}

// Command returns the API command, e.g. `originate {origination_uuid=...}
// sofia/external/1000@10.0.0.7 &park()`, ready for BgAPI.
func (o Originate) Command() (string, error) {
	var b strings.Builder
	// Room for the whole command up front (escaping rarely adds): grown
	// write by write, a runner's originate took eight allocations.
	size := len("originate {} &()") + len(o.Endpoint.a) + len(o.Endpoint.b) + len("sofia/gateway//") +
		len(o.Proxy) + len(";fs_path=sip:") + len(o.App) + len("park") + len(o.AppArgs)
	for _, v := range o.Vars {
		size += len(v.Name) + len(v.Value) + 2
	}
	b.Grow(size)
	b.WriteString("originate ")
	n := 0
	for _, v := range o.Vars {
		if err := checkVarName(v.Name); err != nil {
			return "", err
		}
		if err := checkVarValue(v.Name, v.Value); err != nil {
			return "", err
		}
		if v.Value == "" {
			// FreeSWITCH drops "name=" (its '=' split yields one part), so
			// an empty value cannot be set here; leave it out visibly.
			continue
		}
		if n == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		n++
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(escapeVarValue(v.Value))
	}
	if n > 0 {
		b.WriteByte('}')
	}
	ep, err := o.Endpoint.dialString()
	if err != nil {
		return "", err
	}
	b.WriteString(ep)
	if o.Proxy != "" {
		if o.Endpoint.kind != endpointSofia {
			return "", fmt.Errorf("proxy %q: only a sofia endpoint takes a proxy: %w", o.Proxy, ErrDialString)
		}
		proxy := strings.TrimPrefix(o.Proxy, "sip:")
		if err := checkDialToken("proxy", proxy); err != nil {
			return "", err
		}
		b.WriteString(";fs_path=sip:")
		b.WriteString(proxy)
	}
	app := o.App
	if app == "" {
		if o.AppArgs != "" {
			return "", fmt.Errorf("app args %q without an app: %w", o.AppArgs, ErrDialString)
		}
		app = "park"
	}
	if !isName(app, false) {
		return "", fmt.Errorf("app %q: want letters, digits and '_': %w", app, ErrDialString)
	}
	if err := checkAppArgs(o.AppArgs); err != nil {
		return "", err
	}
	b.WriteString(" &")
	b.WriteString(app)
	b.WriteByte('(')
	b.WriteString(escapeBlank(o.AppArgs))
	b.WriteByte(')')
	return b.String(), nil
}

func (e Endpoint) dialString() (string, error) {
	switch e.kind {
	case endpointSofia:
		if !isName(e.a, true) {
			return "", fmt.Errorf("sofia profile %q: want letters, digits, '_', '-', '.': %w", e.a, ErrDialString)
		}
		if err := checkDialToken("destination", e.b); err != nil {
			return "", err
		}
		return "sofia/" + e.a + "/" + e.b, nil
	case endpointGateway:
		if !isName(e.a, true) {
			return "", fmt.Errorf("gateway %q: want letters, digits, '_', '-', '.': %w", e.a, ErrDialString)
		}
		if err := checkDialToken("number", e.b); err != nil {
			return "", err
		}
		return "sofia/gateway/" + e.a + "/" + e.b, nil
	case endpointLoopback:
		if err := checkDialToken("extension", e.a); err != nil {
			return "", err
		}
		if strings.Contains(e.a, "/") {
			return "", fmt.Errorf("extension %q: '/' separates the context: %w", e.a, ErrDialString)
		}
		if e.b == "" {
			return "loopback/" + e.a, nil
		}
		if !isName(e.b, true) {
			return "", fmt.Errorf("loopback context %q: want letters, digits, '_', '-', '.': %w", e.b, ErrDialString)
		}
		return "loopback/" + e.a + "/" + e.b, nil
	default:
		return "", fmt.Errorf("no endpoint: %w", ErrDialString)
	}
}

// isName accepts identifiers: letters, digits, '_' and, with dots, '-' and
// '.' too.
func isName(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		case dots && (c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// checkVarName accepts channel variable names as FreeSWITCH and SIP use
// them: letters, digits, '_', '-', '.' (sip_h_X-Foo), not starting with
// '^' (which would switch the separator) or anything else.
func checkVarName(name string) error {
	if !isName(name, true) {
		return fmt.Errorf("variable name %q: want letters, digits, '_', '-', '.': %w", name, ErrDialString)
	}
	return nil
}

func checkVarValue(name, v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("variable %s: byte %q at %d would end the command: %w", name, v[i], i, ErrDialString)
	}
	if i := strings.IndexAny(v, "{}"); i >= 0 {
		return fmt.Errorf("variable %s: %q at %d cannot be escaped inside {}: %w", name, v[i], i, ErrDialString)
	}
	if strings.Contains(v, "${") {
		return fmt.Errorf("variable %s: \"${\" would be expanded by FreeSWITCH: %w", name, ErrDialString)
	}
	return nil
}

// dialForbidden are the characters of the dial-string and API grammar an
// endpoint token may not contain: blanks and quotes (argument split),
// ',' and '|' (leg separators), braces, '<' '>' (variable blocks), '&' and
// parentheses (the app), '\' (escapes), '$' (expansion), '^' (separator).
const dialForbidden = " \t'\"\\,|{}<>&()$^`"

// checkDialToken checks an endpoint part. '[' and ']' are allowed inside
// (an IPv6 host) but not first, where they would open a per-leg block.
func checkDialToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s: %w", what, ErrDialString)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(dialForbidden, c) >= 0 {
			return fmt.Errorf("%s %q: %q at %d is not allowed in a dial string: %w", what, s, c, i, ErrDialString)
		}
	}
	if s[0] == '[' || strings.Contains(s, ":_:") {
		return fmt.Errorf("%s %q: would change the dial string's structure: %w", what, s, ErrDialString)
	}
	return nil
}

func checkAppArgs(s string) error {
	if i := strings.IndexAny(s, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("app args: byte %q at %d would end the command: %w", s[i], i, ErrDialString)
	}
	// FreeSWITCH cuts &app(args) at the first '(' and the first ')'.
	if i := strings.IndexAny(s, "()"); i >= 0 {
		return fmt.Errorf("app args %q: %q at %d would cut the argument: %w", s, s[i], i, ErrDialString)
	}
	if strings.Contains(s, "${") {
		return fmt.Errorf("app args: \"${\" would be expanded by FreeSWITCH: %w", ErrDialString)
	}
	return nil
}

// escapeVarValue escapes a {} value for the three passes FreeSWITCH makes
// over it, innermost first: the '=' split, the ',' split, the API's blank
// split. Each pass (switch_separate_string + cleanup_separated_string)
// turns \\ \' \" \<delimiter> into the character, \s into a space, drops
// unescaped single quotes and trims blanks, so each pass's escape doubles
// the backslashes of the one inside it.
func escapeVarValue(v string) string {
	return escapeBlank(escapePass(escapePass(v, 0), ','))
}

// needsEscape reports whether escapePass would change v.
func needsEscape(v string, delim byte) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '\'' || c == ' ' || (delim != 0 && c == delim) {
			return true
		}
	}
	return false
}

// escapeBlank escapes for the API's blank split (switch_separate_string
// with ' ', whose cleanup has no delimiter escape).
func escapeBlank(v string) string { return escapePass(v, 0) }

// escapePass escapes v so that one pass of cleanup_separated_string with
// delimiter delim (0 for none) gives v back and the splitter never sees an
// unescaped delimiter, quote or blank.
func escapePass(v string, delim byte) string {
	if !needsEscape(v, delim) {
		// Most values (uuids, names, numbers) have nothing to escape: no
		// copy, where the runner's originate used to make three per
		// variable.
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == ' ':
			b.WriteString(`\s`)
		case delim != 0 && c == delim:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
