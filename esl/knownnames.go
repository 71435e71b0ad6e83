package esl

// Header names are most of a plain event's bytes (fixtures: 22 bytes a
// name against 16 a value, 58 % of the header text), and FreeSWITCH sends
// the same few hundred names in the same order event after event
// (switch_event.c adds the core headers, switch_channel.c the channel's
// and its variables, in a fixed order). The plain parser therefore does
// not copy a name it knows: the header's span holds its index in
// knownNames (knownnames_gen.go, generated from the fixtures) and only the
// values are copied into the event. Fewer bytes per event is less work
// for the allocator and the garbage collector, which on a busy reader
// cost as much as the parsing itself. A name not in the list is copied
// as before.
//
// The list is ordered so that a name is usually followed by the next one:
// the parser first checks the line against the name after the previous
// known one (one comparison instead of a search for ':'), and looks the
// name up in knownNameIDs only when that guess fails.

// knownName flags a span whose name is knownNames[name&^knownName].
const knownName = 0x8000

// knownNameIDs maps a known name to its index in knownNames.
var knownNameIDs = func() map[string]uint16 {
	m := make(map[string]uint16, len(knownNames))
	for i, n := range knownNames {
		m[n] = uint16(i)
	}
	return m
}()
