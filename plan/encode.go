package plan

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeEncoder is implemented by types with their own YAML shape.
type nodeEncoder interface {
	encodeYAML() *yaml.Node
}

// MarshalResolved writes the plan as YAML with every default applied and
// derived value filled in, in the plan format's own key order, so a user
// sees exactly what will run. Node passwords are shown as ***. The output
// loads back into the same plan.
func (p *Plan) MarshalResolved() ([]byte, error) {
	root := encodeValue(reflect.ValueOf(*p))
	if p.HasCloudNode() {
		cloudOriginate(root)
	}
	if !p.Search.On {
		dropSearch(root)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	return b.Bytes(), nil
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	return n
}

func encodeValue(v reflect.Value) *yaml.Node {
	if ne, ok := v.Interface().(nodeEncoder); ok {
		return ne.encodeYAML()
	}
	switch v.Kind() {
	case reflect.Struct:
		return encodeStruct(v)
	case reflect.Slice:
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := 0; i < v.Len(); i++ {
			s.Content = append(s.Content, encodeValue(v.Index(i)))
		}
		if v.Type().Elem().Kind() == reflect.String {
			s.Style = yaml.FlowStyle
		}
		return s
	case reflect.Map:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			m.Content = append(m.Content, strNode(k), encodeValue(v.MapIndex(reflect.ValueOf(k))))
		}
		return m
	case reflect.String:
		return strNode(escapeEnv(v.String()))
	case reflect.Int, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Float64:
		return Rate{From: v.Float(), To: v.Float()}.encodeYAML()
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	}
	panic(fmt.Sprintf("plan: no encoder for %s", v.Type()))
}

// omitEmpty leaves out unset strings and empty lists and maps: they have no
// default to show. Numbers and booleans are always shown, since their zero
// is meaningful (max_calls: 0 is "no cap").
func omitEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return false
}

func (d Duration) encodeYAML() *yaml.Node { return strNode(d.String()) }

func (t Template) encodeYAML() *yaml.Node { return strNode(escapeEnv(t.Text)) }

// escapeEnv writes a resolved value so that loading it again does not
// expand it a second time.
func escapeEnv(s string) string { return strings.ReplaceAll(s, "${", "$${") }

func (s Scalar) encodeYAML() *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: escapeEnv(s.Value)}
	// Keep numbers and booleans unquoted; everything else a string.
	var probe yaml.Node
	if err := yaml.Unmarshal([]byte(s.Value), &probe); err == nil && len(probe.Content) == 1 &&
		probe.Content[0].Kind == yaml.ScalarNode && probe.Content[0].Value == s.Value {
		n.Tag = probe.Content[0].Tag
	} else {
		n.Tag = "!!str"
	}
	if n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool" {
		n.Tag = "!!str"
	}
	return n
}

func (r Rate) encodeYAML() *yaml.Node {
	num := func(f float64) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'g', -1, 64)}
		if f == float64(int64(f)) {
			n.Tag = "!!int"
		}
		return n
	}
	if !r.Ramp {
		return num(r.From)
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle,
		Content: []*yaml.Node{strNode("from"), num(r.From), strNode("to"), num(r.To)}}
}

func (h Hold) encodeYAML() *yaml.Node {
	n := strNode(h.Value.String())
	if h.Auto {
		n.LineComment = "auto: limit / peak rate"
	}
	return n
}

// encodeYAML writes a node as a mapping with its URI redacted, and only
// the fields of its kind: twilio for a cloud node, SIP for the others,
// impair for an embedded node that has one.
func (n Node) encodeYAML() *yaml.Node {
	c := n
	c.URI = n.RedactedURI()
	m := encodeStruct(reflect.ValueOf(c))
	skip := map[string]bool{"twilio": !n.Cloud, "sip_host": n.Cloud, "sip_port": n.Cloud, "impair": !n.Embedded || n.Impair.zero()}
	kept := m.Content[:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !skip[m.Content[i].Value] {
			kept = append(kept, m.Content[i], m.Content[i+1])
		}
	}
	m.Content = kept
	return m
}

// encodeStruct writes a struct's yaml fields as a mapping, in field order,
// leaving out empty ones.
func encodeStruct(v reflect.Value) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if omitEmpty(fv) {
			continue
		}
		m.Content = append(m.Content, strNode(f.key), encodeValue(fv))
	}
	return m
}
