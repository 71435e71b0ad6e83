// Command callplan load-tests and regression-tests telephony systems from
// YAML plans. See the README and docs/ for the plan format and subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
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
