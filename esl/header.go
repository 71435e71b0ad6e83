package esl

import "strings"

// Header is one "Name: value" pair as FreeSWITCH writes it: the name in
// FreeSWITCH's own spelling, the value decoded (no %XX left).
type Header struct {
	Name  string
	Value string
}

// Headers is an ordered header list. Order is kept because FreeSWITCH's
// order is fixed and the agent must reproduce it; duplicates are kept
// because FreeSWITCH sends them (Hangup-Cause twice, a COMMAND block inside
// PRIVATE_COMMAND, codec names in two spellings). Lookups ignore case, as
// FreeSWITCH's own do.
type Headers []Header

// Get returns the value of the first header called name (any case), or "".
func (h Headers) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup returns the value of the first header called name (any case) and
// whether it was present.
func (h Headers) Lookup(name string) (string, bool) {
	for i := range h {
		if equalFoldASCII(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Last returns the value of the last header called name (any case), or "".
// Event-Name is read this way: a PRIVATE_COMMAND starts with a whole COMMAND
// block, and the last Event-Name is the event's type.
func (h Headers) Last(name string) string {
	for i := len(h) - 1; i >= 0; i-- {
		if equalFoldASCII(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Values returns every value of the headers called name, with FreeSWITCH's
// multi-value form ("ARRAY::a|:b") split into its elements.
func (h Headers) Values(name string) []string {
	var out []string
	for i := range h {
		if equalFoldASCII(h[i].Name, name) {
			out = append(out, SplitArray(h[i].Value)...)
		}
	}
	return out
}

// Add appends a header.
func (h *Headers) Add(name, value string) { *h = append(*h, Header{Name: name, Value: value}) }

// Set replaces the value of the first header called name, or appends it.
func (h *Headers) Set(name, value string) {
	for i := range *h {
		if equalFoldASCII((*h)[i].Name, name) {
			(*h)[i].Value = value
			return
		}
	}
	h.Add(name, value)
}

// Del removes every header called name.
func (h *Headers) Del(name string) {
	out := (*h)[:0]
	for _, x := range *h {
		if !equalFoldASCII(x.Name, name) {
			out = append(out, x)
		}
	}
	*h = out
}

// arrayPrefix starts a multi-valued header in plain encoding; elements are
// separated by "|:".
const arrayPrefix = "ARRAY::"

// SplitArray splits FreeSWITCH's multi-value form "ARRAY::a|:b" into its
// elements; any other value is returned as a one-element slice.
func SplitArray(v string) []string {
	if !strings.HasPrefix(v, arrayPrefix) {
		return []string{v}
	}
	return strings.Split(v[len(arrayPrefix):], "|:")
}

// JoinArray builds FreeSWITCH's multi-value form from elements.
func JoinArray(elems []string) string {
	return arrayPrefix + strings.Join(elems, "|:")
}

// equalFoldASCII is strings.EqualFold for the ASCII header names FreeSWITCH
// uses, without the Unicode tables: it is on the routing hot path.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
