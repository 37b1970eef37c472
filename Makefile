# Two commands matter: `make run` and `make test`. Both install first.
# uv is bootstrapped into .uv/ from PyPI at a pinned version, then builds .venv/
# from uv.lock exactly (--locked fails if pyproject.toml and the lock disagree).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser
PROMETHEUS_STAMP := $(VENV)/.prometheus
CLUSTER_STAMP := $(VENV)/.cluster
SEED ?= 11
TEST_WORKERS ?= 3
# In a process of its own: inside a pytest-xdist worker its two parametrized tests came
# back as 2 results in 17 s instead of one per API operation (94) in 98 s.
SCHEMATHESIS := tests/fuzz/test_openapi_schemathesis.py
# ... and beside the xdist part, not after it: the suite leaves a core idle part of the
# time (waiting on its systems), which the fuzzer's CPU-bound minute fills.
FUZZ_LOG := $(VENV)/schemathesis.log
# The import contracts and the type checker also run beside it: single-threaded, they
# left a core idle while they ran first (mypy from a fresh clone, no cache: 12 CPU-s).
STATIC_LOG := $(VENV)/static-checks.log
MINUTES ?= 30
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test test-fast check lint bench loadtest chaos cluster soak clean screenshots

install: $(STAMP) $(BROWSER_STAMP) $(PROMETHEUS_STAMP)

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Compiled to bytecode at install, the libraries and our own packages: else the first run
# from a fresh clone compiles them as it goes, in each of the many processes that start at
# once (importing the app and the workers without bytecode: 4.7 CPU-s against 2.0).
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" --all-extras --compile-bytecode
	$(VENV)/bin/python -m compileall -q -j 0 shunfuri api web workers simulators loadtests cluster tests
	@touch $(STAMP)

# The browser tests drive Chromium: Debian's packages (its headless shell, which they run
# first, the full browser, and a Japanese font for the screenshots) where apt can install
# them, as on this project's machines and CI; else Playwright's own build.
CHROMIUM_PACKAGES := chromium chromium-headless-shell fonts-ipafont-gothic
$(BROWSER_STAMP): $(STAMP)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromium-headless-shell ] \
	  && fc-list :lang=ja 2>/dev/null | grep -q .; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(CHROMIUM_PACKAGES) \
	  || { apt-get update -q && apt-get install -y -q $(CHROMIUM_PACKAGES); }; \
	else $(VENV)/bin/playwright install chromium; fi
	@touch $(BROWSER_STAMP)

# The alert rules' tests (tests/cluster) run Prometheus' `promtool`, and the cluster runs
# Prometheus itself: Debian's package, through apt where we are root. Never its service:
# the cluster starts the program in a namespace of its own (where systemd would start the
# package's service, it is disabled again at once).
$(PROMETHEUS_STAMP): $(STAMP)
	@if command -v promtool >/dev/null 2>&1 && [ -x /usr/bin/prometheus ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends prometheus \
	  || { apt-get update -q && apt-get install -y -q --no-install-recommends prometheus; }; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus || true; fi; \
	else echo "install Prometheus (Debian: apt-get install prometheus) for promtool" >&2; exit 1; fi
	@touch $(PROMETHEUS_STAMP)

# The cluster partitions its hosts with nftables (Debian's `nftables`: the `nft` program).
$(CLUSTER_STAMP): $(PROMETHEUS_STAMP)
	@if command -v nft >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends nftables \
	  || { apt-get update -q && apt-get install -y -q --no-install-recommends nftables; }; \
	else echo "install nftables (the nft program) for the cluster" >&2; exit 1; fi
	@touch $(CLUSTER_STAMP)

run: install
	$(VENV)/bin/shunfuri up

# Three pytest-xdist workers on two cores: much of the suite waits on real processes
# (systems, browsers, the bank), not on a core; a third kept both cores busy (2,115 tests
# in 387 s on two workers, 335 s on three, back to back), and its systems still fit the
# machine's PostgreSQL (67 connections at the peak, of 100). A worker takes a module
# whole, and tests/browser (one shared system) whole: tests/conftest.py's scheduler.
# TEST_WORKERS=0 runs in this one process.
test: install
	@$(VENV)/bin/python -m tests.preflight
	@{ $(VENV)/bin/lint-imports && $(VENV)/bin/mypy; } > $(STATIC_LOG) 2>&1 & static=$$!; \
	$(VENV)/bin/python -m pytest $(SCHEMATHESIS) > $(FUZZ_LOG) 2>&1 & fuzz=$$!; \
	$(VENV)/bin/python -m pytest tests --ignore=tests/chaos --ignore=$(SCHEMATHESIS) -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder; \
	suite=$$?; wait $$fuzz; fuzzed=$$?; wait $$static; checked=$$?; \
	echo "--- lint-imports and mypy, run beside the suite:"; cat $(STATIC_LOG); \
	echo "--- $(SCHEMATHESIS), run beside the suite (its own process and database):"; \
	cat $(FUZZ_LOG); [ $$suite -eq 0 ] && [ $$fuzzed -eq 0 ] && [ $$checked -eq 0 ]

test-fast: install
	$(VENV)/bin/python -m pytest tests/unit -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python -m loadtests.bench_quote

loadtest: install
	$(VENV)/bin/shunfuri loadtest instant

# The one-fault-at-a-time scenarios, then the cluster's (tests/chaos/cluster: `cluster
# down` leaves nothing, and one 5-minute nemesis seed).
chaos: install $(CLUSTER_STAMP)
	$(VENV)/bin/python -m pytest tests/chaos -p no:cacheprovider -s --profile=$(or $(PROFILE),full)

# The system as hosts in network namespaces (root, Linux); `shunfuri cluster down` ends it.
cluster: install $(CLUSTER_STAMP)
	$(VENV)/bin/shunfuri cluster up

# One long nemesis run on a fresh cluster: `make soak SEED=7 MINUTES=30`.
soak: install $(CLUSTER_STAMP)
	$(VENV)/bin/shunfuri nemesis --seed $(SEED) --minutes $(MINUTES)

screenshots: install
	@$(VENV)/bin/python -m tests.preflight
	$(VENV)/bin/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf .uv $(VENV) .pytest_cache
