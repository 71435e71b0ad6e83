package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=..." (the
// Makefile passes `git describe`); otherwise it comes from the Go build info.
var version = ""

func runVersion(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "version", "version", "  callplan version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintf(env.Stdout, "callplan %s\n", versionText(version, info))
	return nil
}

// versionText is what `callplan version` says: the version set at link time,
// or the module version `go install module@version` records, and the
// commit the binary was built from when the build had VCS information
// (go build and go install in a git checkout stamp vcs.revision and
// vcs.modified). A plain `go run` or `go test` binary has neither: "dev".
func versionText(linked string, info *debug.BuildInfo) string {
	v := linked
	var rev string
	modified := false
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	var extra []string
	if rev != "" {
		c := "commit " + rev[:min(12, len(rev))]
		if modified {
			c += ", with uncommitted changes"
		}
		extra = append(extra, c)
	}
	if info != nil && info.GoVersion != "" {
		extra = append(extra, info.GoVersion)
	}
	if len(extra) == 0 {
		return v
	}
	return v + " (" + strings.Join(extra, ", ") + ")"
}
