# callplan — build, test, lint. `make test` is what CI runs (see .ci/run).
GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN         ?= $(shell $(GO) env GOPATH)/bin
BIN           := bin/callplan
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build install test lint e2e deps-e2e fuzz bench bench-agent bench-media bench-mem clean

all: lint test build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/callplan

# callplan into $(GOBIN), stamped with the version `callplan version` prints
# (go install ./cmd/callplan works too: it takes the version from the Go
# build info).
install:
	$(GO) install -ldflags "-X main.version=$(VERSION)" ./cmd/callplan

# The README's test command. -race always (style.md).
test:
	$(GO) test -race -count=1 ./...

$(GOBIN)/staticcheck:
	$(GO) install $(STATICCHECK)

lint: $(GOBIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

# Real SIP peers for interop tests, and a recorded prompt for playback tests
# (Debian packages). Idempotent.
deps-e2e:
	@command -v sipp >/dev/null && command -v kamailio >/dev/null && command -v chromium >/dev/null && \
	  test -f /usr/share/asterisk/sounds/en/hello-world.wav || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester kamailio chromium \
	    asterisk-core-sounds-en-wav)

# End-to-end tests against real peers (SIPp, Kamailio, Chromium) and the
# embedded agent: only the tests in files built with the e2e tag, since
# `make test` has already run the rest.
E2E_TESTS = $(shell grep -h '^func Test' $$(grep -rl '^//go:build e2e' --include='*_test.go' .) | sed 's/^func \(Test[A-Za-z0-9_]*\).*/\1/' | sort -u | paste -sd'|')

e2e: deps-e2e build
	$(GO) test -race -count=1 -tags e2e -run '^($(E2E_TESTS))$$' ./...

# Short fuzz pass over every fuzz target (FUZZTIME each).
FUZZTIME ?= 15s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# Every benchmark but the memory ones, which take minutes (bench-mem).
bench:
	$(GO) test -run '^$$' -bench . -skip HeapFlat -benchmem ./...

# Memory flat in calls made (docs/performance.md, "Agent memory over
# many calls"): the settled heap (after GC) and the RSS after 10 000 calls
# and after HEAP_CALLS more, for the SIP layer alone, the agent over ESL,
# the runner, and `callplan run` on the embedded agent (at HEAP_RATE
# calls/s; it places what the machine sustains, and reports how many).
# Readings wait out sipgo's 32 s transaction linger. HEAP_CALLS=1000000 is
# the issue's figure: about 10-15 min per line on 2 cores, so run it under
# the heavy lock (TEAM.md): flock /tmp/callplan-heavy.lock make bench-mem.
HEAP_CALLS ?= 100000
HEAP_RATE ?= 1000
bench-mem:
	CALLPLAN_HEAP_CALLS=$(HEAP_CALLS) $(GO) test ./agent/sip -run '^$$' -bench ProfileHeapFlat -benchtime 1x -timeout 0
	CALLPLAN_HEAP_CALLS=$(HEAP_CALLS) $(GO) test ./agent -run '^$$' -bench AgentHeapFlat -benchtime 1x -timeout 0
	CALLPLAN_HEAP_CALLS=$(HEAP_CALLS) $(GO) test ./runner -run '^$$' -bench RunnerHeapFlat -benchtime 1x -timeout 0
	CALLPLAN_HEAP_CALLS=$(HEAP_CALLS) CALLPLAN_HEAP_RATE=$(HEAP_RATE) $(GO) test ./cmd/callplan -run '^$$' -bench EmbeddedRunHeapFlat -benchtime 1x -timeout 0

# The agent side by side with SIPp on this machine: SIPp UAC -> SIPp UAS,
# then SIPp UAC -> the agent's SIP profile, then agent loop calls over ESL
# against SIPp; each prints both rates and their ratio (docs/performance.md).
bench-agent: deps-e2e
	$(GO) test -tags e2e ./agent/sip -run '^$$' -bench SIPpRatio -benchtime 1x
	$(GO) test -tags e2e ./agent -run '^$$' -bench AgentVsSIPp -benchtime 1x

# The media engine's pacing (packets later than 5 / 10 ms at 250, 500 and
# 1000 stream pairs) side by side with a reference commit, alternating the
# two binaries (docs/performance.md). MEDIA_REF picks the reference (default:
# the design before the batched system calls).
MEDIA_REF ?=
bench-media:
	.ci/bench-media $(MEDIA_REF)

clean:
	rm -rf bin results
