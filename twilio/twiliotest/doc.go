// Package twiliotest is a fake of the Twilio-compatible Calls API on
// net/http/httptest, in the style of httptest and esl/esltest: NewServer
// listens on 127.0.0.1:0 and answers create, fetch and update requests the
// way the real API does (form-encoded requests, JSON answers with RFC 2822
// times to the second, error bodies with the API's codes).
//
// What a test (or a user checking a plan offline) can make it do:
//
//   - per-destination status progressions ([Answer], [Busy], [NoAnswer],
//     [Failed], [Canceled], [Rejected]), timed from when dialling starts;
//   - an account calls-per-second limit ([WithCPS]): calls created faster
//     are queued and dialled at the limit, so the queued→ringing delay
//     grows, as the real API's queue_time does;
//   - a request rate limit ([WithRequestLimit]) and injected failures
//     ([Server.FailNext]): 429 with error 20429, or any 5xx;
//   - 401 with error 20003 for bad credentials (auth token or API key);
//   - status callbacks to a create's StatusCallback, for the events its
//     StatusCallbackEvent asks for (completed only by default), as the
//     real API posts them.
//
// Calls move on by the wall clock; no goroutine runs per call. Everything
// the server saw is available: [Server.Requests], [Server.Calls],
// [Server.Stats], [Server.Live].
package twiliotest
