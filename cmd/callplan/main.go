// Command callplan load-tests and regression-tests telephony systems from
// YAML plans. See the README and docs/ for the plan format and subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/callplan/callplan/internal/gctune"
	"github.com/callplan/callplan/internal/procs"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "run" || os.Args[1] == "agent") {
		// Fewer garbage collections for the commands that make calls; a
		// user's GOGC wins (internal/gctune, docs/performance.md).
		gctune.Apply(os.LookupEnv)
		// A spare P, and once media flows one for every media wheel and
		// receiver; a user's GOMAXPROCS wins (internal/procs).
		procs.Spare(os.LookupEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], Env{
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.LookupEnv,
		Environ: os.Environ,
	})
	stop()
	os.Exit(int(code))
}
