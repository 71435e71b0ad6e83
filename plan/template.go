package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Placeholders a Template may use, and what each stands for at originate
// time. The set is closed so a typo is a validation error, not a literal in
// a SIP URI.
var placeholderDocs = [][2]string{
	{"node.name", "the originating node's name"},
	{"node.host", "the originating node's ESL host"},
	{"node.port", "the originating node's ESL port"},
	{"node.sip_host", "the node's SIP address (sip_host)"},
	{"node.sip_port", "the node's SIP port (sip_port)"},
	{"call.id", "the call's UUID (also origination_uuid)"},
	{"run.id", "the run's id"},
	{"flow", "the flow's name"},
	{"stage", "the stage's name"},
}

// Placeholders returns the names a Template may use, in documentation order.
func Placeholders() []string {
	names := make([]string, len(placeholderDocs))
	for i, p := range placeholderDocs {
		names[i] = p[0]
	}
	return names
}

// Template is a string with {{name}} placeholders (spaces inside the braces
// allowed). It is deliberately not text/template: a destination is a SIP
// URI, and a closed set of names lets validate catch typos.
type Template struct {
	Text  string
	parts []tmplPart
}

type tmplPart struct {
	lit  string
	name string // placeholder name when lit is empty and name is set
}

// ParseTemplate parses s and checks every placeholder name.
func ParseTemplate(s string) (Template, error) {
	t := Template{Text: s}
	rest := s
	known := Placeholders()
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return Template{}, fmt.Errorf("unmatched \"}}\"")
			}
			if rest != "" {
				t.parts = append(t.parts, tmplPart{lit: rest})
			}
			return t, nil
		}
		if i > 0 {
			if strings.Contains(rest[:i], "}}") {
				return Template{}, fmt.Errorf("unmatched \"}}\"")
			}
			t.parts = append(t.parts, tmplPart{lit: rest[:i]})
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return Template{}, fmt.Errorf("unclosed \"{{\"")
		}
		name := strings.TrimSpace(rest[:j])
		if !contains(known, name) {
			return Template{}, fmt.Errorf("unknown placeholder {{%s}}%s (known: %s)", name, didYouMean(name, known), strings.Join(known, ", "))
		}
		t.parts = append(t.parts, tmplPart{name: name})
		rest = rest[j+2:]
	}
}

// Uses reports whether the template contains placeholder name.
func (t Template) Uses(name string) bool {
	for _, p := range t.parts {
		if p.name == name {
			return true
		}
	}
	return false
}

// Expand substitutes each placeholder with value(name).
func (t Template) Expand(value func(name string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name != "" {
			b.WriteString(value(p.name))
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func (t Template) String() string { return t.Text }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Call is what a destination's call-level placeholders stand for.
type Call struct {
	ID    string // {{call.id}}
	RunID string // {{run.id}}
	Flow  string // {{flow}}
	Stage string // {{stage}}
}

// ExpandFor expands the template for a call originated on node n. Hosts
// that are IPv6 addresses are bracketed, as a SIP URI needs.
func (t Template) ExpandFor(n Node, c Call) string {
	return t.Expand(func(name string) string {
		switch name {
		case "node.name":
			return n.Name
		case "node.host":
			return uriHost(n.Host)
		case "node.port":
			return strconv.Itoa(n.Port)
		case "node.sip_host":
			return uriHost(n.SIPHost)
		case "node.sip_port":
			if n.Embedded && n.SIPPort == 0 {
				return AgentSIPPort
			}
			return strconv.Itoa(n.SIPPort)
		case "call.id":
			return c.ID
		case "run.id":
			return c.RunID
		case "flow":
			return c.Flow
		case "stage":
			return c.Stage
		}
		return ""
	})
}

// uriHost brackets an IPv6 address for use in a URI.
func uriHost(h string) string {
	if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
		return "[" + h + "]"
	}
	return h
}
