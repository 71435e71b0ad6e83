package agent

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestHupallWhileOriginating: hupall with a variable match reads every
// listed leg's variables while originates list new legs and write theirs.
// Under -race this failed when a new leg's first variables were written
// without its lock after the leg was already listed.
func TestHupallWhileOriginating(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain CHANNEL_PARK")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					a.API(t.Context(), "hupall NORMAL_CLEARING callplan_run no-such-run")
				}
			}
		})
		var ids []string
		for range 10 {
			id, _ := originateLoop(t, c, "test", sipAddr, "callplan_run=this-run")
			ids = append(ids, id)
		}
		for _, id := range ids {
			inboundOf(c, id) // both legs are listed and have their variables
		}
		close(stop)
		wg.Wait()
		a.API(t.Context(), "hupall NORMAL_CLEARING callplan_run this-run")
		assert.Eventually(t, func() bool { return a.API(t.Context(), "show channels count") == "\n0 total.\n" },
			5*time.Second, 10*time.Millisecond, "hupall with a matching variable ends this run's legs")
	})
}
