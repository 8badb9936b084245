# tollgate's build. The two commands a newcomer needs:
#   make demo   build everything, start a local registry, sign, verify, refuse an unsigned image
#   make test   every test: unit, fuzz (briefly), end to end against the real registry and cosign
# Peer programs (registry, cosign v2/v3, crane, act) are built from their Go modules by
# scripts/tools.sh into .tools/ (git-ignored, keyed by version), once per machine.

SHELL       := /bin/bash
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -s -w -X github.com/tollgate-dev/tollgate/cmd/tollgate/cli.Version=$(VERSION) -X github.com/tollgate-dev/tollgate/cmd/tollgate/cli.Commit=$(COMMIT)
BIN         := bin/tollgate
FUZZTIME    ?= 60s
TESTFLAGS   ?=

export CGO_ENABLED ?= 0
export GOFLAGS     := -trimpath -buildvcs=false

.PHONY: all build tools test test-unit test-e2e fuzz fuzz-short bench demo lint docs clean

all: build

## build: the tollgate binary (static, reproducible flags) at bin/tollgate
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tollgate

## tools: build the peer programs the tests and the demo need (cached), and
## install the Debian packages the tests use when they are missing
tools:
	scripts/deps.sh
	scripts/tools.sh build

tool_env = TOLLGATE_BIN=$(CURDIR)/$(BIN) \
	TOLLGATE_REGISTRY_BIN=$$(scripts/tools.sh path registry) \
	TOLLGATE_COSIGN_V2_BIN=$$(scripts/tools.sh path cosign-v2) \
	TOLLGATE_COSIGN_V3_BIN=$$(scripts/tools.sh path cosign-v3) \
	TOLLGATE_CRANE_BIN=$$(scripts/tools.sh path crane) \
	TOLLGATE_ACT_BIN=$$(scripts/tools.sh path act)

## test: lint, unit and end-to-end tests, and every fuzz target briefly
test: tools build lint
	$(tool_env) $(GO) test -count=1 -timeout 30m $(TESTFLAGS) ./...
	scripts/fuzz.sh 5s

## test-unit: the tests that need no peer programs
test-unit:
	$(GO) test -count=1 $(TESTFLAGS) $$($(GO) list ./... | grep -v /test/)

## test-e2e: only the end-to-end tests
test-e2e: tools build
	$(tool_env) $(GO) test -count=1 -timeout 30m $(TESTFLAGS) ./test/...

## fuzz: every fuzz target for FUZZTIME (default 60s each)
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: tollgate against cosign over 20 images behind a 20 ms proxy
bench: tools build
	$(GO) run ./test/bench -tollgate $(CURDIR)/$(BIN) \
		-registry $$(scripts/tools.sh path registry) \
		-cosign-v2 $$(scripts/tools.sh path cosign-v2) \
		-cosign-v3 $$(scripts/tools.sh path cosign-v3)

## demo: local registry, an image signed, verified, and an unsigned one refused
demo: build
	scripts/demo.sh $(CURDIR)/$(BIN)

## lint: formatting and vet
lint:
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.tools/*' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## docs: regenerate the CLI reference in docs/cli
docs:
	$(GO) test ./cmd/tollgate/cli -run TestCLIReference -update

clean:
	rm -rf bin dist
