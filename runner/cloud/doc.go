// Package cloud is the runner's cloud node: it places calls through a
// Twilio-compatible REST API (package twilio) instead of ESL, and turns what
// the API reports into the call events and records every other node kind
// produces.
//
// A [Node] creates calls at an even pace (never more than the plan's cps),
// hands each call's SID to a hook before anything else happens (the run
// writes it to the results' sids file, so a killed run can still be ended),
// follows the calls' status with a bounded-rate poller, and ends calls
// idempotently: one ([Node.Hangup]) or all of this run's ([Node.EndAll]).
// Status changes become [Event]s carrying two times: At, the API's own
// clock (whole seconds), and Received, the runner's clock when the answer
// arrived (as fine as the polling interval allows).
//
// [Apply] writes the API's view of a finished call into a metrics.Record:
// create, ringing (dialling began), answer and end on the API's clock, the
// API's status mapped to a FreeSWITCH hangup cause, and the API's error
// codes. The sids file ([SIDWriter], [ReadSIDs]) and [EndSIDs] are what
// `callplan hangup RESULTS_DIR` uses.
package cloud
