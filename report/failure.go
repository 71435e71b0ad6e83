package report

import (
	"fmt"
	"strings"
)

// Failure says why a run stopped before or while running its plan for a
// reason outside the SUT's figures: a node that could not be reached or
// used, a failed smoke call, an error of the run itself. Such a run still
// leaves report.json and junit.xml (issue 12), so `callplan report` and
// CI's JUnit publishers find what happened; its status is infrastructure
// (exit 3).
type Failure struct {
	// Reason is what went wrong, in words (may span lines).
	Reason string `json:"reason"`
	// Nodes are every node that failed, each with its own error.
	Nodes []NodeFailure `json:"nodes,omitempty"`
}

// NodeFailure is one generator node that could not be used.
type NodeFailure struct {
	Node  string `json:"node"`
	Error string `json:"error"`
}

// Failed returns r marked as ended by f: its status becomes
// infrastructure.
func (r *Results) Failed(f Failure) *Results {
	r.Failure = &f
	r.Status = r.status()
	return r
}

// text is f in a few lines: the reason, then each node's error.
func (f *Failure) text() string {
	var b strings.Builder
	b.WriteString(f.Reason)
	for _, n := range f.Nodes {
		fmt.Fprintf(&b, "\nnode %s: %s", n.Node, n.Error)
	}
	return b.String()
}

// failureCases are the JUnit test cases of a failed run: the run itself,
// errored with the reason, and one errored case per failing node, so a CI
// page lists each node that needs attention.
func failureCases(f *Failure, classname, secs string) []junitCase {
	first, _, _ := strings.Cut(f.Reason, "\n")
	out := []junitCase{{Name: "run completed", Classname: classname, Time: secs,
		Error: &junitFailure{Message: first, Type: "RunFailed", Text: f.text() + "\n"}}}
	for _, n := range f.Nodes {
		out = append(out, junitCase{Name: "node " + n.Node, Classname: classname + ".nodes", Time: secs,
			Error: &junitFailure{Message: n.Error, Type: "NodeFailed", Text: n.Error + "\n"}})
	}
	return out
}
