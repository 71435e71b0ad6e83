package main

import (
	"context"
	"fmt"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/plan"
)

// planSchema is the plan format's JSON Schema with the known flows and
// their parameters; docs/plan.schema.json is this, kept in sync by a test.
func planSchema() ([]byte, error) {
	var fl []plan.SchemaFlow
	for _, s := range flows.Specs() {
		sf := plan.SchemaFlow{Name: s.Name, Doc: s.Doc}
		for _, p := range s.Params {
			sf.Params = append(sf.Params, plan.SchemaParam{Name: p.Name, Type: string(p.Type), Doc: p.Doc, Default: p.Default, Enum: p.Enum})
		}
		fl = append(fl, sf)
	}
	return plan.JSONSchema(fl)
}

func runSchema(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "schema", "schema", "  callplan schema > plan.schema.json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("schema takes no arguments")
	}
	s, err := planSchema()
	if err != nil {
		return fmt.Errorf("generating schema: %w", err)
	}
	_, err = env.Stdout.Write(s)
	return err
}
