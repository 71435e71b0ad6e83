package main

import (
	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
)

// planInfo is what the report shows of the plan: its name and file, each
// stage's target load, and report.tolerance. The conversion lives here, in
// the layer that knows both packages, so that report does not import plan
// (docs/design.md's package map).
func planInfo(p *plan.Plan) report.PlanInfo {
	info := report.PlanInfo{Name: p.Name, File: p.File, Stages: make([]report.StageInfo, 0, len(p.Stages)), Tolerance: p.Report.Tolerance}
	for _, s := range p.Stages {
		info.Stages = append(info.Stages, report.StageInfo{
			Name: s.Name, Duration: assert.Sec(s.Duration.D()), RateFrom: s.Rate.From, RateTo: s.Rate.To,
			Limit: s.Limit, Hold: assert.Sec(s.Hold.Value.D()),
		})
	}
	return info
}
