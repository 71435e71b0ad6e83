// Package esltest is an Event Socket server for tests, in the style of
// net/http/httptest: NewServer listens on 127.0.0.1:0, authenticates,
// answers commands the way FreeSWITCH does (reply texts from the 1.10.12
// captures; subscriptions, negative and regex filters and command parsing
// through esl.Listener and esl.SplitCommand, the grammar the agent's ESL
// server uses too), runs scripted api/bgapi commands, injects events, replays a
// recorded transcript, and injects faults (close mid-frame, stall, garbage,
// a huge body, a disconnect notice, a wrong password, an ACL rejection).
package esltest
