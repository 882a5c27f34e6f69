# vigil build, test and lint entry points. `make help` lists them.
GO        ?= go
BIN       := bin/vigil
PKGS      := ./...
FUZZTIME  ?= 30s
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(HOME)/go/bin/staticcheck)

.PHONY: help build test unit vm vm-test lint fuzz bench bench-failover bench-checks clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

build: ## static binary bin/vigil
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/vigil

test: build ## all tests: unit, namespace integration (root) and the real-kernel VM
	$(GO) test -count=1 -timeout 30m $(PKGS)
	$(MAKE) vm-test

unit: ## the Go tests only (no VM); those needing root fail under CI=true without it
	$(GO) test -count=1 -timeout 30m $(PKGS)

bench-checks: ## 10,000 TCP health checks on loopback for 60 s: CPU, RSS, bursts
	$(GO) run ./healthcheck/internal/benchcheck -n 10000 -duration 60s

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

bench: ## benchmarks of the protocol core and the reconciler, as a table
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./vrrp/... ./ipvs/... ./healthcheck/... | tee /tmp/vigil-bench.txt

vm: ## build the test VM (Debian kernel + initramfs, cached in integration/vm/build)
	integration/vm/build.sh

vm-test: build vm ## run the vmtest-tagged tests inside the test VM (real kernel: IPVS, netem)
	GO=$(GO) VM_VIGIL_BIN=$(BIN) integration/vm/vmtest.sh $(VMTEST_PKGS)

bench-failover: ## failover times of a vigil pair in namespaces (root), 10 runs per scenario
	$(GO) test -run '^$$' -bench Failover -benchtime 10x -timeout 60m ./integration/ | tee /tmp/vigil-failover.txt

clean: ## remove build output
	rm -rf bin
