package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// SchemaFlow describes one flow for the JSON Schema, so editors complete
// `use:` and each flow's `with:` parameters. plan does not know the flows
// (it must not import them); the layer that does passes them in.
type SchemaFlow struct {
	Name   string
	Doc    string
	Params []SchemaParam
}

// SchemaParam is one flow parameter. Type is one of duration, int, float,
// string, bool, enum.
type SchemaParam struct {
	Name    string
	Type    string
	Doc     string
	Default string
	Enum    []string
}

// SchemaID is where the schema says it lives.
const SchemaID = "https://github.com/callplan/callplan/raw/main/docs/plan.schema.json"

// Patterns shared by the schema and the docs. A value may always be an
// environment reference instead, expanded before it is read.
const (
	envPattern      = `\$\{`
	durationPattern = `^0$|^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`
)

// JSONSchema returns the plan format's JSON Schema (draft-07, what the YAML
// language server reads), generated from the Go types, their `doc` tags and
// their defaults. flows, when given, narrow `use` to the known flows and
// describe each flow's `with`.
func JSONSchema(flows []SchemaFlow) ([]byte, error) {
	root := structSchema(reflect.TypeOf(Plan{}))
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = SchemaID
	root["title"] = "callplan plan"
	root["description"] = "A callplan load-test plan. Reference: docs/plans.md."
	if len(flows) > 0 {
		flowSchema := root["properties"].(map[string]any)["flows"].(map[string]any)["items"].(map[string]any)
		names := make([]string, len(flows))
		var rules []any
		for i, f := range flows {
			names[i] = f.Name
			params := map[string]any{}
			for _, p := range f.Params {
				params[p.Name] = paramSchema(p)
			}
			rules = append(rules, map[string]any{
				"if":   map[string]any{"properties": map[string]any{"use": map[string]any{"const": f.Name}}, "required": []string{"use"}},
				"then": map[string]any{"properties": map[string]any{"with": map[string]any{"type": "object", "description": f.Doc, "properties": params, "additionalProperties": false}}},
			})
		}
		props := flowSchema["properties"].(map[string]any)
		use := props["use"].(map[string]any)
		use["enum"] = names
		delete(use, "type")
		flowSchema["allOf"] = rules
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return b.Bytes(), nil
}

func paramSchema(p SchemaParam) map[string]any {
	var s map[string]any
	switch p.Type {
	case "duration":
		s = durationSchema()
	case "int":
		s = orEnv(map[string]any{"type": "integer"})
	case "float":
		s = orEnv(map[string]any{"type": "number"})
	case "bool":
		s = orEnv(map[string]any{"type": "boolean"})
	case "enum":
		s = map[string]any{"enum": p.Enum}
	default:
		s = map[string]any{"type": "string"}
	}
	s["description"] = p.Doc
	if p.Default != "" {
		s["default"] = p.Default
	}
	return s
}

// orEnv lets a typed value also be written as a ${VAR} reference.
func orEnv(s map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "string", "pattern": envPattern}}}
}

func durationSchema() map[string]any {
	return map[string]any{
		"type":     "string",
		"anyOf":    []any{map[string]any{"pattern": durationPattern}, map[string]any{"pattern": envPattern}},
		"examples": []string{"30s", "1m30s", "250ms"},
	}
}

var (
	durationType = reflect.TypeOf(Duration(0))
	rateType     = reflect.TypeOf(Rate{})
	holdType     = reflect.TypeOf(Hold{})
	nodeType     = reflect.TypeOf(Node{})
	templateType = reflect.TypeOf(Template{})
	scalarType   = reflect.TypeOf(Scalar{})
)

func typeSchema(t reflect.Type) map[string]any {
	switch t {
	case durationType:
		return durationSchema()
	case templateType:
		return map[string]any{"type": "string"}
	case scalarType:
		return map[string]any{"type": []string{"string", "number", "boolean"}}
	case rateType:
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "number", "minimum": 0},
			map[string]any{"type": "string", "pattern": envPattern},
			map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"from": orEnv(map[string]any{"type": "number", "minimum": 0}), "to": orEnv(map[string]any{"type": "number", "minimum": 0})},
				"required":             []string{"from", "to"},
				"additionalProperties": false,
			},
		}}
	case holdType:
		return map[string]any{"anyOf": []any{map[string]any{"const": "auto"}, durationSchema()}}
	case nodeType:
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "pattern": `^(embedded|fs://.+|twilio://)$|` + envPattern, "examples": []string{"embedded", "fs://10.0.0.7", "fs://:${FS_PASSWORD}@fs1.example.com:8021", "twilio://"}},
			structSchema(t),
		}}
	}
	if e, ok := reflect.Zero(t).Interface().(enum); ok {
		return map[string]any{"type": "string", "enum": e.enumValues()}
	}
	switch t.Kind() {
	case reflect.Struct:
		return structSchema(t)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		elem := typeSchema(t.Elem())
		if t.Elem().Kind() == reflect.String {
			// Any scalar reads as its text: X-Count: 5 is the string "5".
			elem = typeSchema(scalarType)
		}
		return map[string]any{"type": "object", "additionalProperties": elem}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return orEnv(map[string]any{"type": "integer"})
	case reflect.Float64:
		return orEnv(map[string]any{"type": "number"})
	case reflect.Bool:
		return orEnv(map[string]any{"type": "boolean"})
	}
	panic(fmt.Sprintf("plan: no schema for %s", t))
}

// structSchema describes a struct's YAML keys, with the defaults its
// setDefaults gives.
func structSchema(t reflect.Type) map[string]any {
	def := reflect.New(t)
	if d, ok := def.Interface().(defaulter); ok {
		d.setDefaults()
	}
	props := map[string]any{}
	var required []string
	for _, f := range fieldsOf(t) {
		s := typeSchema(t.Field(f.index).Type)
		if f.doc != "" {
			s["description"] = f.doc
		}
		if v, ok := defaultJSON(def.Elem().Field(f.index)); ok {
			s["default"] = v
		}
		props[f.key] = s
		if f.required {
			required = append(required, f.key)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// defaultJSON is a field's default as JSON, or false when the zero value is
// the default.
func defaultJSON(v reflect.Value) (any, bool) {
	if v.IsZero() && v.Kind() != reflect.Struct {
		return nil, false
	}
	switch x := v.Interface().(type) {
	case Duration:
		return x.String(), true
	case Template:
		return x.Text, true
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Int, reflect.Int64:
		return v.Int(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i], _ = defaultJSON(v.Index(i))
		}
		return out, true
	}
	return nil, false
}
