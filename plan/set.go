package plan

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pathStep is one step of an override path: a mapping key or a list index.
type pathStep struct {
	key   string
	index int // used when key is ""
}

// parseSetPath parses `a.b[0].c` into steps: a key first, then `.key` or
// `[index]` steps.
func parseSetPath(p string) ([]pathStep, error) {
	var steps []pathStep
	needKey := true
	for i := 0; i < len(p); {
		if needKey {
			j := i
			for j < len(p) && isKeyChar(p[j]) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("expected a key at offset %d of %q", i, p)
			}
			steps = append(steps, pathStep{key: p[i:j]})
			i, needKey = j, false
			continue
		}
		switch p[i] {
		case '.':
			i++
			needKey = true
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", p)
			}
			idx, err := strconv.Atoi(p[i+1 : i+end])
			if err != nil || idx < 0 {
				return nil, fmt.Errorf("list index %q in %q is not a non-negative integer", p[i+1:i+end], p)
			}
			steps = append(steps, pathStep{index: idx})
			i += end + 1
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d of %q", p[i], i, p)
		}
	}
	if needKey {
		return nil, fmt.Errorf("path %q ends without a key", p)
	}
	return steps, nil
}

func isKeyChar(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// applySet applies one `path=value` override to the document's root
// mapping. The value is read as YAML (so `--set stages[0].rate={from: 1,
// to: 5}` works); text that is not valid YAML is taken as a string. Every
// node it creates is recorded in origins so errors point at the override.
// A list index may be one past the end, to append.
func applySet(root *yaml.Node, expr string, origins map[*yaml.Node]string) error {
	path, value, ok := strings.Cut(expr, "=")
	if !ok {
		return fmt.Errorf("want path=value")
	}
	steps, err := parseSetPath(path)
	if err != nil {
		return err
	}
	origin := "--set " + expr
	val := parseSetValue(value)
	markAll(val, origin, origins)

	cur := root
	for i, st := range steps {
		cur = deref(cur)
		last := i == len(steps)-1
		where := setPathString(steps[:i])
		if isNull(cur) {
			// An empty key (`originate:`) becomes the container the path needs.
			if st.key != "" {
				*cur = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			} else {
				*cur = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			}
			origins[cur] = origin
		}
		if st.key != "" && cur.Kind == yaml.ScalarNode && i == 2 && steps[0].key == "nodes" {
			// A node written as its URI becomes the mapping form, so
			// `--set nodes[0].max_sessions=100` works on `- fs://h`.
			uri := *cur
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "uri"}
			origins[k] = origin
			*cur = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: uri.Line, Column: uri.Column, Content: []*yaml.Node{k, &uri}}
		}
		var slot **yaml.Node
		if st.key != "" {
			if cur.Kind != yaml.MappingNode {
				return fmt.Errorf("%s is not a mapping", orRoot(where))
			}
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == st.key {
					slot = &cur.Content[j+1]
					break
				}
			}
			if slot == nil {
				k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key}
				v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
				origins[k], origins[v] = origin, origin
				cur.Content = append(cur.Content, k, v)
				slot = &cur.Content[len(cur.Content)-1]
			}
		} else {
			if cur.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s is not a list", orRoot(where))
			}
			switch {
			case st.index < len(cur.Content):
				slot = &cur.Content[st.index]
			case st.index == len(cur.Content):
				v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
				origins[v] = origin
				cur.Content = append(cur.Content, v)
				slot = &cur.Content[len(cur.Content)-1]
			default:
				return fmt.Errorf("index %d out of range: %s has %d items", st.index, where, len(cur.Content))
			}
		}
		if last {
			*slot = val
			return nil
		}
		cur = *slot
	}
	return nil
}

func orRoot(where string) string {
	if where == "" {
		return "the plan"
	}
	return where
}

func setPathString(steps []pathStep) string {
	var b strings.Builder
	for _, st := range steps {
		if st.key != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.key)
		} else {
			fmt.Fprintf(&b, "[%d]", st.index)
		}
	}
	return b.String()
}

func parseSetValue(value string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err == nil && len(doc.Content) == 1 && value != "" {
		return doc.Content[0]
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
}

func markAll(n *yaml.Node, origin string, origins map[*yaml.Node]string) {
	if n == nil {
		return
	}
	origins[n] = origin
	for _, c := range n.Content {
		markAll(c, origin, origins)
	}
}
