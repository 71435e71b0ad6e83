package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options are the inputs of a load besides the file itself.
type Options struct {
	// Lookup reads an environment variable for ${VAR} expansion. Nil means
	// an empty environment: every ${VAR} without a default is an error.
	Lookup func(name string) (string, bool)
	// Set holds `path=value` overrides (the CLI's --set), applied in order
	// before defaults and validation.
	Set []string
	// Check, when set, runs after plan's own validation, even when that
	// found problems, and adds its own. It is how layers above plan check
	// what plan cannot know (flow names and parameters, assertion
	// expressions) while every problem is still reported at once. It sees
	// a plan whose broken parts are zero values; Fields tells it what was
	// written.
	Check func(p *Plan, errs *Errors)
}

// maxPlanSize bounds the file read; plans are a few kilobytes.
const maxPlanSize = 4 << 20

// Load reads and loads the plan at path. On failure the error is Errors
// (every problem, positioned) or a read error.
func Load(path string, opts Options) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading plan %s: %w", path, err)
	}
	if len(data) > maxPlanSize {
		return nil, Errors{{Pos: Pos{File: path}, Msg: fmt.Sprintf("plan larger than %d bytes", maxPlanSize)}}
	}
	return Parse(path, data, opts)
}

// Parse loads a plan from data; file names it in diagnostics. It returns
// the plan with every default applied, or Errors listing every problem.
func Parse(file string, data []byte, opts Options) (*Plan, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{yamlError(file, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{Pos: Pos{File: file, Line: extra.Line, Col: extra.Column}, Msg: "a plan file holds one YAML document; found a second after ---"}}
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	} else {
		// An empty file is an empty plan (and then misses its stages).
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	}
	d := &decoder{file: file, lookup: opts.Lookup, origins: map[*yaml.Node]string{}, failed: map[string]bool{}, valuePos: map[string]Pos{}}
	for _, s := range opts.Set {
		if err := applySet(root, s, d.origins); err != nil {
			path, _, _ := strings.Cut(s, "=")
			d.errs.Add(Pos{File: "--set " + s}, path, "%v", err)
		}
	}
	p := &Plan{File: file}
	p.setDefaults()
	rootNode := deref(root)
	if rootNode == nil || rootNode.Kind != yaml.MappingNode {
		d.fail(root, "", "a plan is a mapping of fields (name, stages, ...), got %s", kindName(root))
		return nil, d.errs
	}
	d.decodeStruct(rootNode, reflect.ValueOf(p).Elem(), "")
	if d.visited > maxNodes {
		// The plan was cut short; checking what was read would only add noise.
		return nil, d.errs
	}
	d.check(p)
	if opts.Check != nil {
		opts.Check(p, &d.errs)
	}
	if len(d.errs) > 0 {
		d.errs.Sort()
		return nil, truncate(d.errs, file)
	}
	return p, nil
}

// maxDiagnostics caps the list: past it, more lines do not help a reader.
const maxDiagnostics = 100

func truncate(errs Errors, file string) Errors {
	if len(errs) <= maxDiagnostics {
		return errs
	}
	more := len(errs) - maxDiagnostics
	errs = errs[:maxDiagnostics:maxDiagnostics]
	return append(errs, Diagnostic{Pos: Pos{File: file}, Msg: fmt.Sprintf("%d more problems not shown", more)})
}
