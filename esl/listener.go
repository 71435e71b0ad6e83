package esl

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Listener is one inbound connection's event state as mod_event_socket
// keeps it (its listener_t): the event format, the event types and CUSTOM
// subclasses subscribed to, and the filters. Event, NixEvent, NoEvents and
// Filter apply one command's arguments and return FreeSWITCH's Reply-Text;
// Subscribed and Passes decide whether an event goes out.
//
// A Listener is not safe for concurrent use. A server that reads it on its
// event path while commands change it changes a Clone and publishes that
// (copy on write), so the readers never lock.
type Listener struct {
	format   EventFormat
	enabled  bool // an event command succeeded (FreeSWITCH's LFLAG_EVENTS)
	all      bool
	names    map[string]bool
	excluded map[string]bool // nixed while subscribed to ALL
	custom   map[string]bool // CUSTOM subclasses
	filters  []filter
}

// filter is one `filter` line (esl-reference 2.4).
type filter struct {
	header string
	given  string // the value as the command gave it
	value  string // without its '+' or '-'
	neg    bool
	re     *regexp.Regexp
}

// NewListener is a connection's state before any command: plain events,
// no subscriptions, no filters.
func NewListener() *Listener {
	return &Listener{format: FormatPlain, names: map[string]bool{},
		excluded: map[string]bool{}, custom: map[string]bool{}}
}

// Clone returns a copy that can be changed without touching l.
func (l *Listener) Clone() *Listener {
	n := *l
	n.names, n.excluded, n.custom = maps.Clone(l.names), maps.Clone(l.excluded), maps.Clone(l.custom)
	n.filters = slices.Clone(l.filters)
	return &n
}

// Format is the connection's event format.
func (l *Listener) Format() EventFormat { return l.format }

// eventName normalises a word of `event` or `nixevent`: names are
// case-insensitive and may carry the SWITCH_EVENT_ prefix (2.3).
func eventName(w string) string {
	return strings.TrimPrefix(strings.ToUpper(w), "SWITCH_EVENT_")
}

// Event applies `event [plain|json|xml] <names...> [CUSTOM <subclasses...>]`
// (esl-reference 2.3). The format word switches the format for the whole
// connection; names add to what is subscribed; every word after CUSTOM is a
// subclass (exact case); unknown names are ignored, and a command with no
// known name replies -ERR no keywords supplied. xml is refused: callplan
// does not encode text/event-xml.
func (l *Listener) Event(args string) string {
	words := strings.Fields(args)
	format := l.format
	if len(words) > 0 {
		switch strings.ToLower(words[0]) {
		case "plain":
			format, words = FormatPlain, words[1:]
		case "json":
			format, words = FormatJSON, words[1:]
		case "xml":
			return ReplyXMLNotSupported
		}
	}
	l.format = format
	known, custom := 0, false
	for _, w := range words {
		if custom {
			l.custom[w] = true
			known++
			continue
		}
		switch name := eventName(w); {
		case name == "ALL":
			l.all = true
			clear(l.excluded)
			known++
		case name == "CUSTOM":
			custom = true
			known++
		case knownEvents[name]:
			l.names[name] = true
			delete(l.excluded, name)
			known++
		}
	}
	if known == 0 {
		return ReplyNoKeywords
	}
	l.enabled = true
	return replyListenerEnabled + string(format)
}

// Subscribe adds event types as a successful `event` does, for a server
// that subscribes a connection itself (myevents, esl-reference 2.5).
func (l *Listener) Subscribe(names ...string) {
	for _, n := range names {
		l.names[n] = true
		delete(l.excluded, n)
	}
	l.enabled = true
}

// NixEvent applies `nixevent <names...> [CUSTOM <subclasses...>]`: it
// removes names or subclasses; ALL removes everything, and nixing one name
// while subscribed to ALL leaves every type but that one (2.3).
func (l *Listener) NixEvent(args string) string {
	known, custom := 0, false
	for _, w := range strings.Fields(args) {
		if custom {
			delete(l.custom, w)
			known++
			continue
		}
		switch name := eventName(w); {
		case name == "ALL":
			// Still listening, to nothing: noevents then says so.
			l.enabled, l.all = true, false
			clear(l.names)
			clear(l.excluded)
			clear(l.custom)
			known++
		case name == "CUSTOM":
			custom = true
			known++
		case knownEvents[name]:
			delete(l.names, name)
			if l.all {
				l.excluded[name] = true
			}
			known++
		}
	}
	if known == 0 {
		return ReplyNoKeywords
	}
	return ReplyNixed
}

// NoEvents applies `noevents`: every subscription goes, the filters and
// the format stay (2.3). A server also discards the events it has queued
// for the connection.
func (l *Listener) NoEvents() string {
	if !l.enabled {
		return ReplyNotListening
	}
	l.enabled, l.all = false, false
	clear(l.names)
	clear(l.excluded)
	clear(l.custom)
	return ReplyNoEvents
}

// Subscribed reports whether the subscriptions cover an event of type name
// (upper case) and, for CUSTOM, subclass. CUSTOM alone covers no subclass.
func (l *Listener) Subscribed(name, subclass string) bool {
	if !l.all && len(l.names) == 0 && len(l.custom) == 0 {
		return false
	}
	if name == "CUSTOM" {
		return l.all && !l.excluded["CUSTOM"] || l.custom[subclass]
	}
	return l.names[name] || l.all && !l.excluded[name]
}

// Filter applies `filter [add] <Header> <value>`, `filter delete <Header>
// [<value>]` or `filter delete all` (esl-reference 2.4). A value with a
// leading '-' makes a negative filter, '+' (or nothing) a positive one;
// `/pattern/flags` a regular expression, unless a '-' comes first.
func (l *Listener) Filter(args string) string {
	word, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	switch strings.ToLower(word) {
	case "delete":
		return l.deleteFilter(rest)
	case "add":
		word, rest, _ = strings.Cut(strings.TrimSpace(rest), " ")
	}
	h, v := word, strings.TrimSpace(rest)
	if h == "" || v == "" {
		return ReplyInvalidSyntax
	}
	f := filter{header: h, given: v, value: v}
	switch v[0] {
	case '-':
		f.neg, f.value = true, v[1:]
	case '+':
		f.value = v[1:]
	}
	if strings.HasPrefix(v, "/") {
		f.re = filterRegexp(v)
	}
	l.filters = append(l.filters, f)
	return replyFilterAdded + "[" + h + "]=[" + v + "]"
}

// filterRegexp compiles `/pattern/flags` (flag i: ignore case); nil when it
// does not compile, and the filter then compares the text as it is.
func filterRegexp(v string) *regexp.Regexp {
	pat := strings.TrimPrefix(v, "/")
	if i := strings.LastIndexByte(pat, '/'); i >= 0 {
		flags := pat[i+1:]
		pat = pat[:i]
		if strings.Contains(flags, "i") {
			pat = "(?i)" + pat
		}
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil
	}
	return re
}

func (l *Listener) deleteFilter(rest string) string {
	h, v, _ := strings.Cut(strings.TrimSpace(rest), " ")
	v = strings.TrimSpace(v)
	if h == "" {
		return ReplyInvalidSyntax
	}
	if strings.EqualFold(h, "all") {
		l.filters = nil
		return replyFilterDeletedAll
	}
	l.filters = slices.DeleteFunc(l.filters, func(f filter) bool {
		raw := f.value
		if f.neg {
			raw = "-" + raw
		}
		return strings.EqualFold(f.header, h) && (v == "" || raw == v || f.value == v)
	})
	return replyFilterDeleted + "[" + h + "][" + v + "]"
}

// Passes applies the filters to an event whose headers lookup finds: with
// none set every event passes; otherwise some positive filter must match
// and no negative one. A filter matches when the event has its header and
// the value is equal ignoring case, or matches its regular expression, so
// an event without the header never passes a filter on it (2.4).
func (l *Listener) Passes(lookup func(name string) (string, bool)) bool {
	if len(l.filters) == 0 {
		return true
	}
	pos := false
	for i := range l.filters {
		f := &l.filters[i]
		v, ok := lookup(f.header)
		if !ok {
			continue
		}
		if f.re != nil && f.re.MatchString(v) || f.re == nil && strings.EqualFold(v, f.value) {
			if f.neg {
				return false
			}
			pos = true
		}
	}
	return pos
}

// Filters returns the filters in the order they were added, each as its
// command gave it.
func (l *Listener) Filters() []Header {
	out := make([]Header, len(l.filters))
	for i, f := range l.filters {
		out[i] = Header{Name: f.header, Value: f.given}
	}
	return out
}
