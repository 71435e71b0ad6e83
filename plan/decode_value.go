package plan

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

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
