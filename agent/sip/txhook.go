package sip

import "sync/atomic"

// txHook is a callback handed to a sipgo transaction (OnCancel,
// OnRetransmission). A transaction keeps its callbacks for as long as it
// lives, and an INVITE transaction lives 64*T1 = 32 s past its final
// response (Timers L and M of RFC 6026, sipgo's transaction_server.go and
// transaction_client.go). A closure over the call would keep the call, its
// dialog state and its closed RTP socket alive that long too: at 1 000
// calls/s that is 32 000 dead calls on the heap. The hook is detached when
// the call ends, so the transaction keeps only this small struct.
type txHook[T any] struct {
	fn atomic.Pointer[func(T)]
}

func newTxHook[T any](fn func(T)) *txHook[T] {
	h := &txHook[T]{}
	h.fn.Store(&fn)
	return h
}

// call runs the callback unless the hook was detached.
func (h *txHook[T]) call(v T) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(v)
	}
}

// detach drops the callback; later calls do nothing.
func (h *txHook[T]) detach() { h.fn.Store(nil) }
