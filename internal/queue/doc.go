// Package queue is the one unbounded FIFO queue callplan uses wherever a
// producer must never wait for its consumer: an ESL connection's reader
// routing events to subscriptions (a blocked reader would stall api replies
// behind unread events), a connection's state changes on their way to the
// state handler, the runner's node events, and the agent channel's mailbox
// of operations run on the channel goroutine.
//
// A Queue is safe for concurrent use. Push never blocks. A consumer either
// calls Pop, which waits with a context, or selects on Ready alongside its
// other channels and then takes with TryPop or Drain. Close ends the stream
// after what is queued, so nothing pushed before it is lost.
package queue
