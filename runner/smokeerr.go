package runner

import (
	"fmt"

	"github.com/callplan/callplan/metrics"
)

// SmokeError is a failed preflight smoke call: the node it was placed on
// and its call record, which holds everything that came back (the
// originate result, the caller leg's hangup cause and SIP status, whether
// a callee leg arrived). The caller, which knows the plan, can say what was
// dialled and what that suggests. It matches ErrSmokeCall with errors.Is.
type SmokeError struct {
	Node   string
	Record metrics.Record
}

func (e *SmokeError) Error() string {
	detail := e.Record.Reason
	if e.Record.OriginateResult != "" {
		detail += " (originate: " + e.Record.OriginateResult + ")"
	}
	return fmt.Sprintf("%v on node %s: %s", ErrSmokeCall, e.Node, detail)
}

// Unwrap makes errors.Is(err, ErrSmokeCall) hold.
func (e *SmokeError) Unwrap() error { return ErrSmokeCall }
