package flows

import "sync"

// callStates holds a flow's per-call state. A Flow is one value shared by
// every call of its mix entry, and Judge sees only the record, so flows
// that remember what they saw (bert's syncs, dtmf's digits) keep it here
// by call ID (Call.ID is the record's Call) from the first event until
// Judge takes it. The runner hands one call's events over one at a time,
// but timers scheduled with CallControl.Schedule run on their own, so
// each state guards itself (see its flow).
//
// A call that the runner judges itself (node_lost, flow_error, ...) never
// reaches Judge; its entry stays until the run ends, which bounds the
// leftovers by the number of such calls.
type callStates[T any] struct {
	mu    sync.Mutex
	calls map[string]*T
}

// get returns call id's state, creating it with fresh on first use.
func (s *callStates[T]) get(id string, fresh func() *T) *T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]*T{}
	}
	st, ok := s.calls[id]
	if !ok {
		st = fresh()
		s.calls[id] = st
	}
	return st
}

// take removes and returns call id's state; nil when the flow saw no
// event of the call.
func (s *callStates[T]) take(id string) *T {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.calls[id]
	delete(s.calls, id)
	return st
}

// len is how many calls have state, for tests.
func (s *callStates[T]) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}
