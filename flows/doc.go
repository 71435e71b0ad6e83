// Package flows holds the call flows ("apps") a plan mixes: what each does on
// each call event, its parameters and its own measurements. Flows drive calls
// through the narrow CallControl interface defined here and never see
// sockets. The registry of known flows and their parameters lives here too.
package flows
