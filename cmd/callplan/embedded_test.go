package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/plan"
)

func TestEmbeddedCaps(t *testing.T) {
	stages := func(limits ...int) []plan.Stage {
		var s []plan.Stage
		for _, l := range limits {
			s = append(s, plan.Stage{Limit: l})
		}
		return s
	}
	for _, tc := range []struct {
		name           string
		limits         []int
		explicit       int
		sessions       int
		rtpMin, rtpMax int
	}{
		{"small plan keeps FreeSWITCH's defaults", []int{10, 30}, 0, 1000, 16384, 32768},
		{"800 calls/s x 1 s x 3 needs 6 000 legs, ports fit the default range", []int{2400}, 0, 6000, 16384, 32768},
		{"the largest stage sizes it", []int{100, 4000, 50}, 0, 10000, 16384, 16384 + 20000},
		{"port range stops at 65534", []int{40000}, 0, 100000, 16384, 65534},
		{"explicit max_sessions wins, even lower", []int{2400}, 500, 500, 16384, 32768},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &plan.Plan{Stages: stages(tc.limits...)}
			s, lo, hi := embeddedCaps(p, plan.Node{MaxSessions: tc.explicit})
			assert.Equal(t, tc.sessions, s, "max sessions")
			assert.Equal(t, tc.rtpMin, lo, "rtp min")
			assert.Equal(t, tc.rtpMax, hi, "rtp max")
		})
	}
}
