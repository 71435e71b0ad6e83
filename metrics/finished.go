package metrics

import "maps"

// Live judgement reads only finished calls. While a run goes, a group's
// calls counts every originate sent, but ok, failed, unknown and (in the
// summary) answered count a call only once its record has ended: with
// holds of a minute, a run whose every call is answered and held reads
// success 0 until the first hangup. A ratio over calls that may still end
// either way is not a measurement, so live assertions see the group as if
// the calls in progress did not exist yet.

// Ended is the number of calls of the group whose records have ended.
func (g Group) Ended() int64 { return g.OK + g.Failed + g.Unknown }

// Finished returns g judged on its finished calls only: calls is the
// number that ended, and asr and success are answered and ok over them.
// Answered must already count only ended calls (a summary's does; a
// window's does after FinishedWindow). Everything else is g's.
func Finished(g Group) Group {
	g.Calls = g.Ended()
	g.ASR, g.Success = 0, 0
	if g.Calls > 0 {
		g.ASR = min(float64(g.Answered)/float64(g.Calls), 1)
		g.Success = min(float64(g.OK)/float64(g.Calls), 1)
	}
	return g
}

// FinishedSummary is s with the run's, every stage's, flow's and node's
// group judged on its finished calls (Finished). s is not modified.
func FinishedSummary(s *Summary) Summary {
	out := *s
	out.Group = Finished(s.Group)
	fin := func(m map[string]Group) map[string]Group {
		c := maps.Clone(m)
		for k, g := range c {
			c[k] = Finished(g)
		}
		return c
	}
	out.Stages, out.Flows, out.Nodes = fin(s.Stages), fin(s.Flows), fin(s.Nodes)
	return out
}

// FinishedWindow merges seconds as Window does, but judged on the calls
// that ended in them: calls is the calls that ended in the window, answered
// those of them that had been answered, asr and success over them.
func FinishedWindow(secs []Second) Group {
	g := Window(secs)
	g.Answered = 0
	for i := range secs {
		g.Answered += secs[i].EndedAnswered
	}
	return Finished(g)
}
