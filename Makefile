# One-command stack and tests. Everything builds from the Go module proxy;
# the Temporal CLI (dev server + Web UI) builds from its own module in tools/.
GO      ?= go
BIN     := bin
GOFLAGS ?=

PHONY_CLUSTER := cluster cluster-tools cluster-test cluster-bench
.PHONY: $(PHONY_CLUSTER) all build jaeger demo up traces test test-short vet fuzz chaos matrix bench bench-starter bench-ab bench-traces histories contracts a11y clean

all: build

# --version of every binary names the commit it was built from (the go
# command's own stamp is off where GOFLAGS has -buildvcs=false).
VERSION ?= $(shell git describe --always --dirty --tags 2>/dev/null || echo devel)
LDFLAGS := -X github.com/sagaforge/saga/internal/platform/process.version=$(VERSION)

build: $(BIN)/temporal
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/... ./lab/cmd/...

# The first build of the Temporal CLI takes a few minutes; later ones are cached.
# A temporal CLI of the pinned version already on PATH is used as it is.
TEMPORAL_CLI_VERSION := $(shell sed -n 's/^[[:space:]]*github.com\/temporalio\/cli v\([0-9.]*\).*/\1/p' tools/go.mod)
$(BIN)/temporal: tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	@if found=$$(command -v temporal) && [ "$$found" != "$(abspath $(BIN))/temporal" ] && \
		"$$found" --version 2>/dev/null | grep -q "^temporal version $(TEMPORAL_CLI_VERSION) "; then \
		echo "using $$found (temporal $(TEMPORAL_CLI_VERSION)) from PATH"; ln -sf "$$found" $@; \
	else \
		echo "$(GO) build -modfile=tools/go.mod -o $@ github.com/temporalio/cli/cmd/temporal"; \
		$(GO) build -modfile=tools/go.mod -o $@ github.com/temporalio/cli/cmd/temporal; \
	fi

# Jaeger v2 as the stack's optional trace store (make traces, stack up
# --traces), from its own module in tools/jaeger: the first build takes about
# ten minutes. Its UI's assets are not in the module; starter trace ORDER_ID
# draws a purchase's trace from its query API instead.
jaeger: $(BIN)/jaeger
$(BIN)/jaeger: tools/jaeger/go.mod tools/jaeger/go.sum
	$(GO) build -modfile=tools/jaeger/go.mod -o $(BIN)/jaeger github.com/jaegertracing/jaeger/cmd/jaeger

# The cluster topology (stack up --topology cluster): a Temporal server on
# PostgreSQL, its SQL tool and schema, and the Web UI, at compose's versions,
# pinned in tools/temporal-cluster; HAProxy and PostgreSQL from Debian. The
# first server build takes about seven minutes. Server 1.32 needs Go 1.26.10
# or newer: these builds alone take Go 1.27.3 from the module proxy (about
# 76 MB, once), and the rest of the project keeps the machine's Go.
CLUSTER_GO = GOTOOLCHAIN=go1.27.3 $(GO)
TEMPORAL_SERVER_DIR = $(shell $(CLUSTER_GO) list -modfile=tools/temporal-cluster/go.mod -m -f '{{.Dir}}' go.temporal.io/server)
TEMPORAL_UI_DIR = $(shell $(CLUSTER_GO) list -modfile=tools/temporal-cluster/go.mod -m -f '{{.Dir}}' github.com/temporalio/ui-server/v2)
cluster-tools: $(BIN)/temporal-server $(BIN)/temporal-sql-tool $(BIN)/temporal-ui $(BIN)/temporal-files/stamp
$(BIN)/temporal-server: tools/temporal-cluster/go.mod tools/temporal-cluster/go.sum
	$(CLUSTER_GO) build -modfile=tools/temporal-cluster/go.mod -o $@ go.temporal.io/server/cmd/server
$(BIN)/temporal-sql-tool: tools/temporal-cluster/go.mod tools/temporal-cluster/go.sum
	$(CLUSTER_GO) build -modfile=tools/temporal-cluster/go.mod -o $@ go.temporal.io/server/cmd/tools/sql
$(BIN)/temporal-ui: tools/temporal-cluster/go.mod tools/temporal-cluster/go.sum
	$(CLUSTER_GO) build -modfile=tools/temporal-cluster/go.mod -o $@ github.com/temporalio/ui-server/v2/cmd/server
# The server's schema and the UI server's configuration, as the images hold
# them; without the schema's Go files, which go build ./... would see.
$(BIN)/temporal-files/stamp: tools/temporal-cluster/go.mod
	rm -rf $(BIN)/temporal-files && mkdir -p $(BIN)/temporal-files
	cp -R $(TEMPORAL_SERVER_DIR)/schema $(BIN)/temporal-files/schema
	cp -R $(TEMPORAL_UI_DIR)/config $(BIN)/temporal-files/ui
	chmod -R u+w $(BIN)/temporal-files && find $(BIN)/temporal-files -name '*.go' -delete && touch $@

cluster: build cluster-tools
	$(BIN)/stack up --topology cluster

# The failure tests on the cluster topology (integration/cluster, build tag
# cluster): purchases through the load balancer, replicas, a worker and the
# Temporal server killed mid-load, each with the audit. About five minutes.
cluster-test: build cluster-tools
	SAGA_CLUSTER_BIN=$(abspath $(BIN)) $(GO) test -tags cluster -count=1 -timeout 20m -v ./integration/cluster

# make bench on the cluster topology beside the embedded stack: BENCH_REPEAT
# rounds of each, alternating, fresh stacks; the medians side by side in
# bench-results/topology-ab.json.
cluster-bench: build cluster-tools
	$(BIN)/stack bench --topology-ab $(BENCH_REPEAT) -- --mode all --n $(BENCH_N) --concurrency $(BENCH_C) --warmup 50

# make demo               run three purchases and keep the stack up until Ctrl-C
# make demo DEMO_EXIT=1   run them, stop, exit 0 only if both ended as expected
demo: build
	$(BIN)/stack demo $(if $(DEMO_EXIT),--exit)

up: build
	$(BIN)/stack up

# The stack with Jaeger: every purchase's trace, in both modes.
traces: build jaeger
	$(BIN)/stack up --traces

# A fresh stack with the bench seed, every mode through the worker's POST
# /purchases, the door users take: direct (the worker's --bench-direct
# baseline: the same service calls, no durability), orchestration and
# choreography, at 1 (latency), 8 and 64 in flight (sustained, the system
# saturated), BENCH_REPEAT alternating rounds of BENCH_N purchases with
# vegeta, then a round with ab as a second opinion. A run counts until its
# last saga has settled. Writes bench-results/bench.json and latency.svg.
BENCH_N ?= 2000
BENCH_C ?= 1,8,64
BENCH_REPEAT ?= 3
bench: build $(BIN)/vegeta
	@command -v ab >/dev/null || { echo "make bench: ab is missing (Debian: apt-get install apache2-utils)"; exit 2; }
	$(BIN)/stack bench --door --vegeta $(BIN)/vegeta --door-n $(BENCH_N) --door-concurrency $(BENCH_C) --door-rounds $(BENCH_REPEAT)
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./internal/services/order ./internal/services/inventory ./internal/services/payment
	$(GO) test -run '^$$' -bench RelayLatency -benchtime 30x ./internal/messaging/outbox

# starter bench, which measures from outside the worker (no eager start, no
# answer at the pivot: it waits for each workflow's close), on a fresh stack.
bench-starter: build
	$(BIN)/stack bench -- --mode all --n $(BENCH_N) --concurrency $(BENCH_C) --repeat $(BENCH_REPEAT) --warmup 50 --out bench-results

# Old against new, before a change that touches a request path lands: BASE
# (a commit) is built in .bench-base/ and both builds run the same bench in
# alternating rounds, each on fresh stacks with its own binaries; prints each
# mode's head/base throughput and p50 (bench-results/builds-ab.json).
BASE ?= HEAD~1
BENCH_AB_ROUNDS ?= 2
BENCH_AB_N ?= 600
BENCH_AB_C ?= 1,8
bench-ab: build
	rm -rf .bench-base && mkdir -p .bench-base/bin
	git archive $(BASE) | tar -x -C .bench-base
	cp -p $(BIN)/temporal .bench-base/bin/ && touch .bench-base/bin/temporal
	$(MAKE) -C .bench-base build BIN=bin GO=$(GO)
	$(BIN)/stack bench --builds-ab $(BENCH_AB_ROUNDS) --base-bin .bench-base/bin -- --mode all --n $(BENCH_AB_N) --concurrency $(BENCH_AB_C) --warmup 50

$(BIN)/vegeta: tools/vegeta/go.mod tools/vegeta/go.sum
	$(GO) build -modfile=tools/vegeta/go.mod -o $(BIN)/vegeta github.com/tsenart/vegeta/v12

# What tracing costs: rounds of the benchmark on a stack without traces and
# on one with Jaeger and every span exported, alternating; medians side by side.
bench-traces: build jaeger
	$(BIN)/stack bench --traces-ab 3 -- --mode all --n 1000 --concurrency 8 --warmup 50

# Hundreds of purchases in both modes while the worker and the services are
# SIGKILLed and restarted at random, with fault injection on; then the audit.
# make test runs a shorter version (integration/chaos_test.go).
CHAOS_N ?= 300
chaos: build
	$(BIN)/stack chaos --n $(CHAOS_N)

# Every step and compensation against every fault (refused, answer lost after
# or before the work, down past the step deadline, a customer cancel just
# before and just after, the process killed at the step), in both modes, on a
# fresh stack; prints the table of end states and audits. make test runs a
# part of it (integration/matrix_test.go); docs/failures.md shows the table.
# MATRIX_FLAGS narrows it, e.g. MATRIX_FLAGS='--modes choreography --ops approve'.
matrix: build
	$(BIN)/stack matrix $(MATRIX_FLAGS)

# Re-record the workflow histories the replay tests use, from real runs on the
# dev server. Older sets are kept as they are: v0 (before the search
# attributes), v1 (before the retriable steps), v2 (before the forward-only
# pivot and the fenced abort), v3 (before the compensations' local first
# try), v4 (before one marker stood for every change).
histories: build
	$(GO) run ./lab/cmd/histories --out workflows/testdata/v5

# The contracts (OpenAPI, AsyncAPI, the events' JSON Schemas) against the
# code, then through the OpenAPI and AsyncAPI parsers (Node.js; versions
# locked in tools/contracts). go test ./contracts -update regenerates them.
contracts:
	$(GO) test -count=1 ./contracts
	cd tools/contracts && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && node check.mjs

# gofmt, go vet and staticcheck (pinned in tools/staticcheck; a finding a
# line must keep says why with //lint:ignore CHECK reason).
vet: $(BIN)/staticcheck
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && exit 1)
	$(GO) vet -tags cluster ./...
	$(BIN)/staticcheck -tags cluster ./...

$(BIN)/staticcheck: tools/staticcheck/go.mod tools/staticcheck/go.sum
	$(GO) build -modfile=tools/staticcheck/go.mod -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

# Unit, service, replay and integration tests, with the race detector. The
# integration tests build the binaries and start the real stack on free ports.
# With SAGA_TEST_POSTGRES set (e.g. to the URL .ci/postgres prints), the
# packages that hold a database run a second time on PostgreSQL.
DB_PKGS := ./internal/services/launch ./internal/services/order ./internal/services/inventory ./internal/services/payment ./internal/services/step ./internal/messaging/outbox ./internal/messaging/consumer ./activities
test: vet a11y
	env -u SAGA_TEST_POSTGRES $(GO) test -race -count=1 -timeout 30m ./...
	@if [ -n "$$SAGA_TEST_POSTGRES" ]; then \
		echo "== the database packages again, on PostgreSQL"; \
		$(GO) test -race -count=1 $(DB_PKGS) && \
		$(GO) test -race -count=1 -run PostgreSQL ./integration || exit 1; \
	else \
		echo "== PostgreSQL not tested: SAGA_TEST_POSTGRES=\$$(.ci/postgres) make test runs the database packages on it too"; \
	fi

# axe-core, locked in tools/a11y, for the console test's accessibility
# checks in headless Chromium.
a11y:
	cd tools/a11y && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

# The quick loop: unit, workflow (Temporal's test suite), replay, service,
# consumer, outbox and contract tests, with the race detector; no whole
# stack and no binaries, in under two minutes. make test is the full suite.
SHORT_PKGS = $(shell $(GO) list ./... | grep -v -e /integration -e /deploy)
test-short:
	env -u SAGA_TEST_POSTGRES $(GO) test -race -count=1 $(SHORT_PKGS)

# Coverage-guided fuzzing of request and event decoding, FUZZTIME per target.
# make test replays the seed corpus (f.Add and testdata/fuzz) on every run;
# CI fuzzes each target briefly as well. A failing input is written to the
# package's testdata/fuzz/, to be committed with its fix.
FUZZTIME ?= 30s
FUZZ_TARGETS := internal/messaging/events:FuzzDecode internal/services/order:FuzzOrderRequests internal/services/inventory:FuzzInventoryRequests internal/services/payment:FuzzPaymentRequests
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) tools/fuzz $(FUZZ_TARGETS)

clean:
	rm -rf $(BIN) .data
