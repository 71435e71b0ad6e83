package agent

// varList is a channel's variables in FreeSWITCH's order: setting a variable
// that exists moves it to the end (captured: variable_call_uuid moves after
// park starts, 01).
type varList struct {
	list []header
}

func (v *varList) get(name string) (string, bool) {
	for _, h := range v.list {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

func (v *varList) set(name, value string) {
	v.unset(name)
	if value == "" {
		return
	}
	v.list = append(v.list, header{name, value})
}

// setIfAbsent sets name only when it has no value yet, keeping its place.
func (v *varList) setIfAbsent(name, value string) {
	if _, ok := v.get(name); !ok && value != "" {
		v.list = append(v.list, header{name, value})
	}
}

func (v *varList) unset(name string) {
	for i, h := range v.list {
		if h.Name == name {
			v.list = append(v.list[:i], v.list[i+1:]...)
			return
		}
	}
}
