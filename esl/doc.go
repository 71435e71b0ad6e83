// Package esl is callplan's FreeSWITCH Event Socket (inbound mode) package:
// the wire format, shared with the embedded agent's server, and the client
// the runner drives FreeSWITCH nodes and agents with.
//
// # Wire format (used by both sides)
//
// Everything here matches real FreeSWITCH 1.10.12 byte for byte: every frame
// of the transcripts in testdata/fixtures decodes and re-encodes to the same
// bytes (TestReadFrameFixturesRoundTrip).
//
//   - [Reader] reads frames from a stream: [Reader.ReadFrame] (what a server
//     sends: outer headers in order, a body framed by Content-Length, bounded
//     by [Reader.MaxBody] and never pre-allocated beyond 64 KiB before bytes
//     arrive) and [Reader.ReadCommand] (what a client sends, as FreeSWITCH
//     accepts it: command line, raw headers, optional body up to
//     [MaxCommandBody], "\r\n" and stray blank lines tolerated).
//   - [DecodeEvent], [ParseEventPlain], [ParseEventJSON] turn a
//     text/event-plain or text/event-json body into an [Event]: header names
//     as FreeSWITCH spells them, values decoded (%XX only: '+' is not a
//     space; "_undef_" is empty), wire order and duplicates kept, the body in
//     Event.Body (the inner Content-Length / JSON "Content-Length" is framing,
//     not a header), JSON arrays as "ARRAY::a|:b" like plain.
//   - Encoders a server uses: [AuthRequest], [CommandReply], [APIResponse],
//     [DisconnectNotice] (with [DisconnectGoodbye]), [RudeRejection], and
//     [EventFrame] (plain with FreeSWITCH's exact URL encoding, see
//     [AppendURLEncoded]; json as cJSON writes it, "Content-Length" as a
//     string then "_body", no trailing newline). [Frame.AppendTo] and
//     [WriteFrame] put any frame on the wire in header order.
//   - The grammar a server answers with: [SplitCommand], [Authenticate] and
//     [JobUUID] for command lines, and a [Listener] per connection for
//     `event`, `nixevent`, `noevents` and `filter` (negative and regex
//     filters included) with FreeSWITCH's Reply-Text values, and for which
//     events a connection gets. The agent's server and esltest both use it.
//   - The client side encodes commands with [Command.AppendTo], which refuses
//     CR, LF and NUL anywhere ([ErrUnsafe]) so no value can inject a second
//     command.
//
// Frame and command headers are an ordered [Headers] list looked up
// case-insensitively ([Headers.Get] first, [Headers.Last] last,
// [Headers.Values] all, arrays split). An [Event] holds its headers
// compactly (one string and a pointer-free offset list, so a decoded event
// is three allocations and nothing for the garbage collector to scan) and
// offers the same lookups without allocating ([Event.Get], [Event.Last],
// [Event.Values], [Event.Header] by index, [Event.Headers] for a copy of
// the list), plus FreeSWITCH-named accessors: Name (the last Event-Name),
// Subclass, UniqueID, JobUUID, Var ("variable_<name>"), Sequence, and Time
// (Event-Date-Timestamp, microseconds). [NewEvent] builds one; an Event is
// immutable, so subscribers may keep and share it.
//
// # Originate
//
// [Originate] builds an "originate" API command for [Sofia],
// [SofiaGateway] or [Loopback] endpoints with ordered variables, an
// optional proxy (";fs_path=sip:...") and an app ("&park()" by default).
// Values are escaped for each of the three passes FreeSWITCH's parser makes
// (blank split, ',' split, '=' split), proven against a port of that parser
// in the tests; what cannot be escaped (CR, LF, NUL, braces in values, "${",
// dial-string syntax in the endpoint) is refused with [ErrDialString].
// That port is exported for the agent, so it parses exactly as FreeSWITCH
// does: [SeparateString] (API arguments, quotes and escapes),
// [FindEndParen] and [ParseVarBlock] ({} and [] variable blocks).
//
// # Client
//
// [Dial] connects and authenticates, with typed errors ([ErrRefused],
// [ErrAuth], [ErrRejected], [ErrNotESL]). A [Conn] is safe for concurrent
// use: one writer at a time, and a FIFO of waiting requests appended under
// the write lock, so replies (which FreeSWITCH sends strictly in command
// order) always reach their own caller; a caller whose context ends leaves
// its slot, so a late reply is dropped rather than handed to the next.
//
//   - [Conn.API], [Conn.BgAPI] (Job-UUID chosen and registered before the
//     command is written; the [Job] completes from BACKGROUND_JOB),
//     [Conn.SendMsg], [Conn.Execute], [Conn.Hangup], [Conn.Send] for
//     anything else; -ERR / -USAGE replies are [*CommandError].
//   - Node-side subscription: [Conn.Subscribe] (CUSTOM subclasses ordered
//     last), [Conn.NixEvent], [Conn.NoEvents], [Conn.Filter],
//     [Conn.FilterDelete]; all replayed after a reconnect.
//   - Client-side routing: [Conn.ChannelEvents] (by Unique-ID) and
//     [Conn.Events] (by name / subclass / all) return a [Subscription],
//     an unbounded in-order queue, so the single reader never blocks and an
//     event consumer may call API freely.
//   - [Conn.Heartbeat] holds the latest HEARTBEAT figures;
//     [WithHeartbeatTimeout] drops a node that went silent.
//   - [WithReconnect] reconnects with backoff and jitter; jobs in flight
//     fail with [ErrDisconnected]; [WithStateHandler] reports every
//     [StateChange] so the runner can mark calls in flight unknown.
//
// Unknown content types (log/data, text/event-xml) and undecodable events
// are counted in [Conn.Stats] and skipped, never fatal.
//
// Package esl/esltest is a test server in the style of httptest.
package esl
