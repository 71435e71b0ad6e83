// Package workers runs short per-call functions on goroutines that are
// kept once their function returns and take the next one, instead of a
// new goroutine for each.
//
// A new goroutine starts with a small stack and copies it each time it
// grows (2 → 4 → 8 kB ...) through the code a call runs: in a profile of
// `callplan run` on the embedded agent, runtime.newstack and copystack
// under the runner's flow actors and originates were about 1 % of the
// CPU; under the agent's channel goroutines and bgapi jobs (runInbound,
// runOutbound, runJob), about a tenth of a loop call's. A kept goroutine
// starts its next function with the stack the last one grew; the
// collector shrinks the stacks of idle ones, so a burst does not pin its
// peak. The runner and the agent each keep a Pool.
//
// At most maxIdle goroutines wait; one more finishing then exits, and a new
// goroutine starts when none waits, so there is no limit on how many run
// and Go never blocks.
package workers
