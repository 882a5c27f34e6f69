# vigil build, test and lint entry points. `make help` lists them.
GO        ?= go
BIN       := bin/vigil
PKGS      := ./...
FUZZTIME  ?= 30s
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(HOME)/go/bin/staticcheck)

.PHONY: help build test unit vm vm-test lint fuzz bench bench-failover bench-checks bench-checks-haproxy bench-ipvs soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

build: ## static binary bin/vigil
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/vigil

test: build ## all tests: unit, namespace integration (root) and the real-kernel VM
	$(GO) test -count=1 -timeout 30m $(PKGS)
	$(MAKE) vm-test

unit: ## the Go tests only (no VM); those needing root fail under CI=true without it
	$(GO) test -count=1 -timeout 30m $(PKGS)

bench-checks: ## 10,000 TCP health checks on loopback for 60 s: connect (plain, -steer), then half-open (root): CPU, RSS, bursts
	$(GO) run ./healthcheck/internal/benchcheck -n 10000 -duration 60s
	$(GO) run ./healthcheck/internal/benchcheck -n 10000 -duration 60s -steer
	$(GO) run ./healthcheck/internal/benchcheck -n 10000 -duration 60s -check half-open

bench-checks-haproxy: ## the same 10,000 checks a second run by HAProxy (as shipped, then full connects): the calibration
	bash healthcheck/internal/benchcheck/compare_haproxy.sh
	MODE=fullconnect bash healthcheck/internal/benchcheck/compare_haproxy.sh

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

# bench-ipvs: each -test.count run is one sample; bench_ipvs_table prints the
# medians. ipvsadm-restore is not in the VM image: it is the Debian package's
# own script, taken from the .deb build.sh downloaded.
BENCH_IPVS_COUNT ?= 5
BENCH_IPVS_VM := $(or $(VM_BUILD_DIR),integration/vm/build)

define bench_ipvs_table
function med(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j > 0 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n ? a[int((n + 1) / 2)] : ""
}
function ms(ns) { return sprintf("%.1f", ns / 1e6) }
/^Benchmark/ {
  name = $$1; sub(/-[0-9]+$$/, "", name)
  if (!(name in seen)) { seen[name] = 1; order[++count] = name }
  runs[name]++
  for (i = 3; i < NF; i += 2) v[name, $$(i + 1)] = v[name, $$(i + 1)] " " $$i
}
END {
  printf "\nIPVS, 1,000 services x 10 real servers, real kernel in the test VM (TCG: compare ratios): median of %d runs\n", runs[order[1]]
  printf "%-9s | %10s | %6s | %6s | %-15s | %10s | %6s | %s\n", "operation", "vigil ms", "msgs", "dumps", "ipvsadm way", "ipvsadm ms", "msgs", "vigil/ipvsadm time"
  for (k = 1; k <= count; k++) {
    n = order[k]; if (n !~ /^BenchmarkVMIPVS\//) continue
    split(n, p, "/"); if (p[3] == "vigil") continue
    vg = "BenchmarkVMIPVS/" p[2] "/vigil"; a = med(v[vg, "ns/op"]); c = med(v[n, "ns/op"])
    printf "%-9s | %10s | %6d | %6d | %-15s | %10s | %6d | %.2f\n", p[2], ms(a), med(v[vg, "msgs/op"]), med(v[vg, "dumps/op"]), p[3], ms(c), med(v[n, "msgs/op"]), a / c
  }
  printf "\nipvs_follow, same table, the director's IPVSTables: median of %d runs\n", runs["BenchmarkVMIPVSFollow/master"]
  printf "%-7s | %-24s | %-24s | %-24s | %s\n", "mode", "take-over ms (writes)", "backup start ms (writes)", "health event ms (dumps)", "release ms (writes)"
  for (k = 1; k <= count; k++) {
    n = order[k]; if (n !~ /^BenchmarkVMIPVSFollow\//) continue
    mode = n; sub(/.*\//, "", mode); line = sprintf("%-7s", mode)
    split("takeover writes startup writes health dumps release writes", f, " ")
    for (i = 1; i <= 8; i += 2) line = line sprintf(i < 7 ? " | %-24s" : " | %s", sprintf("%.1f (%d)", med(v[n, f[i] "-ms"]), med(v[n, f[i] "-" f[i + 1]])))
    print line
  }
}
endef
export bench_ipvs_table

bench-ipvs: build vm ## IPVS reconciler vs ipvsadm-restore, and ipvs_follow's failover cost, on the VM's real kernel
	@set -e; st=$(BENCH_IPVS_VM)/bench-ipvs; rm -rf $$st; mkdir -p $$st/bin; cp $(BIN) $$st/bin/vigil; \
	x=$$(mktemp -d); dpkg-deb -x $$(ls $(BENCH_IPVS_VM)/debs/ipvsadm_*.deb | head -1) $$x; \
	cp $$x/sbin/ipvsadm-restore $$st/bin/; rm -rf $$x; \
	for p in ipvs integration; do \
	  CGO_ENABLED=0 $(GO) test -c -tags vmtest -trimpath -ldflags='-s -w' -o $$st/$$p.test ./$$p; done; \
	bench="-test.run ^$$ -test.benchtime 1x -test.count $(BENCH_IPVS_COUNT) -test.timeout 20m"; \
	integration/vm/run.sh -t 900 -d $$st -e VIGIL_BIN=/payload/bin/vigil -l $(BENCH_IPVS_VM)/bench-ipvs-console.log -- \
	  bash -c "./ipvs.test -test.bench '^BenchmarkVMIPVS\$$' $$bench && ./integration.test -test.bench '^BenchmarkVMIPVSFollow\$$' $$bench"; \
	grep -a '^Benchmark.*/op\|^Benchmark.*-ms' $(BENCH_IPVS_VM)/bench-ipvs-console.log >/tmp/vigil-bench-ipvs.txt; \
	awk "$$bench_ipvs_table" /tmp/vigil-bench-ipvs.txt

soak: ## a vigil and a keepalived pair side by side, 10 ms adverts, for SOAK (default 10m) with every CPU busy: spurious failovers of each; IMPL=vigil|keepalived soaks one (root)
	VIGIL_SOAK=$(or $(SOAK),10m) VIGIL_SOAK_IMPL=$(or $(IMPL),both) $(GO) test -run '^$$' -bench SoakUnderLoad -benchtime 1x -timeout 60m ./integration/

clean: ## remove build output
	rm -rf bin

.PHONY: demo drill

demo: ## the one-command demo: a vigil pair, two web servers and a client in namespaces, the master killed (root; runs in the test VM if the kernel has no IPVS)
	GO=$(GO) examples/demo/demo.sh

drill: ## failover drill, e.g. make drill SCENARIO=graceful-stop N=10 IMPL=keepalived INTERVAL=100ms [VM=1] [OUT=DIR] (root)
	GO=$(GO) examples/demo/drill.sh $(if $(OUT),-o $(OUT)) $(if $(VM),--vm) -- \
	  -scenario $(or $(SCENARIO),master-sigkill) -n $(or $(N),5) -impl $(or $(IMPL),vigil) -interval $(or $(INTERVAL),10ms)
