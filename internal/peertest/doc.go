// Package peertest runs foreign protocol peers (SIPp, Kamailio) as
// processes owned by one test or benchmark, on loopback ports it finds free,
// in the style of net/http/httptest. The interop tests of several packages
// share it, so there is one process harness, not one per package.
package peertest
