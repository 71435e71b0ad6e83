package agent

// varList is a channel's variables in FreeSWITCH's order: setting a variable
// that exists moves it to the end (captured: variable_call_uuid moves after
// park starts, 01).
type varList struct {
	list []header
	// wire[i] is list[i]'s name as an event header, "variable_<name>":
	// made once when the variable is first set, not for every event
	// (every channel event carries every variable: about 150 names, 20
	// events a call).
	wire []string
	// names interns the wire names across the agent's channels (nil:
	// each made anew).
	names *varNames
}

// varsRoom is the room a channel's first variable makes, so the list
// does not grow through 1, 2, 4...: a loop call's legs end with 130
// (outbound) and 142 (inbound) variables, which 64 held only after growing
// to 128 and then 256 (21 kB allocated a leg; 160 is 7.7 kB, once).
const varsRoom = 160

func (v *varList) get(name string) (string, bool) {
	for _, h := range v.list {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

func (v *varList) set(name, value string) {
	wire, _ := v.remove(name)
	if value == "" {
		return
	}
	if wire == "" {
		wire = v.names.wire(name)
	}
	v.add(name, value, wire)
}

// setIfAbsent sets name only when it has no value yet, keeping its place.
func (v *varList) setIfAbsent(name, value string) {
	if _, ok := v.get(name); !ok && value != "" {
		v.add(name, value, v.names.wire(name))
	}
}

func (v *varList) add(name, value, wire string) {
	if v.list == nil {
		v.list, v.wire = make([]header, 0, varsRoom), make([]string, 0, varsRoom)
	}
	v.list = append(v.list, header{name, value})
	v.wire = append(v.wire, wire)
}

// remove deletes name and returns its header name, "" when it was not set.
func (v *varList) remove(name string) (string, bool) {
	for i, h := range v.list {
		if h.Name == name {
			wire := v.wire[i]
			v.list = append(v.list[:i], v.list[i+1:]...)
			v.wire = append(v.wire[:i], v.wire[i+1:]...)
			return wire, true
		}
	}
	return "", false
}

// appendHeaders appends every variable as an event header, in order.
func (v *varList) appendHeaders(hs []header) []header {
	for i, h := range v.list {
		hs = append(hs, header{v.wire[i], h.Value})
	}
	return hs
}
