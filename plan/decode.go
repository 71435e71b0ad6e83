package plan

import (
	"fmt"

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
