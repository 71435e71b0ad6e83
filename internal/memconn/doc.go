// Package memconn is an in-process stream connection: a buffered,
// full-duplex net.Conn pair and a net.Listener that hands out such pairs.
//
// It exists for the embedded agent of `callplan run`: the runner talks to an
// agent in its own process over the Event Socket protocol, byte for byte as
// it would to FreeSWITCH over TCP, but without a loopback socket, so no
// system call per read or write and no network poller wake-up. Unlike
// net.Pipe, whose writes wait for the reader to take every byte, a write
// here returns once its bytes are buffered, as a write into a socket buffer
// does; only a full buffer (MaxBuffered unread bytes) makes a writer wait,
// which keeps the back-pressure a slow ESL reader puts on the agent.
//
// Deadlines, Close and the errors they produce behave as a TCP connection's
// do: a passed deadline fails Read or Write with an error whose Timeout()
// is true (os.ErrDeadlineExceeded), reading after the peer closed drains
// what it wrote and then returns io.EOF, and using a closed end returns
// net.ErrClosed.
package memconn
