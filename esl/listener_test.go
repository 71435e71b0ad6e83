package esl_test

import (
	"strings"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apply runs subscription commands on a fresh listener and returns the
// replies.
func apply(l *esl.Listener, cmds []string) []string {
	var replies []string
	for _, line := range cmds {
		word, rest := esl.SplitCommand(line)
		switch word {
		case "event":
			replies = append(replies, l.Event(rest))
		case "nixevent":
			replies = append(replies, l.NixEvent(rest))
		case "noevents":
			replies = append(replies, l.NoEvents())
		case "filter":
			replies = append(replies, l.Filter(rest))
		}
	}
	return replies
}

type evType struct{ name, subclass string }

func TestListenerSubscriptions(t *testing.T) {
	t.Parallel()
	answer, park := evType{"CHANNEL_ANSWER", ""}, evType{"CHANNEL_PARK", ""}
	inSync, lost := evType{"CUSTOM", "mod_bert::in_sync"}, evType{"CUSTOM", "mod_bert::lost_sync"}
	tests := []struct {
		name    string
		cmds    []string
		replies []string
		format  esl.EventFormat
		want    []evType
		notWant []evType
	}{
		{"nothing subscribed", nil, nil, esl.FormatPlain, nil, []evType{answer, inSync}},
		{"plain names, any case, SWITCH_EVENT_ prefix",
			[]string{"event plain channel_answer SWITCH_EVENT_CHANNEL_PARK"},
			[]string{"+OK event listener enabled plain"}, esl.FormatPlain, []evType{answer, park}, []evType{inSync}},
		{"json switches the format; additive",
			[]string{"event plain CHANNEL_ANSWER", "event json CHANNEL_PARK"},
			[]string{"+OK event listener enabled plain", "+OK event listener enabled json"},
			esl.FormatJSON, []evType{answer, park}, nil},
		{"unknown names only (captured: 10a), the format still switches",
			[]string{"event json NOSUCHEVENT"}, []string{"-ERR no keywords supplied"}, esl.FormatJSON, nil, []evType{answer}},
		{"no names", []string{"event plain"}, []string{"-ERR no keywords supplied"}, esl.FormatPlain, nil, nil},
		{"xml refused, nothing changes",
			[]string{"event json CHANNEL_PARK", "event xml CHANNEL_ANSWER"},
			[]string{"+OK event listener enabled json", "-ERR xml format not supported"},
			esl.FormatJSON, []evType{park}, []evType{answer}},
		{"CUSTOM subclasses after CUSTOM, exact case (captured: 11)",
			[]string{"event plain CHANNEL_ANSWER CUSTOM mod_bert::in_sync"},
			[]string{"+OK event listener enabled plain"}, esl.FormatPlain,
			[]evType{answer, inSync}, []evType{lost, {"CUSTOM", "MOD_BERT::IN_SYNC"}}},
		{"CUSTOM alone delivers no subclass",
			[]string{"event plain CUSTOM"}, []string{"+OK event listener enabled plain"}, esl.FormatPlain, nil, []evType{inSync}},
		{"ALL covers every type and subclass",
			[]string{"event plain ALL"}, []string{"+OK event listener enabled plain"}, esl.FormatPlain,
			[]evType{answer, park, inSync, {"HEARTBEAT", ""}}, nil},
		{"nixing one name under ALL",
			[]string{"event plain ALL", "nixevent CHANNEL_ANSWER"},
			[]string{"+OK event listener enabled plain", "+OK events nixed"}, esl.FormatPlain,
			[]evType{park, inSync}, []evType{answer}},
		{"nixevent a subclass",
			[]string{"event plain CUSTOM mod_bert::in_sync mod_bert::lost_sync", "nixevent CUSTOM mod_bert::in_sync"},
			[]string{"+OK event listener enabled plain", "+OK events nixed"}, esl.FormatPlain,
			[]evType{lost}, []evType{inSync}},
		{"nixevent ALL",
			[]string{"event plain ALL CHANNEL_PARK", "nixevent ALL"},
			[]string{"+OK event listener enabled plain", "+OK events nixed"}, esl.FormatPlain, nil, []evType{park, answer}},
		{"nixevent unknown", []string{"nixevent NOSUCHEVENT"}, []string{"-ERR no keywords supplied"}, esl.FormatPlain, nil, nil},
		{"event after ALL and nix restores the name",
			[]string{"event plain ALL", "nixevent CHANNEL_ANSWER", "event plain CHANNEL_ANSWER"},
			[]string{"+OK event listener enabled plain", "+OK events nixed", "+OK event listener enabled plain"},
			esl.FormatPlain, []evType{answer}, nil},
		{"noevents (captured: 04)",
			[]string{"event json ALL", "noevents", "noevents"},
			[]string{"+OK event listener enabled json", "+OK no longer listening for events", "-ERR not listening for events"},
			esl.FormatJSON, nil, []evType{answer, inSync}},
		{"noevents before any event", []string{"noevents"}, []string{"-ERR not listening for events"}, esl.FormatPlain, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := esl.NewListener()
			assert.Equal(t, tt.replies, apply(l, tt.cmds))
			assert.Equal(t, tt.format, l.Format())
			for _, e := range tt.want {
				assert.Truef(t, l.Subscribed(e.name, e.subclass), "Subscribed(%s, %q)", e.name, e.subclass)
			}
			for _, e := range tt.notWant {
				assert.Falsef(t, l.Subscribed(e.name, e.subclass), "Subscribed(%s, %q)", e.name, e.subclass)
			}
		})
	}
}

func TestListenerFilters(t *testing.T) {
	t.Parallel()
	ev := func(hs ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(hs); i += 2 {
			m[hs[i]] = hs[i+1]
		}
		return m
	}
	a := ev("Event-Name", "CHANNEL_ANSWER", "Unique-ID", "aaa", "Caller-Caller-ID-Number", "1000")
	b := ev("Event-Name", "CHANNEL_PARK", "Unique-ID", "BBB")
	job := ev("Event-Name", "BACKGROUND_JOB")
	tests := []struct {
		name    string
		cmds    []string
		replies []string
		filters []esl.Header
		pass    []map[string]string
		drop    []map[string]string
	}{
		{"no filters pass all", nil, nil, []esl.Header{}, []map[string]string{a, b, job}, nil},
		{"equal ignoring case; events without the header drop (captured: 10a)",
			[]string{"filter Unique-ID AAA"}, []string{"+OK filter added. [Unique-ID]=[AAA]"},
			[]esl.Header{{Name: "Unique-ID", Value: "AAA"}}, []map[string]string{a}, []map[string]string{b, job}},
		{"several on one header, add keyword",
			[]string{"filter Unique-ID aaa", "filter add Unique-ID bbb", "filter Event-Name BACKGROUND_JOB"},
			[]string{"+OK filter added. [Unique-ID]=[aaa]", "+OK filter added. [Unique-ID]=[bbb]", "+OK filter added. [Event-Name]=[BACKGROUND_JOB]"},
			nil, []map[string]string{a, b, job}, nil},
		{"negative beats positive",
			[]string{"filter Event-Name CHANNEL_ANSWER", "filter Event-Name CHANNEL_PARK", "filter Unique-ID -bbb"},
			[]string{"+OK filter added. [Event-Name]=[CHANNEL_ANSWER]", "+OK filter added. [Event-Name]=[CHANNEL_PARK]", "+OK filter added. [Unique-ID]=[-bbb]"},
			nil, []map[string]string{a}, []map[string]string{b, job}},
		{"only negative filters deliver nothing",
			[]string{"filter Unique-ID -aaa"}, []string{"+OK filter added. [Unique-ID]=[-aaa]"},
			nil, nil, []map[string]string{a, b, job}},
		{"plus prefix is positive",
			[]string{"filter Unique-ID +aaa"}, []string{"+OK filter added. [Unique-ID]=[+aaa]"},
			nil, []map[string]string{a}, []map[string]string{b}},
		{"regex with flags",
			[]string{"filter Event-Name /^channel_/i"}, []string{"+OK filter added. [Event-Name]=[/^channel_/i]"},
			nil, []map[string]string{a, b}, []map[string]string{job}},
		{"regex is case-sensitive without i",
			[]string{"filter Unique-ID /^[a-z]+$/"}, []string{"+OK filter added. [Unique-ID]=[/^[a-z]+$/]"},
			nil, []map[string]string{a}, []map[string]string{b}},
		{"a '-' first disables the regex",
			[]string{"filter Event-Name CHANNEL_ANSWER", "filter Event-Name -/^CHANNEL_/"},
			nil, nil, []map[string]string{a}, nil},
		{"missing value", []string{"filter Unique-ID", "filter", "filter add Unique-ID"},
			[]string{"-ERR invalid syntax", "-ERR invalid syntax", "-ERR invalid syntax"}, []esl.Header{}, []map[string]string{a}, nil},
		{"delete one value (captured: 10a)",
			[]string{"filter Unique-ID aaa", "filter Unique-ID bbb", "filter delete Unique-ID aaa"},
			[]string{"+OK filter added. [Unique-ID]=[aaa]", "+OK filter added. [Unique-ID]=[bbb]", "+OK filter deleted. [Unique-ID][aaa]"},
			[]esl.Header{{Name: "Unique-ID", Value: "bbb"}}, []map[string]string{b}, []map[string]string{a}},
		{"delete a header",
			[]string{"filter Unique-ID aaa", "filter Event-Name HEARTBEAT", "filter Unique-ID -bbb", "filter delete unique-id"},
			[]string{"+OK filter added. [Unique-ID]=[aaa]", "+OK filter added. [Event-Name]=[HEARTBEAT]", "+OK filter added. [Unique-ID]=[-bbb]", "+OK filter deleted. [unique-id][]"},
			[]esl.Header{{Name: "Event-Name", Value: "HEARTBEAT"}}, nil, []map[string]string{a}},
		{"delete a negative by its value with or without '-'",
			[]string{"filter Unique-ID -aaa", "filter Unique-ID -bbb", "filter delete Unique-ID -aaa", "filter delete Unique-ID bbb"},
			[]string{"+OK filter added. [Unique-ID]=[-aaa]", "+OK filter added. [Unique-ID]=[-bbb]", "+OK filter deleted. [Unique-ID][-aaa]", "+OK filter deleted. [Unique-ID][bbb]"},
			[]esl.Header{}, []map[string]string{a, b}, nil},
		{"delete all",
			[]string{"filter Unique-ID aaa", "filter delete all"},
			[]string{"+OK filter added. [Unique-ID]=[aaa]", "+OK filter deleted. [all][]"},
			[]esl.Header{}, []map[string]string{a, b, job}, nil},
		{"delete without a header", []string{"filter delete"}, []string{"-ERR invalid syntax"}, []esl.Header{}, nil, nil},
		{"filters survive noevents",
			[]string{"event plain ALL", "filter Unique-ID aaa", "noevents"}, nil,
			[]esl.Header{{Name: "Unique-ID", Value: "aaa"}}, []map[string]string{a}, []map[string]string{b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := esl.NewListener()
			replies := apply(l, tt.cmds)
			if tt.replies != nil {
				assert.Equal(t, tt.replies, replies)
			}
			if tt.filters != nil {
				assert.Equal(t, tt.filters, l.Filters())
			}
			for _, e := range tt.pass {
				assert.Truef(t, l.Passes(lookup(e)), "Passes(%v)", e)
			}
			for _, e := range tt.drop {
				assert.Falsef(t, l.Passes(lookup(e)), "Passes(%v)", e)
			}
		})
	}
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for k, v := range m {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return "", false
	}
}

// A clone is independent: commands on it leave the original as it was, so
// a server can publish changed copies to lock-free readers.
func TestListenerClone(t *testing.T) {
	t.Parallel()
	l := esl.NewListener()
	apply(l, []string{"event plain CHANNEL_ANSWER CUSTOM a::b", "filter Unique-ID aaa"})
	c := l.Clone()
	apply(c, []string{"event json ALL", "nixevent CHANNEL_ANSWER CUSTOM a::b", "filter delete all", "filter Unique-ID zzz"})
	assert.Equal(t, esl.FormatPlain, l.Format())
	assert.True(t, l.Subscribed("CHANNEL_ANSWER", ""))
	assert.True(t, l.Subscribed("CUSTOM", "a::b"))
	assert.False(t, l.Subscribed("HEARTBEAT", ""))
	assert.Equal(t, []esl.Header{{Name: "Unique-ID", Value: "aaa"}}, l.Filters())
	assert.False(t, c.Subscribed("CHANNEL_ANSWER", ""))
	l.Subscribe("HEARTBEAT")
	assert.True(t, l.Subscribed("HEARTBEAT", ""))
	require.Equal(t, "+OK no longer listening for events", l.NoEvents())
}

func TestServerCommandGrammar(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ line, word, rest string }{
		{"event plain ALL", "event", "plain ALL"},
		{"  API  status  ", "api", "status"},
		{"noevents", "noevents", ""},
		{"", "", ""},
	} {
		word, rest := esl.SplitCommand(tt.line)
		assert.Equalf(t, tt.word, word, "SplitCommand(%q) word", tt.line)
		assert.Equalf(t, tt.rest, rest, "SplitCommand(%q) rest", tt.line)
	}
	for _, tt := range []struct {
		word, rest string
		step       esl.AuthStep
		reply      string
	}{
		{"auth", "ClueCon", esl.AuthAccepted, "+OK accepted"},
		{"auth", "wrong", esl.AuthRefused, "-ERR invalid"},
		{"auth", "", esl.AuthRefused, "-ERR invalid"},
		{"exit", "", esl.AuthExit, "+OK bye"},
		{"api", "status", esl.AuthNotYet, "-ERR command not found"},
	} {
		step, reply := esl.Authenticate(tt.word, tt.rest, "ClueCon")
		assert.Equalf(t, tt.step, step, "Authenticate(%s %s)", tt.word, tt.rest)
		assert.Equalf(t, tt.reply, reply, "Authenticate(%s %s)", tt.word, tt.rest)
	}
	newID := func() string { return "generated" }
	for _, tt := range []struct {
		header, want string
	}{
		{"", "generated"},
		{"8f3c1a2b-0000-4000-8000-000000000001", "8f3c1a2b-0000-4000-8000-000000000001"},
		{"8f3c1a2b-0000-4000-8000-000000000001-and-more", "8f3c1a2b-0000-4000-8000-000000000001"},
	} {
		cmd := &esl.Command{Line: "bgapi status"}
		if tt.header != "" {
			cmd.Headers = esl.Headers{{Name: "Job-UUID", Value: tt.header}}
		}
		assert.Equalf(t, tt.want, esl.JobUUID(cmd, newID), "JobUUID(%q)", tt.header)
	}
}
