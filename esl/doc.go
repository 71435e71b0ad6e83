// Package esl is callplan's FreeSWITCH Event Socket client: connect and
// authenticate, api/bgapi/sendmsg commands, background jobs matched by
// Job-UUID, event subscription and routing by Unique-ID, HEARTBEAT tracking,
// reconnection, and the originate command builder with its escaping. It also
// owns the ESL wire format (frame decoding and encoding) that the embedded
// agent's server shares.
package esl
