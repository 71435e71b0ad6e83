package plan

import (
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

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
