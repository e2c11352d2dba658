# aiwfe — build, run, test, benchmark.
# `make run` needs only Go (the built UI is committed); `make test` installs
# what the tests need (Debian packages, npm packages, test peers) first.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/aiwfe/aiwfe/app.Version=$(VERSION) -X github.com/aiwfe/aiwfe/app.Commit=$(COMMIT)
GOBUILD := CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)"

.PHONY: all build run test test-deps test-go test-race test-ui ui ui-stale cross bench eval vet fmt clean

all: build

## build: the static binary ./aiwfe (UI embedded)
build:
	$(GOBUILD) -o aiwfe .

## run: build and start the appliance on its defaults (data in ./data)
run: build
	./aiwfe serve

## test: everything CI runs
test: test-deps vet test-go test-ui

## test-deps: install what the tests need on a fresh machine (idempotent)
test-deps:
	bash scripts/test-deps.sh

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

test-go:
	AIWFE_REQUIRE_OLLAMA=1 AIWFE_REQUIRE_PEERS=1 go test -count=1 -timeout 20m ./...
	$(MAKE) test-race

## test-race: the packages with goroutines and shared state under the race
## detector (-short: the real-Ollama and timing tests run in test-go already)
RACE_PKGS := ./app/hub ./app/chat ./app/llm ./app/server ./store ./app/auth ./app/documents
test-race:
	CGO_ENABLED=1 go test -race -short -count=1 -timeout 20m $(RACE_PKGS)

## test-ui: svelte-check, the UI's unit tests, and the committed build is current
test-ui:
	cd ui && npm run check && npm test
	$(MAKE) ui-stale

## ui: rebuild the committed web UI from source
ui:
	cd ui && npm ci --no-audit --no-fund && npm run build

ui-stale:
	bash ui/scripts/check-stale.sh

## cross: linux/arm64 and linux/arm/v7 binaries in bin/
cross:
	mkdir -p bin
	GOOS=linux GOARCH=amd64 $(GOBUILD) -o bin/aiwfe-linux-amd64 .
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o bin/aiwfe-linux-arm64 .
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o bin/aiwfe-linux-armv7 .
	@ls -l bin/

## bench: size, cold start, idle RSS, /health throughput, and the feature benchmarks
bench: build
	bash scripts/bench.sh

## eval: document search quality on BEIR SciFact (../shared/datasets/scifact-dev,
## or AIWFE_SCIFACT; skipped when absent) and search latency at 100k passages
eval:
	go test ./app/documents -run '^$$' -bench '^Benchmark(SciFact|SearchLatency100k)$$' -benchtime 1x -count 1 -timeout 30m

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf aiwfe bin
