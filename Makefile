# The commands the README names. `make test` is what CI runs (.ci/run).
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/org/aws-oidc-go/internal/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test test-windows test-native stage-native check-reproducible check lint demo bench fuzz clean image image-test image-arm64 cross lint-workflows fault-matrix act-timings bench-latency bench-audit

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/aws-oidc-go .

## test: every check and test; needs moto_server and the aws CLI (fatal when CI=true).
## Prints each package as it finishes, then every skipped test with its reason.
test: check test-native
	@echo "test: go test -race ./... through internal/dev/testreport"
	@$(GO) run ./internal/dev/testreport -race -shuffle=on -count=1 ./...

## test-native: the node action's shim (native/*.test.js) with node's own test runner, under
## the machine's node and under node 24 (NODE24, else scripts/node24-up installs it once)
# The shell expands the glob: node 20 takes no pattern, node >= 22 takes no directory.
NODE ?= node
test-native:
	$(NODE) --test native/*.test.js
	@n24="$${NODE24:-}"; \
	if [ -z "$$n24" ]; then n24=$$(scripts/node24-up | tail -n 1) || n24=; fi; \
	if [ -z "$$n24" ]; then \
	  if [ "$${CI:-}" = true ]; then echo "test-native: no node 24 (scripts/node24-up failed), and CI=true" >&2; exit 1; fi; \
	  echo "test-native: SKIP node 24: scripts/node24-up could not install it (needs npm and the npm registry)"; exit 0; \
	fi; \
	echo "$$n24 --test native/*.test.js ($$($$n24 --version))"; \
	"$$n24" --test native/*.test.js

## check: formatting, vet, static analysis, module tidiness
check:
	@echo "check: gofmt"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@echo "check: go vet (the first run compiles every package and dependency: a minute or two)"
	@$(GO) vet ./...
	@if [ -e "$$($(GO) env GOMODCACHE)/cache/download/honnef.co/go/tools/@v/$(STATICCHECK_VERSION).zip" ]; then \
	  echo "check: staticcheck $(STATICCHECK_VERSION)"; \
	else echo "check: fetching and building staticcheck $(STATICCHECK_VERSION) (first run only)…"; fi
	@$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@echo "check: go mod tidy (go.mod and go.sum must not change)"
	@bak=$$(mktemp -d); cp go.mod go.sum "$$bak"/; \
	  $(GO) mod tidy; \
	  if ! cmp -s go.mod "$$bak"/go.mod || ! cmp -s go.sum "$$bak"/go.sum; then \
	    cp "$$bak"/go.mod "$$bak"/go.sum .; rm -rf "$$bak"; \
	    echo "go mod tidy changes go.mod/go.sum: run it and commit"; exit 1; fi; \
	  rm -rf "$$bak"

## demo: run the action end to end locally against moto and a fake token service
demo:
	@echo "demo: building (the first run compiles the AWS SDK: a minute or two; later runs use the build cache)…"
	@$(GO) run ./internal/dev/demo

## bench: whole-process latency, RSS, time to fail, cold start, sizes and a
## 200-run load test as a table; COMPARE='node dist/index.js' runs another
## action in the same loop and prints ratios. Then the micro-benchmarks.
RUNS ?= 200
COMPARE ?=
bench:
	$(GO) run ./internal/dev/bench -runs $(RUNS) -load 200 -image "$${AWS_OIDC_GO_IMAGE:-}" -compare "$(COMPARE)"
	$(GO) test ./internal/config ./internal/token ./internal/runner ./internal/trust -run '^$$' -bench . -benchmem

## bench-latency: whole-process wall time under real round trips — the token
## service and STS (moto) behind TLS under their real names, RTT_TOKEN and
## RTT_STS away through a user-space delay line between two network
## namespaces — for ours, the incumbent and the floor client, interleaved,
## with TCP connections, TLS handshakes and requests per endpoint. Linux, root.
LATENCY_RUNS ?= 25
RTT_TOKEN ?= 20ms
RTT_STS ?= 40ms
bench-latency:
	$(GO) run ./internal/dev/latency -runs $(LATENCY_RUNS) -rtt-token $(RTT_TOKEN) -rtt-sts $(RTT_STS)

## act-timings: the step users wait for under act — ours (container and native), the incumbent's and an
## empty container action side by side (needs the image, act and the job image)
act-timings:
	$(GO) test ./internal/e2e -run '^$$' -bench ActStep -benchtime 1x -count=1

## fault-matrix: the fault matrix as a table, and how many faults it has
fault-matrix:
	@echo "fault-matrix: go test ./internal/action -run TestFaultMatrix"
	@log=$$(mktemp); trap 'rm -f "$$log" "$$log.table"' EXIT; trap 'exit 130' INT TERM; \
	  $(GO) test ./internal/action -run '^TestFaultMatrix$$' -count=1 -v > "$$log"; \
	  rc=$$?; sed -n '/where  fault/,/^---/p' "$$log" | sed -e '/^---/d' -e '/^ *$$/d' -e 's/^        //' > "$$log.table"; \
	  cat "$$log.table"; echo "$$(($$(wc -l < "$$log.table") - 1)) faults"; rm -f "$$log.table"; \
	  grep -E '^(--- FAIL|FAIL|ok)' "$$log"; \
	  if grep -q -- '--- SKIP: TestFaultMatrix' "$$log"; then \
	    echo "fault matrix SKIPPED, nothing ran: $$(grep -m1 'skipping' "$$log" | sed 's/^ *//')"; exit 1; fi; \
	  exit $$rc

## fuzz: each fuzz target, bounded (FUZZTIME: inputs like 20000x, or a duration like 1m)
FUZZTIME ?= 20000x
fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME)
	$(GO) test ./internal/token -run '^$$' -fuzz FuzzDecodeClaims -fuzztime $(FUZZTIME)
	$(GO) test ./internal/runner -run '^$$' -fuzz FuzzAppend -fuzztime $(FUZZTIME)
	$(GO) test ./internal/runner -run '^$$' -fuzz FuzzLog -fuzztime $(FUZZTIME)
	$(GO) test ./internal/trust -run '^$$' -fuzz FuzzEvaluate -fuzztime $(FUZZTIME)
	$(GO) test ./internal/trust -run '^$$' -fuzz FuzzLike -fuzztime $(FUZZTIME)
	$(GO) test ./internal/handoff -run '^$$' -fuzz FuzzCleanup -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN)

## image: the action's image from the real Dockerfile, with a locally assembled builder
IMAGE ?= aws-oidc-go:test
image:
	BUILDER=$$(scripts/docker-up | tail -n 1) && \
	docker build --network host --build-arg BUILDER_IMAGE=$$BUILDER --build-arg VERSION=$(VERSION) -t $(IMAGE) .

## image-test: the container tests against that image
image-test: image
	AWS_OIDC_GO_IMAGE=$(IMAGE) $(GO) test ./internal/e2e -run 'TestImage' -count=1 -v

## cross: the CLI for every release platform (what GoReleaser builds)
cross:
	@for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "build $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/aws-oidc-go-$$os-$$arch$$ext . || exit 1; \
	done

## stage-native: what a release ships for the node action, from locally built
## binaries: the six binaries built reproducibly (same source and VERSION, same
## bytes: -trimpath, no build id, no VCS stamp, VERSION stamped) into
## NATIVE_ASSETS as aws-oidc-go_<os>_<arch>[.exe] with their .gz release assets,
## and NATIVE_STAGE/native/VERSION and NATIVE_STAGE/native/checksums.txt (what
## release.yml commits). VERSION must be a release tag: make stage-native VERSION=v1.2.3
NATIVE_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
NATIVE_ASSETS    ?= $(BIN)/native
NATIVE_STAGE     ?= .
NATIVE_LDFLAGS    = -s -w -buildid= -X github.com/org/aws-oidc-go/internal/version.Version=$(VERSION)
stage-native:
	@echo "$(VERSION)" | grep -Eq '^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$$' || { echo "stage-native: VERSION=$(VERSION) is not a release tag like v1.2.3"; exit 1; }
	@mkdir -p $(NATIVE_ASSETS) $(NATIVE_STAGE)/native && rm -f $(NATIVE_ASSETS)/aws-oidc-go_*
	@for p in $(NATIVE_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; out=$(NATIVE_ASSETS)/aws-oidc-go_$${os}_$${arch}$$ext; \
	  echo "stage-native: build $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOAMD64=v1 GOARM64=v8.0 GOFLAGS= $(GO) build -trimpath -buildvcs=false -ldflags '$(NATIVE_LDFLAGS)' -o $$out . || exit 1; \
	  gzip -n -9 -c $$out > $$out.gz || exit 1; \
	done
	@cd $(NATIVE_ASSETS) && sha256sum $$(ls aws-oidc-go_* | grep -v '\.gz$$' | sort) > checksums.txt
	@cp $(NATIVE_ASSETS)/checksums.txt $(NATIVE_STAGE)/native/checksums.txt
	@echo "$(VERSION)" > $(NATIVE_STAGE)/native/VERSION
	@echo "stage-native: $(VERSION) into $(NATIVE_STAGE)/native (assets in $(NATIVE_ASSETS))"; cat $(NATIVE_STAGE)/native/checksums.txt

## check-reproducible: stage-native twice, here and from a copy of the tracked
## files in another directory (so no path or checkout state leaks in), and
## compare the digests (NATIVE_PLATFORMS narrows it)
check-reproducible:
	@a=$$(mktemp -d) && b=$$(mktemp -d) && src=$$(mktemp -d) && \
	  git ls-files -z | xargs -0 tar -c | tar -x -C $$src && \
	  $(MAKE) -s stage-native VERSION=v0.0.0-repro NATIVE_ASSETS=$$a/assets NATIVE_STAGE=$$a >/dev/null && \
	  $(MAKE) -s -C $$src stage-native VERSION=v0.0.0-repro NATIVE_ASSETS=$$b/assets NATIVE_STAGE=$$b >/dev/null && \
	  cat $$a/native/checksums.txt && \
	  if cmp -s $$a/native/checksums.txt $$b/native/checksums.txt; then echo "check-reproducible: two builds in two directories, same bytes"; rc=0; \
	  else echo "check-reproducible: the builds differ:"; diff $$a/native/checksums.txt $$b/native/checksums.txt; rc=1; fi; \
	  rm -rf $$a $$b $$src; exit $$rc

## lint-workflows: actionlint on .github/workflows (needs a .git directory)
lint-workflows:
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

## image-arm64: the same Dockerfile cross-built for linux/arm64 (checked, not run)
image-arm64:
	BUILDER=$$(scripts/docker-up | tail -n 1) && \
	docker build --network host --build-arg BUILDER_IMAGE=$$BUILDER --build-arg TARGETARCH=arm64 --build-arg VERSION=$(VERSION) -t $(IMAGE)-arm64 .

## bench-audit: aws-oidc-go audit over an account of 1,000 roles in moto: roles per second and peak heap (printed, never asserted)
bench-audit:
	$(GO) test ./internal/audit -run '^$$' -bench Audit1000Roles -benchtime 1x -count=1

## bench-fanout: a matrix of jobs against a busy STS — FANOUT_POINTS (N:RATE,...)
## steps at once, whole processes, against moto behind a token bucket
## (FANOUT_BURST) answering STS's Throttling error; ours, the incumbent
## (N ≤ 100) and ours and the incumbent unthrottled, with steps succeeded,
## time to the last against (N − burst)/rate and requests per step
## (FANOUT_BASELINE: another build of ours in the same run)
FANOUT_POINTS ?= 40:10,150:10
FANOUT_BURST ?= 10
FANOUT_BASELINE ?=
.PHONY: bench-fanout
bench-fanout:
	$(GO) run ./internal/dev/fanout -points $(FANOUT_POINTS) -burst $(FANOUT_BURST) $(if $(FANOUT_BASELINE),-baseline $(FANOUT_BASELINE))

## test-windows: every package's tests built for windows/amd64 and run under
## Wine (scripts/wine-up: a Debian 13 root with Wine 10, made once per
## machine; needs root) through scripts/wine-exec, no -race (it needs cgo),
## moto_server reached through a stand-in (internal/dev/harness/motorelay),
## through internal/dev/testreport: every skip with its reason and a closing
## count; first the shim's tests (native/*.test.js) under Windows node.exe
## (scripts/wine-exec --files: node.exe cannot write to a Unix pipe there).
## Without Wine it skips, saying so, except under CI=true.
test-windows:
	@if ! root=$$(scripts/wine-up | tail -n 1); then \
	  if [ "$$CI" = true ]; then echo "test-windows: no Wine (scripts/wine-up failed)"; exit 1; fi; \
	  echo "test-windows: SKIPPED: scripts/wine-up could not make Wine here (it needs root and Debian's archive)"; exit 0; fi
	@mkdir -p $(BIN)
	@$(GO) build -o $(BIN)/testreport ./internal/dev/testreport
	@echo "test-windows: the action for windows/amd64, for internal/e2e"
	@GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X github.com/org/aws-oidc-go/internal/version.Version=v0.0.0-e2e' -o $(BIN)/aws-oidc-go-e2e.exe .
	@echo "test-windows: the next step for the node action's Windows run (internal/e2e): internal/dev/harness/callerid for windows/amd64"
	@GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(BIN)/aws-caller-identity.exe ./internal/dev/harness/callerid
	@echo "test-windows: moto_server for Windows: a stand-in on Wine's PATH relaying to the real one here"
	@$(GO) build -o $(BIN)/motorelay ./internal/dev/harness/motorelay
	@mkdir -p $(BIN)/wine-path && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o $(BIN)/wine-path/moto_server.exe ./internal/dev/harness/motorelay
	@echo "test-windows: the shim's tests (native/*.test.js) under Windows node.exe, the stand-in binary internal/e2e/shimfake.exe"
	@GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(BIN)/shimfake.exe ./internal/e2e/shimfake
	@SHIM_TEST_FAKE_EXE="Z:$$(echo $(CURDIR)/$(BIN)/shimfake.exe | tr / '\\')" scripts/wine-exec --files 'C:\node\node.exe' --test $(wildcard native/*.test.js)
	@echo "test-windows: GOOS=windows go test -exec scripts/wine-exec ./... through internal/dev/testreport"
	@out=$$(mktemp); $(BIN)/motorelay > $$out & relay=$$!; \
	  trap 'kill $$relay 2>/dev/null; rm -f $$out' EXIT; \
	  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s $$out ] && break; sleep 0.5; done; \
	  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 AWS_OIDC_GO_E2E_BINARY="Z:$$(echo $(CURDIR)/$(BIN)/aws-oidc-go-e2e.exe | tr / '\\')" \
	  AWS_OIDC_GO_CALLERID_EXE="Z:$$(echo $(CURDIR)/$(BIN)/aws-caller-identity.exe | tr / '\\')" \
	  AWS_OIDC_GO_MOTO_RELAY=$$(head -n 1 $$out) WINEPATH="Z:$$(echo $(CURDIR)/$(BIN)/wine-path | tr / '\\')" \
	  $(BIN)/testreport -count=1 -exec $(CURDIR)/scripts/wine-exec ./...
