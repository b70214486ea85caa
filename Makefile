# agentdesk — the two commands of the README are `make run` and `make test`.
# `make test` installs what the tests need (Debian packages via apt-get, only
# when missing) and runs every test: unit tests with the race detector, the
# Fyne view tests, integration tests against real Kamailio + sipp, PostgreSQL
# and Xvfb (AGENTDESK_INTEGRATION=1 makes a missing peer a failure, not a
# skip), short fuzz runs, lint, and the Linux and Windows builds.

GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
# Packages that need no window, and the window's: all tested with -race.
NOWINDOW  = $(shell $(GO) list ./... | grep -v -e /agent/ui -e /cmd/agentdesk -e /tools/)
WINDOW    = $(shell $(GO) list ./cmd/agentdesk/... ./agent/ui/... ./tools/... 2>/dev/null)
EXE      := $(CURDIR)/dist/agentdesk.exe
FUZZTIME ?= 4s
# Fuzz targets: package:Target, run for $(FUZZTIME) each.
FUZZ      = $(shell grep -rl --include='*_test.go' '^func Fuzz' . | xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*' | sed -E 's|^\./(.*)/[^/]*_test.go:func (Fuzz.*)|\1:\2|' | sort -u)

.PHONY: run test deps lint unit ui all-tests fuzz build windows wine bench clean

run:
	$(GO) run ./cmd/agentdesk

# The Windows cross-build runs beside the tests at the lowest priority: on a
# fresh machine it is minutes of mingw compiling miniaudio and GLFW on one
# core, which the tests, mostly waiting on their peers, leave idle. wine
# then finds it in the build cache.
test: deps lint
	@set -e; log=$$(mktemp); \
	nice -n 19 $(MAKE) --no-print-directory windows >$$log 2>&1 & win=$$!; \
	trap 'kill $$win 2>/dev/null || true; rm -f '$$log EXIT; \
	$(MAKE) --no-print-directory all-tests fuzz build; \
	echo "waiting for the Windows build"; \
	if ! wait $$win; then cat $$log; echo "make test: the Windows build failed"; exit 1; fi; \
	cat $$log; \
	$(MAKE) --no-print-directory wine
	@echo "make test: all passed"

deps:
	bash .ci/deps.sh

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

GOTEST    = AGENTDESK_INTEGRATION=1 $(GO) test -race -count=1 -timeout 15m

unit:
	$(GOTEST) $(NOWINDOW)

ui:
	$(GOTEST) $(WINDOW)

# unit and ui in one run, the window's packages first: go test starts the
# packages in the order given, two at a time on two cores, so the longest
# (cmd/agentdesk's journeys, about 6.5 min of one slot) runs beside all the
# others instead of after them.
all-tests:
	$(GOTEST) $(WINDOW) $(NOWINDOW)

fuzz:
	@set -e; for t in $(FUZZ); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  out=$$(mktemp); \
	  for try in 1 2; do \
	    if $(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) ./$$pkg >$$out 2>&1; then break; fi; \
	    if [ $$try = 1 ] && grep -q 'context deadline exceeded' $$out && ! grep -q 'Failing input written' $$out; then \
	      echo "  (the fuzzer ran out of time before it began, a Go toolchain quirk; once more)"; continue; fi; \
	    cat $$out; rm -f $$out; exit 1; \
	  done; \
	  rm -f $$out; \
	done

build:
	$(GO) build -o bin/ ./cmd/...

windows:
	bash tools/windows.sh $(EXE)

# The Windows build, run for real under Wine in Xvfb (tools/wine-go).
wine: windows
	AGENTDESK_INTEGRATION=1 AGENTDESK_WINE_EXE=$(EXE) $(GO) test -count=1 -timeout 10m -run '^TestWine' ./cmd/agentdesk

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./agent/... ./telephony/...

clean:
	rm -rf bin
