package plan

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

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
