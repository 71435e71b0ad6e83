package plan

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds how many YAML nodes one load may visit. Aliases can make a
// small document expand exponentially ("billion laughs"); a real plan has a
// few hundred nodes.
const maxNodes = 100_000

// decoder walks a yaml.v3 node tree into the plan's Go types. It does the
// walking itself, rather than yaml.Unmarshal, so that every problem carries
// the node's line and column and the field path, and so that it can go on
// after the first problem and report them all.
type decoder struct {
	file    string
	lookup  func(string) (string, bool)
	origins map[*yaml.Node]string // nodes made by --set, and the override text
	errs    Errors
	failed  map[string]bool // paths that already have a decode error
	// valuePos is where the value at each path was written, for semantic
	// errors about values inside lists and maps.
	valuePos map[string]Pos
	visited  int
}

// nodeDecoder is implemented by types with their own YAML shape (a duration
// string, a rate that is a number or a mapping, a node that is a string or a
// mapping).
type nodeDecoder interface {
	decodeYAML(d *decoder, n *yaml.Node, path string)
}

// enum is implemented by string types with a closed set of values.
type enum interface {
	enumValues() []string
}

// defaulter is implemented by structs with defaults. The decoder calls it on
// each new struct before filling it, so a key the plan leaves out keeps its
// default.
type defaulter interface {
	setDefaults()
}

// afterDecoder is implemented by structs that need to see their raw value
// nodes once decoded (to record where a string's text starts).
type afterDecoder interface {
	afterDecode(d *decoder, values map[string]*yaml.Node)
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if o, ok := d.origins[n]; ok {
		return Pos{File: o}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs.Add(d.pos(n), path, format, args...)
	d.failed[path] = true
}

// resolve follows aliases and counts visits. It returns nil when the
// document is too large, after reporting it once.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			d.fail(n, path, "alias chain too deep")
			return nil
		}
		n = n.Alias
	}
	d.visited++
	if d.visited == maxNodes+1 {
		d.fail(n, path, "document too large (more than %d YAML nodes after expanding aliases)", maxNodes)
	}
	if d.visited > maxNodes {
		return nil
	}
	return n
}

// deref follows aliases without counting a visit.
func deref(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}

// scalar returns the text of a scalar node after ${VAR} expansion. what
// names the expected value for the error message.
func (d *decoder) scalar(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", what, kindName(n))
		return "", false
	}
	s, _, err := expandEnv(n.Value, d.lookup)
	if err != nil {
		d.fail(n, path, "%v", err)
		return "", false
	}
	return s, true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// decode fills v from n. A null node leaves v as it is (its default).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = d.resolve(n, path)
	if n == nil || isNull(n) {
		return
	}
	d.valuePos[path] = d.pos(n)
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeYAML(d, n, path)
			return
		}
	}
	if e, ok := v.Interface().(enum); ok {
		s, ok := d.scalar(n, path, "one of "+strings.Join(e.enumValues(), ", "))
		if !ok {
			return
		}
		if !contains(e.enumValues(), s) {
			d.fail(n, path, "%q is not one of %s%s", s, strings.Join(e.enumValues(), ", "), didYouMean(s, e.enumValues()))
			return
		}
		v.SetString(s)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, got %s", kindName(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		for i, item := range n.Content {
			elem := reflect.New(v.Type().Elem())
			if df, ok := elem.Interface().(defaulter); ok {
				df.setDefaults()
			}
			if it := deref(item); it != nil && isNull(it) {
				// Kept in the list so later indexes match the file.
				d.fail(it, indexPath(path, i), "empty list entry")
			}
			d.decode(item, elem.Elem(), indexPath(path, i))
			out = reflect.Append(out, elem.Elem())
		}
		v.Set(out)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				d.fail(k, path, "keys must be strings, got %s", kindName(k))
				continue
			}
			p := joinPath(path, k.Value)
			d.valuePos[p] = d.pos(k)
			if seen[k.Value] {
				d.fail(k, p, "duplicate key %q", k.Value)
				continue
			}
			seen[k.Value] = true
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, p)
			out.SetMapIndex(reflect.ValueOf(k.Value), elem)
		}
		v.Set(out)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int64:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil || (v.Kind() == reflect.Int && int64(int(i)) != i) {
			d.fail(n, path, "expected an integer, got %q", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if !ok {
			return
		}
		f, ok := parseNumber(s)
		if !ok {
			d.fail(n, path, "expected a number, got %q", s)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.fail(n, path, "expected true or false, got %q", s)
		}
	default:
		panic(fmt.Sprintf("plan: no decoder for %s", v.Type()))
	}
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// field is one YAML key of a struct.
type field struct {
	key      string
	index    int
	required bool
	doc      string
}

// fieldsOf lists the YAML keys of struct type t in declaration order.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		out = append(out, field{key: key, index: i, required: f.Tag.Get("required") == "true", doc: f.Tag.Get("doc")})
	}
	return out
}

// decodeStruct fills struct v from mapping n: known keys only, each at most
// once, required keys present. It records the mapping's position in a Pos
// field and each value's position in a Fields field, when v has them.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	byKey := make(map[string]field, len(fields))
	keys := make([]string, len(fields))
	for i, f := range fields {
		byKey[f.key] = f
		keys[i] = f.key
	}
	if pf := v.FieldByName("Pos"); pf.IsValid() && pf.Type() == reflect.TypeOf(Pos{}) {
		pf.Set(reflect.ValueOf(d.pos(n)))
	}
	positions := Positions{}
	values := map[string]*yaml.Node{}
	suggested := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "keys must be strings, got %s", kindName(k))
			continue
		}
		p := joinPath(path, k.Value)
		if k.Value == "<<" {
			d.fail(k, p, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		f, ok := byKey[k.Value]
		if !ok {
			sorted := append([]string(nil), keys...)
			sort.Strings(sorted)
			if s := Suggest(k.Value, keys); s != "" {
				suggested[s] = true
				// Treat the intended field as failed too, so checks that
				// need it stay quiet instead of reporting it missing.
				d.failed[joinPath(path, s)] = true
				d.fail(k, p, "unknown field %q (did you mean %q?)", k.Value, s)
			} else {
				d.fail(k, p, "unknown field %q (known: %s)", k.Value, strings.Join(sorted, ", "))
			}
			continue
		}
		if _, dup := values[k.Value]; dup {
			d.fail(k, p, "duplicate key %q", k.Value)
			continue
		}
		values[k.Value] = val
		if rv := deref(val); rv != nil && !isNull(rv) {
			positions[k.Value] = d.pos(rv)
		}
		d.decode(val, v.Field(f.index), p)
	}
	for _, f := range fields {
		if _, ok := positions[f.key]; f.required && !ok && !suggested[f.key] && !d.failed[joinPath(path, f.key)] {
			d.fail(n, joinPath(path, f.key), "missing required field %q", f.key)
		}
	}
	if ff := v.FieldByName("Fields"); ff.IsValid() && ff.Type() == reflect.TypeOf(Positions{}) {
		ff.Set(reflect.ValueOf(positions))
	}
	if v.CanAddr() {
		if ad, ok := v.Addr().Interface().(afterDecoder); ok {
			ad.afterDecode(d, values)
		}
	}
}

// The custom shapes.

// scalarAs decodes a scalar (what names it, as for decoder.scalar) with
// parse, whose error is reported at n as it is. ok is false when something
// was reported.
func scalarAs[T any](d *decoder, n *yaml.Node, path, what string, parse func(string) (T, error)) (v T, ok bool) {
	s, ok := d.scalar(n, path, what)
	if !ok {
		return v, false
	}
	v, err := parse(s)
	if err != nil {
		d.fail(n, path, "%v", err)
		return v, false
	}
	return v, true
}

func (t *Duration) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if dur, ok := scalarAs(d, n, path, "a duration such as 30s or 1m30s", parseDuration); ok {
		*t = Duration(dur)
	}
}

func parseDuration(s string) (time.Duration, error) {
	dur, err := time.ParseDuration(s)
	if err != nil {
		if _, numErr := strconv.ParseFloat(s, 64); numErr == nil && s != "0" {
			return 0, fmt.Errorf("duration %q has no unit (write e.g. %ss)", s, s)
		}
		return 0, fmt.Errorf("invalid duration %q (write e.g. 30s, 1m30s, 250ms)", s)
	}
	return dur, nil
}

func (r *Rate) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.MappingNode {
		var ramp struct {
			From float64 `yaml:"from" required:"true"`
			To   float64 `yaml:"to" required:"true"`
		}
		d.decodeStruct(n, reflect.ValueOf(&ramp).Elem(), path)
		*r = Rate{From: ramp.From, To: ramp.To, Ramp: true}
		return
	}
	s, ok := d.scalar(n, path, "calls per second (a number) or {from: A, to: B}")
	if !ok {
		return
	}
	f, ok := parseNumber(s)
	if !ok {
		d.fail(n, path, "expected calls per second (a number) or {from: A, to: B}, got %q", s)
		return
	}
	*r = Rate{From: f, To: f}
}

func (h *Hold) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if v, ok := scalarAs(d, n, path, "a duration or auto", parseHold); ok {
		*h = v
	}
}

func parseHold(s string) (Hold, error) {
	if s == "auto" {
		return Hold{Auto: true}, nil
	}
	dur, err := parseDuration(s)
	if err != nil {
		return Hold{}, fmt.Errorf("%w, or auto", err)
	}
	return Hold{Value: Duration(dur)}, nil
}

func (t *Template) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if tt, ok := scalarAs(d, n, path, "a string", ParseTemplate); ok {
		*t = tt
	}
}

func (s *Scalar) decodeYAML(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "a single value (flow parameters are scalars)")
	if !ok {
		return
	}
	*s = Scalar{Value: v, Pos: d.pos(n)}
}

// decodeYAML accepts the URI shorthand (a string) or the full mapping.
func (nd *Node) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.scalar(n, path, "a node URI")
		if !ok {
			return
		}
		nd.URI = s
		nd.Pos = d.pos(n)
		nd.Fields = Positions{"uri": d.pos(n)}
		return
	}
	d.decodeStruct(n, reflect.ValueOf(nd).Elem(), path)
}

// afterDecode records where the expression's text starts, so the assertion
// compiler can point at the column of a syntax error.
func (a *Assertion) afterDecode(d *decoder, values map[string]*yaml.Node) {
	n, ok := values["expr"]
	if !ok {
		return
	}
	if n = deref(n); n == nil {
		return
	}
	src := Source{Pos: d.pos(n)}
	_, changed, _ := expandEnv(n.Value, d.lookup)
	inline := !changed && !strings.Contains(n.Value, "\n") && d.origins[n] == ""
	switch n.Style {
	case 0:
		src.Inline = inline
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		// Escapes inside quotes shift columns; only trust plain text.
		src.Inline = inline && !strings.ContainsAny(n.Value, `'"\`)
		src.Shift = 1
	}
	a.ExprSource = src
}
