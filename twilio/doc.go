// Package twilio is a small client for the Twilio-compatible Voice REST API
// (2010-04-01 Calls resource), standard library only. It is what callplan's
// cloud node kind drives, and it works against any API that mirrors Twilio's
// (SignalWire's compatibility API, via [WithBaseURL]).
//
// # What it does
//
//   - [Client.CreateCall]: POST /2010-04-01/Accounts/{sid}/Calls.json,
//     form-encoded To, From, Twiml or Url, and StatusCallback when given.
//   - [Client.FetchCall]: GET .../Calls/{CallSid}.json.
//   - [Client.UpdateCall]: POST .../Calls/{CallSid}.json with
//     Status=completed or Status=canceled; [Client.EndCall] picks the right
//     one from the call's state and is idempotent (ending an ended call is
//     not an error, and says it changed nothing).
//   - [Poller]: follows many calls' status by polling at a bounded total
//     request rate, for CI runners that have no public URL for status
//     callbacks.
//   - [Pace]: an even (never bursty) request spacer.
//
// # Credentials
//
// [CredentialsFromEnv] reads the account SID and either the auth token or
// an API key and secret from environment variables; nothing else accepts a
// secret. [Credentials] prints as "***" in every fmt verb, and every error
// this package returns has the secret removed from its text, so a caller
// that logs errors cannot leak it.
//
// # Errors and retries
//
// A non-2xx answer becomes an [*APIError] with the HTTP status and the
// API's own error code parsed from its JSON body (e.g. 20003 for bad
// credentials, 20429 for too many requests, 21211 for an invalid To). 429
// and 5xx answers are retried with exponential backoff and jitter (honouring
// Retry-After), up to a bound, and counted in [Client.Stats].
//
// Package twilio/twiliotest is a fake of the same API on net/http/httptest,
// so tests and users can exercise plans offline.
package twilio
