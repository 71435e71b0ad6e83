package runner

// EventQueue is the unbounded, ordered event queue the ESL driver uses,
// for drivers outside this package (runner/cloud): Push never blocks,
// Events delivers in order, Close stops delivery and closes the channel.
type EventQueue struct{ q *eventQueue }

// NewEventQueue starts a queue; Close it when the driver closes.
func NewEventQueue() *EventQueue { return &EventQueue{q: newEventQueue()} }

// Push queues ev.
func (q *EventQueue) Push(ev LegEvent) { q.q.push(ev) }

// Events is the receiving end.
func (q *EventQueue) Events() <-chan LegEvent { return q.q.events() }

// Close stops delivery (what is still queued is dropped).
func (q *EventQueue) Close() { q.q.close() }
