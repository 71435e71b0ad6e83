package report

import "github.com/callplan/callplan/metrics"

// causeRows are a group's calls by hangup cause, SIP status and failure
// reason, largest first, then the calls that ended with no outcome at all
// (unknown: the node carrying them was lost, or the run stopped under
// them), which no cause or reason counts. The table and the HTML report
// both show them.
func causeRows(g metrics.Group) [][]string {
	var rows [][]string
	for _, k := range byCount(g.Causes) {
		rows = append(rows, []string{"cause", k, count(g.Causes[k])})
	}
	for _, k := range byCount(g.SIP) {
		rows = append(rows, []string{"sip", k, count(g.SIP[k])})
	}
	for _, k := range byCount(g.Reasons) {
		rows = append(rows, []string{"failure reason", k, count(g.Reasons[k])})
	}
	if g.Unknown > 0 {
		rows = append(rows, []string{"unknown", unknownText, count(g.Unknown)})
	}
	return rows
}

// unknownText says what an unknown outcome means wherever it is shown.
const unknownText = "no outcome: node lost or run stopped"
